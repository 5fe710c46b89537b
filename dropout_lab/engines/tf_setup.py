"""TensorFlow's settings for training, made by one explicit call rather than on import.

:func:`configure` points XLA's persistent compile cache at its directory (see
:mod:`.xla_cache`; before TensorFlow first reads its XLA flags), turns on op determinism
(``tf.config.experimental.enable_op_determinism``: the same ops on the same inputs give
the same bits), quiets TensorFlow's Python logger to errors (each fold builds a new
model, and ``tf.function``'s retracing warnings would repeat for every one) and sizes
TensorFlow's intra-op thread pool for the engine asking (:data:`INTRA_OP_THREADS`).

It is idempotent and cheap after its first call.  :func:`dropout_lab.engines.get_engine`
calls it before it hands out an engine (so a worker process that trains, and the checks
before training, see the settings before TensorFlow's first op), and the engines' own
public training functions call it too, for a Python user who calls them directly.

Threads: TensorFlow fixes its thread pools at its first op, for the whole process, so
the first engine a process asks for chooses them.  The fused engine's programs are
graphs of many small ops (stacked models' matrices of a few dozen rows): splitting each
op over the cores costs more than it saves, and running independent ops side by side
(the inter-op pool, a thread per core) is what pays.  Measured on 2 cores
(``benchmarks/profile_fused_program.py``, docs/studies/fused-cnn-rnn.md): one intra-op
thread made the LSTM's training steps 2.5x faster and the Sonar MLP's graph-mode steps
2.7x, the CNN's no slower, with the same folds to the bit; the SciKeras engine gained
nothing from it, and its convolutions round differently on other thread counts, so it
keeps TensorFlow's default.  ``TF_NUM_INTRAOP_THREADS``, or a setting made before
(a worker's, :func:`dropout_lab.executors.base.prepare_worker`), is left as it is.
"""

from __future__ import annotations

import os

from . import xla_cache

# intra-op threads per engine (absent: TensorFlow's default, one per core)
INTRA_OP_THREADS = {"fused": 1}
ENV = "TF_NUM_INTRAOP_THREADS"

_configured = False


def intra_op_threads(engine: str | None, environ=os.environ, current: int = 0) -> int | None:
    """The intra-op threads to set for ``engine``, or None to leave TensorFlow's: none
    when the user chose (``TF_NUM_INTRAOP_THREADS``), a setting was made (``current``
    other than 0) or the engine has no preference."""
    if environ.get(ENV) or current:
        return None
    return INTRA_OP_THREADS.get(engine)


def configure(engine: str | None = None) -> None:
    """Make TensorFlow's settings for training in this process, for ``engine`` (once;
    later calls do nothing)."""
    global _configured
    if _configured:
        return
    xla_cache.enable()  # before TensorFlow reads its XLA flags
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")
    threads = intra_op_threads(engine, current=tf.config.threading.get_intra_op_parallelism_threads())
    if threads is not None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already ran an op: its pools stay
            pass
    _configured = True


def configured() -> bool:
    """Whether :func:`configure` has run in this process."""
    return _configured
