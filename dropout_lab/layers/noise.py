"""Dropout variants and noise layers: ``spatial_dropout1d/2d``, ``gaussian_dropout``,
``alpha_dropout`` and ``gaussian_noise``.  Each acts in training only; at inference it is
the identity."""

from __future__ import annotations

from typing import Annotated, Literal

from ..types import Rate, expect, is_float
from .options import LayerSpec
from .registry import IMAGE, SEQUENCE, register, same_shape

StdDev = Annotated[float, expect("a float in [0, 1]", lambda v: is_float(v) and 0 <= v <= 1)]


class SpatialDropout1DLayer(LayerSpec):
    """``keras.layers.SpatialDropout1D`` over (steps, features): drops whole feature
    channels (the same features at every step) with probability ``rate``, scaling the kept
    ones by ``1 / (1 - rate)``."""

    type: Literal["spatial_dropout1d"]
    """The layer kind."""
    rate: Rate
    """The probability of dropping a whole feature channel."""


class SpatialDropout2DLayer(LayerSpec):
    """``keras.layers.SpatialDropout2D`` over (rows, cols, channels): drops whole feature
    maps with probability ``rate``, scaling the kept ones by ``1 / (1 - rate)``."""

    type: Literal["spatial_dropout2d"]
    """The layer kind."""
    rate: Rate
    """The probability of dropping a whole feature map."""


class GaussianDropoutLayer(LayerSpec):
    """``keras.layers.GaussianDropout``: multiplies each input by noise drawn from
    N(1, rate / (1 - rate))."""

    type: Literal["gaussian_dropout"]
    """The layer kind."""
    rate: Rate
    """The noise's rate: multiplicative noise N(1, rate / (1 - rate))."""


class AlphaDropoutLayer(LayerSpec):
    """``keras.layers.AlphaDropout`` (for selu networks): sets dropped inputs to selu's
    negative saturation value, then an affine map that keeps the inputs' mean and variance."""

    type: Literal["alpha_dropout"]
    """The layer kind."""
    rate: Rate
    """The share of inputs dropped."""


class GaussianNoiseLayer(LayerSpec):
    """``keras.layers.GaussianNoise``: adds noise drawn from N(0, stddev**2) to each input."""

    type: Literal["gaussian_noise"]
    """The layer kind."""
    stddev: StdDev
    """Standard deviation of the additive noise."""


@register(SpatialDropout1DLayer, needs=SEQUENCE, params=same_shape, mc_dropout=True, fused=("rate",))
def _spatial_dropout1d(spec):
    import keras

    return keras.layers.SpatialDropout1D(spec.rate)


@register(SpatialDropout2DLayer, needs=IMAGE, params=same_shape, mc_dropout=True, fused=("rate",))
def _spatial_dropout2d(spec):
    import keras

    return keras.layers.SpatialDropout2D(spec.rate)


@register(GaussianDropoutLayer, params=same_shape, mc_dropout=True, fused=("rate",))
def _gaussian_dropout(spec):
    import keras

    return keras.layers.GaussianDropout(spec.rate)


@register(AlphaDropoutLayer, params=same_shape, mc_dropout=True, fused=("rate",))
def _alpha_dropout(spec):
    import keras

    return keras.layers.AlphaDropout(spec.rate)


@register(GaussianNoiseLayer, params=same_shape, fused=("stddev",))
def _gaussian_noise(spec):
    import keras

    return keras.layers.GaussianNoise(spec.stddev)
