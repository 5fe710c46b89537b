"""Stacked convolutions, pooling and reshapes of the fused engine, channels last.

A stacked tensor is ``[models, rows, *axes, channels]``.  In graph mode a convolution
or a pooling layer is one TensorFlow op for all models, the models folded into the
channels (``[rows, *axes, models * channels]``): a grouped convolution whose groups are
the models, TensorFlow's pooling (each channel alone), as Keras computes them with
oneDNN; the forward pass keeps consecutive such layers folded (:func:`fold`,
:func:`unfold`; ``forward.FOLDED_FORWARD``). Under XLA, whose CPU convolutions are slow,
a convolution cuts each model's rows into patches (one shifted slice of the padded maps
per kernel offset, concatenated in the order of Keras' kernel ``[*window, in, out]``
flattened) and multiplies them by that model's kernel: one batched matrix product for
all models, as for a dense layer. Shifted slices rather than
``tf.image.extract_patches``: XLA compiles them and their gradient is a cheap
pad-and-add. Pooling under XLA works on the window's slices too (a maximum or a mean
over them), which XLA compiles deterministically. Padding ``same`` pads as TensorFlow
(and Keras) does: the output has ``ceil(size / stride)`` positions, the padding split
with the odd one after.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import tensorflow as tf


def _lead(h: tf.Tensor) -> tf.Tensor:
    return tf.shape(h)[:2]  # models, rows


def reshape(h: tf.Tensor, shape: tuple[int, ...]) -> tf.Tensor:
    """Flat rows ``[models, rows, features]`` as samples of ``shape`` (row-major, as
    ``keras.layers.Reshape``)."""
    return tf.reshape(h, tf.concat([_lead(h), list(shape)], 0))


def flatten(h: tf.Tensor) -> tf.Tensor:
    """``keras.layers.Flatten``: each sample's axes into one (row-major)."""
    return tf.reshape(h, tf.concat([_lead(h), [math.prod(h.shape[2:])]], 0))


def _window(size: int, k: int, stride: int, padding: str) -> tuple[int, int, int]:
    """(output positions, padding before, padding after) of one axis."""
    if padding == "valid":
        return (size - k) // stride + 1, 0, 0
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return out, total // 2, total - total // 2


def patches(h: tf.Tensor, window: tuple[int, ...], strides: tuple[int, ...], padding: str):
    """Each output position's inputs ``[models, rows, *out, prod(window) * channels]``
    (window offsets row-major, channels last), and the output positions ``out``."""
    cuts, out = _cuts(h, window, strides, padding)
    return (tf.concat(cuts, -1) if len(cuts) > 1 else cuts[0]), out


def conv(h: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, window: tuple[int, ...], strides: tuple[int, ...],
         padding: str) -> tf.Tensor:
    """``keras.layers.Conv1D``/``Conv2D`` before the activation, each model with its own
    kernel ``[models, *window, in, out]`` and bias ``[models, out]``, as the patches times
    each model's kernel: one batched matrix product.  XLA's form (its CPU convolutions are
    many times slower); graph mode runs :func:`grouped_conv` on folded maps instead
    (docs/studies/fused-cnn-rnn.md has the figures)."""
    p, out = patches(h, window, strides, padding)
    filters = kernel.shape[-1]
    models = tf.shape(kernel)[0]
    y = tf.linalg.matmul(tf.reshape(p, [models, -1, p.shape[-1]]), tf.reshape(kernel, [models, -1, filters]))
    y = y + bias[:, None, :]
    return tf.reshape(y, tf.concat([_lead(h), out, [filters]], 0))


def fold(h: tf.Tensor) -> tf.Tensor:
    """Stacked maps ``[models, rows, *axes, channels]`` with the models folded into the
    channels: ``[rows, *axes, models * channels]`` (model ``m``'s channels the ``m``-th
    block), the layout of :func:`grouped_conv` and :func:`folded_pool`."""
    models, n = h.shape[0], len(h.shape) - 3  # spatial axes
    x = tf.transpose(h, [1, *range(2, 2 + n), 0, 2 + n])  # [rows, *axes, models, channels]
    return tf.reshape(x, tf.concat([tf.shape(x)[: 1 + n], [models * h.shape[-1]]], 0))


