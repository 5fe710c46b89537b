"""The fused engine's random numbers: counter-based streams per model, the row order of
each epoch, and the noise layers drawn from them.

Each model draws from its own key and a stream counter (its own count of updates, or
the epoch), so its numbers do not depend on the models it is stacked with.  The noise
layers (:data:`NOISE_LAYERS`) act on each value alone, in training only, as their Keras
layers compute it from their noise: ``Dropout`` (inverted: kept units scaled by
``1/(1-rate)``), ``GaussianDropout`` (times noise from N(1, rate/(1-rate))),
``GaussianNoise`` (plus noise from N(0, stddev**2)), ``AlphaDropout`` (dropped units
set to selu's saturation value, then Keras' affine map) and ``SpatialDropout1D/2D``
(dropout of whole channels: one draw per row and channel).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import tensorflow as tf

from .spatial import spatial_mask_shape
from .stacking import bc as _bc

# keras.layers.AlphaDropout's constants: selu's alpha and scale
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946

_U32 = tf.uint32


def _u32(value: int) -> tf.Tensor:
    return tf.constant(value, _U32)


def _fmix(h: tf.Tensor) -> tf.Tensor:
    """MurmurHash3's 32-bit finalizer: a bijection with full avalanche."""
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, _u32(16)))
    h = h * _u32(0x85EBCA6B)
    h = tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, _u32(13)))
    h = h * _u32(0xC2B2AE35)
    return tf.bitwise.bitwise_xor(h, tf.bitwise.right_shift(h, _u32(16)))


def _bits(key: tf.Tensor, counter: tf.Tensor, size) -> tf.Tensor:
    """Counter-based random words from each model's key, a stream counter and the element
    index, mixed in two rounds: ``[models, size]`` for a counter that is a scalar or one per
    model, ``[models, streams, size]`` for one per model and stream (each stream's words the
    ones its counter alone gives)."""
    counter = tf.cast(counter, _U32)
    key = key[:, None] if len(counter.shape) == 2 else key
    base = _fmix(tf.bitwise.bitwise_xor(key, _fmix(counter + _u32(0x632BE5AB))))  # [models(, streams)]
    index = _fmix(tf.cast(tf.range(size), _U32) * _u32(0x9E3779B9) + _u32(0x7F4A7C15))
    return _fmix(tf.bitwise.bitwise_xor(base[..., None], index))


def _uniform(words: tf.Tensor) -> tf.Tensor:
    """Random words to float32 uniforms in [0, 1) on a 2**-24 grid."""
    return tf.cast(tf.bitwise.right_shift(words, _u32(8)), tf.float32) * (2.0**-24)


def uniform_like(h, key, counter) -> tf.Tensor:
    """Uniforms in [0, 1) shaped like ``h``, per model from its key and the stream ``counter``."""
    return _uniform(tf.reshape(_bits(key, counter, tf.reduce_prod(tf.shape(h)[1:])), tf.shape(h)))


def normal_like(h, key, counter) -> tf.Tensor:
    """Standard normal deviates shaped like ``h`` (Box-Muller on two uniform streams),
    per model from its key and the stream ``counter``."""
    size = tf.reduce_prod(tf.shape(h)[1:])
    words = _bits(key, counter, 2 * size)
    u1 = (tf.cast(tf.bitwise.right_shift(words[:, :size], _u32(8)), tf.float32) + 1.0) * (2.0**-24)  # (0, 1]
    u2 = _uniform(words[:, size:])
    z = tf.sqrt(-2.0 * tf.math.log(u1)) * tf.cos((2 * math.pi) * u2)
    return tf.reshape(z, tf.shape(h))


def order(key, epoch, n_train, width):
    """Each model's row order for one epoch ``[models, width]``: a permutation of its
    ``n_train`` rows, then its padding rows."""
    words = tf.bitcast(tf.bitwise.right_shift(_bits(key, epoch, width), _u32(1)), tf.int32)
    rank = tf.where(tf.range(width)[None, :] < n_train[:, None], words, -1)
    return tf.argsort(rank, axis=1, direction="DESCENDING", stable=True)


def dropout(h, rate, scale, key, counter):
    """``keras.layers.Dropout`` in training: keep where uniform >= rate, scale kept units
    by ``1/(1-rate)``; one mask per model from its key and the stream ``counter``."""
    noise = uniform_like(h, key, counter)
    return tf.where(noise >= _bc(rate, h), h * _bc(scale, h), 0.0)


