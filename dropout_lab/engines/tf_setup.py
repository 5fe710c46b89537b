"""TensorFlow's settings for training, made by one explicit call rather than on import.

:func:`configure` points XLA's persistent compile cache at its directory (see
:mod:`.xla_cache`; before TensorFlow first reads its XLA flags), turns on op determinism
(``tf.config.experimental.enable_op_determinism``: the same ops on the same inputs give
the same bits) and quiets TensorFlow's Python logger to errors (each fold builds a new
model, and ``tf.function``'s retracing warnings would repeat for every one).

It is idempotent and cheap after its first call.  :func:`dropout_lab.engines.get_engine`
calls it before it hands out an engine (so a worker process that trains, and the checks
before training, see the settings before TensorFlow's first op), and the engines' own
public training functions call it too, for a Python user who calls them directly.
"""

from __future__ import annotations

from . import xla_cache

_configured = False


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
