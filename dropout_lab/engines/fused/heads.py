"""The fused engine's output layers with their losses, computed as Keras 3 computes them.

Keras 3's sigmoid and softmax activations keep their input on the output tensor
(``_keras_logits``), and its binary, categorical and sparse categorical cross-entropies
use those logits instead of clipped probabilities
(``keras/src/backend/tensorflow/nn.py``, ``_get_logits``).  So does each head here: its
loss takes the logits of the output layer.  Its accuracy is Keras' ``BinaryAccuracy``
(p > 0.5) or ``(Sparse)CategoricalAccuracy`` (the argmax of the probabilities; the
first class on ties).
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
}