def spatial_mask(shape, rate, scale, key, counter) -> tf.Tensor:
    """A spatial dropout's mask of ``shape`` (:func:`.spatial.spatial_mask_shape`): per model,
    row and channel 0 or the scale ``1/(1-rate)``."""
    noise = uniform_like(tf.zeros(shape), key, counter)
    return tf.where(noise >= _bc(rate, noise), _bc(scale, noise), 0.0)


def dropout_masks(shape, rates, scales, key, counters) -> tf.Tensor:
    """Dropout masks of several streams at once ``[models, streams, *shape]`` (0 or the
    scale), each what :func:`dropout` of ones shaped ``[models, *shape]`` draws from its
    stream: ``rates``, ``scales`` and ``counters`` are ``[models, streams]``.  A recurrent
    layer's per-gate masks: one op per step of the hash, not one per gate."""
    words = _bits(key, counters, tf.reduce_prod(shape))
    noise = tf.reshape(_uniform(words), tf.concat([tf.shape(words)[:2], shape], 0))
    column = tf.concat([tf.shape(rates), tf.ones_like(shape)], 0)
    return tf.where(noise >= tf.reshape(rates, column), tf.reshape(scales, column), 0.0)


def _spatial_dropout(h, rate, params, key, counter):
    """``keras.layers.SpatialDropout1D/2D``: dropout with one draw per model, row and
    channel, the same at every position of the sample."""
    # the mask (0 or the scale) per channel times h: a broadcast product, not a broadcast select
    return h * spatial_mask(spatial_mask_shape(h), rate, params[0], key, counter)


def _unless_off(rate, out, h):
    """``out``, except for a model whose rate is 0: it passes ``h`` through, as Keras does."""
    return tf.where(_bc(rate, h) > 0, out, h)


def _gaussian_dropout(h, rate, params, key, counter):  # inputs * normal(mean=1, stddev)
    return _unless_off(rate, h * (normal_like(h, key, counter) * _bc(params[0], h) + 1.0), h)


def _gaussian_noise(h, rate, params, key, counter):  # inputs + normal(mean=0, stddev)
    return _unless_off(rate, h + (normal_like(h, key, counter) * _bc(params[0], h) + 0.0), h)


def _alpha_dropout(h, rate, params, key, counter):  # a * where(kept, inputs, alpha_p) + b
    kept = tf.cast(uniform_like(h, key, counter) >= _bc(rate, h), h.dtype)
    x = h * kept + (-SELU_ALPHA * SELU_SCALE) * (1 - kept)
    return _unless_off(rate, _bc(params[0], h) * x + _bc(params[1], h), h)


def _alpha_params(layer) -> tuple[float, float]:
    """Alpha dropout's affine map (a, b), as Keras computes it."""
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - layer.rate) * (1 + layer.rate * alpha_p**2)) ** -0.5
    return a, -a * alpha_p * layer.rate


@dataclass(frozen=True)
class Noise:
    """A noise layer: the option that sets its strength (``level``), its per-model numbers
    from its config section (``params``: computed as Keras computes them, in Python floats,
    then float32) and what it does in training (``apply(h, level, params, key, counter)``)."""

    level: str
    params: Callable[[object], tuple[float, ...]]
    apply: Callable


NOISE_LAYERS = {
    "dropout": Noise("rate", lambda layer: (1 / (1 - layer.rate),),
                     lambda h, rate, params, key, counter: dropout(h, rate, params[0], key, counter)),
    "gaussian_dropout": Noise("rate", lambda layer: (math.sqrt(layer.rate / (1.0 - layer.rate)),), _gaussian_dropout),
    "alpha_dropout": Noise("rate", _alpha_params, _alpha_dropout),
    "gaussian_noise": Noise("stddev", lambda layer: (layer.stddev,), _gaussian_noise),
    "spatial_dropout1d": Noise("rate", lambda layer: (1 / (1 - layer.rate),), _spatial_dropout),
    "spatial_dropout2d": Noise("rate", lambda layer: (1 / (1 - layer.rate),), _spatial_dropout),
}
NOISE = tuple(NOISE_LAYERS)  # the layers the engine draws noise for


def noise(kind: str, h, rate, params, key, counter):
    """A noise layer in training: ``rate`` is each model's level (stddev for gaussian_noise),
    ``params`` its :func:`params` columns."""
    return NOISE_LAYERS[kind].apply(h, rate, params, key, counter)


def level(layer) -> float:
    """A noise layer's strength: its rate, or its stddev."""
    return getattr(layer, NOISE_LAYERS[layer.type].level)


def params(layer) -> tuple[float, ...]:
    """A noise layer's per-model numbers: dropout's scale 1/(1-rate), the Gaussian noises'
    standard deviations, alpha dropout's affine map (a, b)."""
    return NOISE_LAYERS[layer.type].params(layer)
