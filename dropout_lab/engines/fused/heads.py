"""The fused engine's output layers with their losses, computed as Keras 3 computes them.

Keras 3's sigmoid and softmax activations keep their input on the output tensor
(``_keras_logits``), and its binary, categorical and sparse categorical cross-entropies
use those logits instead of clipped probabilities
(``keras/src/backend/tensorflow/nn.py``, ``_get_logits``).  So does each head here: its
loss takes the logits of the output layer.  Its accuracy is Keras' ``BinaryAccuracy``
(p > 0.5) or ``(Sparse)CategoricalAccuracy`` (the argmax of the probabilities; the
first class on ties).

A regression head is a ``dense(1, linear)`` output whose value is the prediction, with
Keras' ``mse``, ``mae``, ``huber`` (delta 1) or ``log_cosh`` on the error ``prediction - y``
(each the mean over the one output unit, as Keras takes it); it has no accuracy (``hits``
are zeros).
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class Head:
    """An output layer's activation with its loss: ``loss(y, logits)`` per row (labels
    ``y`` ``[models, rows]`` as float32 class indices, logits ``[models, rows, units]``),
    ``proba(logits)`` (``[models, rows]`` of p(positive) for a sigmoid, else
    ``[models, rows, K]``) and ``hits(logits, y)`` per row (1.0 where Keras' accuracy
    counts the row as right)."""

    activation: str
    loss: object
    proba: object
    hits: object


def _sigmoid_proba(logits):
    return tf.nn.sigmoid(logits[..., 0])


def _softmax_proba(logits):
    return tf.nn.softmax(logits)


def _binary_hits(logits, y):  # keras.metrics.BinaryAccuracy: threshold 0.5
    return tf.cast(tf.cast(_sigmoid_proba(logits) > 0.5, tf.float32) == y, tf.float32)


def _categorical_hits(logits, y):  # keras.metrics.(Sparse)CategoricalAccuracy: argmax of the probabilities
    return tf.cast(tf.cast(tf.argmax(_softmax_proba(logits), axis=-1), tf.float32) == y, tf.float32)


def _indices(y):
    return tf.cast(y, tf.int32)


def _value(logits):
    return logits[..., 0]


def _no_hits(logits, y):
    return tf.zeros_like(y)


def _regression(on_error) -> Head:
    """A ``dense(1, linear)`` head whose per-row loss is ``on_error(prediction - y)``."""
    return Head("linear", lambda y, logits: on_error(_value(logits) - y), _value, _no_hits)


def _huber(error, delta: float = 1.0):  # keras.losses.huber
    magnitude = tf.abs(error)
    return tf.where(magnitude <= delta, 0.5 * tf.square(error), delta * magnitude - 0.5 * delta**2)


def _log_cosh(error):  # keras.losses.log_cosh: x + softplus(-2x) - log(2)
    return error + tf.math.softplus(-2.0 * error) - tf.math.log(2.0)


HEADS = {
    "binary_crossentropy": Head(
        "sigmoid", lambda y, logits: tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits[..., 0]),
        _sigmoid_proba, _binary_hits),
    "categorical_crossentropy": Head(
        "softmax", lambda y, logits: tf.nn.softmax_cross_entropy_with_logits(
            labels=tf.one_hot(_indices(y), tf.shape(logits)[-1]), logits=logits),
        _softmax_proba, _categorical_hits),
    "sparse_categorical_crossentropy": Head(
        "softmax", lambda y, logits: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=_indices(y), logits=logits),
        _softmax_proba, _categorical_hits),
    "mse": _regression(tf.square),
    "mae": _regression(tf.abs),
    "huber": _regression(_huber),
    "log_cosh": _regression(_log_cosh),
}