def unfold(y: tf.Tensor, models: int) -> tf.Tensor:
    """:func:`fold`'s inverse: ``[rows, *axes, models * channels]`` back as ``[models, rows, *axes, channels]``."""
    n = len(y.shape) - 2
    y = tf.reshape(y, tf.concat([tf.shape(y)[: 1 + n], [models, y.shape[-1] // models]], 0))
    return tf.transpose(y, [1 + n, 0, *range(1, 1 + n), 2 + n])


def grouped_conv(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, strides, padding: str) -> tf.Tensor:
    """One grouped TensorFlow convolution for every model, on and to folded maps
    (:func:`fold`): model ``m``'s kernel ``[*window, in, out]`` the ``m``-th group, so each
    model's outputs are its own convolution's; then each model's bias."""
    models, n = kernel.shape[0], len(kernel.shape) - 3  # spatial axes
    k = tf.transpose(kernel, [*range(1, 2 + n), 0, 2 + n])  # [*window, in, models, filters]
    k = tf.reshape(k, [*kernel.shape[1:-1], models * kernel.shape[-1]])
    return tf.nn.convolution(x, k, strides=list(strides), padding=padding.upper()) + tf.reshape(bias, [-1])


def folded_pool(x: tf.Tensor, op: str, size, strides, padding: str) -> tf.Tensor:
    """TensorFlow's pooling (what Keras calls) on folded maps (:func:`fold`): each channel alone."""
    pooled = tf.nn.max_pool if op == "max" else tf.nn.avg_pool
    return pooled(x, list(size), list(strides), padding.upper())


def _cuts(h: tf.Tensor, window, strides, padding: str, fill: float = 0.0):
    """One strided slice of the (padded) maps per window offset, and the output positions."""
    axes = [_window(n, k, s, padding) for n, k, s in zip(h.shape[2:-1], window, strides, strict=True)]
    if padding != "valid":
        h = tf.pad(h, [[0, 0], [0, 0], *([before, after] for _, before, after in axes), [0, 0]], constant_values=fill)
    cuts = []
    for offset in itertools.product(*(range(k) for k in window)):
        index = tuple(slice(o, o + (n - 1) * s + 1, s) for o, (n, _, _), s in zip(offset, axes, strides, strict=True))
        cuts.append(h[(slice(None), slice(None), *index, slice(None))])
    return cuts, [n for n, _, _ in axes]


def pool(h: tf.Tensor, op: str, size: tuple[int, ...], strides: tuple[int, ...], padding: str) -> tf.Tensor:
    """``keras.layers.MaxPooling1D/2D`` (``op`` max) or ``AveragePooling1D/2D`` (average:
    padding ``same`` left out of each window's count, as ``tf.nn.avg_pool``) from the
    window's slices: XLA's form (TensorFlow's MaxPoolGrad has no deterministic XLA kernel,
    a maximum over slices has); graph mode runs :func:`folded_pool` on folded maps instead."""
    if op == "max":
        return tf.reduce_max(tf.stack(_cuts(h, size, strides, padding, float("-inf"))[0]), 0)
    cuts, _ = _cuts(h, size, strides, padding)
    total = tf.add_n(cuts) if len(cuts) > 1 else cuts[0]
    if padding == "valid":
        return total / float(math.prod(size))
    ones = np.ones([1, 1, *h.shape[2:-1], 1], "float32")
    count = sum(_cuts(tf.constant(ones), size, strides, padding)[0])  # in-bounds inputs of each window
    return total / count


def global_average(h: tf.Tensor) -> tf.Tensor:
    """``keras.layers.GlobalAveragePooling1D/2D``: each channel's mean over the sample's positions."""
    return tf.reduce_mean(h, axis=list(range(2, len(h.shape) - 1)))


def spatial_mask_shape(h: tf.Tensor) -> tf.Tensor:
    """The shape of a spatial dropout's noise: one value per model, row and channel
    (``[models, rows, 1, ..., 1, channels]``, as Keras' ``noise_shape``)."""
    return tf.concat([_lead(h), [1] * (len(h.shape) - 3), [h.shape[-1]]], 0)
