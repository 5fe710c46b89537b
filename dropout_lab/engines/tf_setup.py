"""TensorFlow's settings for training, made by one explicit call rather than on import.

:func:`configure` points XLA's persistent compile cache at its directory (see
:mod:`.xla_cache`; before TensorFlow first reads its XLA flags), turns on op determinism
(``tf.config.experimental.enable_op_determinism``: the same ops on the same inputs give
the same bits), quiets TensorFlow's Python logger to errors (each fold builds a new
model, and ``tf.function``'s retracing warnings would repeat for every one);
:func:`use_intra_op_threads` sizes TensorFlow's intra-op thread pool.

It is idempotent and cheap after its first call.  :func:`dropout_lab.engines.get_engine`
calls it before it hands out an engine (so a worker process that trains, and the checks
before training, see the settings before TensorFlow's first op), and the engines' own
public training functions call it too, for a Python user who calls them directly.

Threads: TensorFlow fixes its thread pools at its first op, for the whole process, so
the first run a process plans chooses them: its engine's ``intra_op_threads(cfg,
dataset)`` (None: TensorFlow's default, a thread per core for each op), set by
:func:`use_intra_op_threads` before the shape checks build their first Keras layer
(:mod:`dropout_lab.planning`).  The fused engine wants one for most programs: graphs of many
small ops, where splitting each op over the cores costs more than it saves and running
independent ops side by side (the inter-op pool, a thread per core) is what pays; the
SciKeras engine keeps the default (docs/studies/fused-cnn-rnn.md, "Threads").
``TF_NUM_INTRAOP_THREADS``, or a setting made before (a worker's,
:func:`dropout_lab.executors.base.prepare_worker`), is left as it is.
"""

from __future__ import annotations

import os

from . import xla_cache

ENV = "TF_NUM_INTRAOP_THREADS"

_configured = False


def threads_to_set(wanted: int | None, environ=os.environ, current: int = 0) -> int | None:
    """The intra-op threads to set when an engine wants ``wanted``, or None to leave
    TensorFlow's: none when the user chose (``TF_NUM_INTRAOP_THREADS``) or a setting was
    made (``current`` other than 0)."""
    if environ.get(ENV) or current:
        return None
    return wanted


def use_intra_op_threads(wanted: int | None) -> bool:
    """Size TensorFlow's intra-op pool to ``wanted`` threads for this process (see the module
    docstring), unless :func:`threads_to_set` says to leave it or TensorFlow already ran an
    op (its pools are fixed then); whether it was set."""
    import tensorflow as tf

    threads = threads_to_set(wanted, current=tf.config.threading.get_intra_op_parallelism_threads())
    if threads is None:
        return False
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran an op: its pools stay
        return False
    return True


def configure() -> None:
    """Make TensorFlow's settings for training in this process (once; later calls do nothing)."""
    global _configured
    if _configured:
        return
    xla_cache.enable()  # before TensorFlow reads its XLA flags
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    tf.get_logger().setLevel("ERROR")
    _configured = True


def configured() -> bool:
    """Whether :func:`configure` has run in this process."""
    return _configured
