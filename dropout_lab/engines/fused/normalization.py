"""Stacked ``batch_normalization`` of the fused engine, as Keras 3's ``BatchNormalization``.

Each model has its own four arrays ``[models, channels]`` in the flat list of weights, in
Keras' order: ``gamma`` and ``beta`` (trained by the optimizer like any weight), then the
moving mean and moving variance (:data:`STATE`: not trained, carried from step to step).
The channels are the last axis (Keras' ``axis=-1``): a dense layer's units, a feature
map's channels, a sequence's features.

In training (:func:`train`) each model normalizes with the mean and the biased variance
of its own valid rows in the step (padding rows weigh 0), over every axis but the
channels (rows and a feature map's positions), as ``tf.nn.moments``; its moving
statistics become ``moving * momentum + batch * (1 - momentum)``.  At inference
(:func:`infer`: predictions, validation, Monte Carlo dropout passes, where the SciKeras
engine calls the layer with ``training=False``) it normalizes with the moving
statistics.  Either way the output is ``tf.nn.batch_normalization``'s
``x * inv + (beta - mean * inv)`` with ``inv = gamma / sqrt(variance + epsilon)``.

Each model's numbers are computed the same way whatever is stacked with it: the sums run
along the last axis of a per-model slab, and the reciprocal square root on rows padded to
whole SIMD packets (:func:`.stacking.lanes`).
"""

from __future__ import annotations

import tensorflow as tf

from .stacking import lanes

ARRAYS = {"batch_normalization": 4}  # arrays per layer: gamma, beta, moving mean, moving variance
STATE = (2, 3)  # of a layer's arrays, those the optimizer does not train: the moving statistics


def _channels(column: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """A ``[models, channels]`` array reshaped to broadcast against ``like``."""
    return tf.reshape(column, [tf.shape(column)[0], *[1] * (len(like.shape) - 2), column.shape[-1]])


def _rsqrt(x: tf.Tensor) -> tf.Tensor:
    """``tf.math.rsqrt`` of ``[models, channels]``, each model's row padded to whole packets."""
    channels = x.shape[-1]
    padded = tf.pad(x, [[0, 0], [0, lanes(channels) - channels]], constant_values=1.0)
    return tf.math.rsqrt(padded)[:, :channels]


def _normalize(h: tf.Tensor, w, mean: tf.Tensor, variance: tf.Tensor, epsilon: float) -> tf.Tensor:
    """``tf.nn.batch_normalization(h, mean, variance, beta, gamma, epsilon)`` per model."""
    inv = _rsqrt(variance + epsilon) * w[0]
    return h * _channels(inv, h) + _channels(w[1] - mean * inv, h)


def moments(h: tf.Tensor, valid: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Each model's mean and biased variance ``[models, channels]`` over its valid rows
    (``valid``: ``[models, rows]`` of 1 and 0) and every axis but the channels."""
    models, channels = tf.shape(h)[0], h.shape[-1]
    weight = tf.reshape(valid, [models, tf.shape(valid)[1], *[1] * (len(h.shape) - 2)])
    weight = tf.broadcast_to(weight, tf.shape(h[..., :1]))
    # [models, channels, values]: each sum along the last axis (see the module's docstring)
    values = tf.transpose(tf.reshape(h, [models, -1, channels]), [0, 2, 1])
    weight = tf.transpose(tf.reshape(weight, [models, -1, 1]), [0, 2, 1])
    count = tf.maximum(tf.reduce_sum(weight, 2), 1.0)  # [models, 1]; a model without rows: 0 / 1
    mean = tf.reduce_sum(values * weight, 2) / count
    # as tf.nn.moments: the squared distance to the mean, its gradient not through the mean
    variance = tf.reduce_sum(tf.square(values - tf.stop_gradient(mean)[:, :, None]) * weight, 2) / count
    return mean, variance


def infer(entry: tuple, h: tf.Tensor, w) -> tf.Tensor:
    """The layer at inference: normalized with each model's moving statistics."""
    _, _, epsilon = entry
    return _normalize(h, w, w[2], w[3], epsilon)


def train(entry: tuple, h: tf.Tensor, w, valid: tf.Tensor) -> tuple[tf.Tensor, dict[int, tf.Tensor]]:
    """The layer in a training step: normalized with each model's batch statistics over its
    ``valid`` rows; returns the output and the new moving statistics by their index among
    the layer's arrays (:data:`STATE`)."""
    _, momentum, epsilon = entry
    mean, variance = moments(h, valid)
    moving = (w[2] * momentum + mean * (1.0 - momentum), w[3] * momentum + variance * (1.0 - momentum))
    return _normalize(h, w, mean, variance, epsilon), dict(zip(STATE, moving, strict=True))
