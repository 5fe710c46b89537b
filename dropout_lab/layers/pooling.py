"""Pooling layer kinds: max and average pooling over windows, and global average pooling."""

from __future__ import annotations

from typing import Literal

from .options import (
    LayerSpec,
    OptionalSize1D,
    OptionalSize2D,
    Padding,
    Size1D,
    Size2D,
    keras_size,
    window_output,
)
from .registry import IMAGE, SEQUENCE, register


class _Pooling1D(LayerSpec):
    type: str  # each kind narrows it to its name; declared here so that it comes first
    """The layer kind."""
    pool_size: Size1D = 2
    """The window's length in steps."""
    strides: OptionalSize1D = None
    """The window's step; null: pool_size."""
    padding: Padding = "valid"
    """valid: no padding; same: pad so that every step is covered."""


class _Pooling2D(LayerSpec):
    type: str  # each kind narrows it to its name; declared here so that it comes first
    """The layer kind."""
    pool_size: Size2D = 2
    """The window: an integer, or [rows, cols]."""
    strides: OptionalSize2D = None
    """The window's step; null: pool_size."""
    padding: Padding = "valid"
    """valid: no padding; same: pad so that every position is covered."""


class MaxPooling1DLayer(_Pooling1D):
    """``keras.layers.MaxPooling1D``: the largest value of each window of ``pool_size``
    steps; ``strides`` null means ``pool_size``."""

    type: Literal["max_pooling1d"]
    """The layer kind."""


class MaxPooling2DLayer(_Pooling2D):
    """``keras.layers.MaxPooling2D``: the largest value of each ``pool_size`` window of
    each feature map; ``strides`` null means ``pool_size``."""

    type: Literal["max_pooling2d"]
    """The layer kind."""


class AveragePooling1DLayer(_Pooling1D):
    """``keras.layers.AveragePooling1D``: the mean of each window of ``pool_size`` steps."""

    type: Literal["average_pooling1d"]
    """The layer kind."""


class AveragePooling2DLayer(_Pooling2D):
    """``keras.layers.AveragePooling2D``: the mean of each ``pool_size`` window."""

    type: Literal["average_pooling2d"]
    """The layer kind."""


class GlobalAveragePooling1DLayer(LayerSpec):
    """``keras.layers.GlobalAveragePooling1D``: (steps, features) -> (features,), the mean over steps."""

    type: Literal["global_average_pooling1d"]
    """The layer kind."""


class GlobalAveragePooling2DLayer(LayerSpec):
    """``keras.layers.GlobalAveragePooling2D``: (rows, cols, channels) -> (channels,), each map's mean."""

    type: Literal["global_average_pooling2d"]
    """The layer kind."""


def _pooling(cls, spec):
    return cls(pool_size=keras_size(spec.pool_size), strides=keras_size(spec.strides), padding=spec.padding)


def _pooling_params(spec, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """No weights; each channel pooled over its windows."""
    return 0, (*window_output(shape[:-1], spec.pool_size, spec.strides, spec.padding), shape[-1])


def _global_params(spec, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """No weights; one value per channel."""
    return 0, (shape[-1],)


@register(MaxPooling1DLayer, needs=SEQUENCE, params=_pooling_params, fused=("pool_size", "strides", "padding"))
def _max_pooling1d(spec):
    import keras

    return _pooling(keras.layers.MaxPooling1D, spec)


@register(MaxPooling2DLayer, needs=IMAGE, params=_pooling_params, fused=("pool_size", "strides", "padding"))
def _max_pooling2d(spec):
    import keras

    return _pooling(keras.layers.MaxPooling2D, spec)


@register(AveragePooling1DLayer, needs=SEQUENCE, params=_pooling_params, fused=("pool_size", "strides", "padding"))
def _average_pooling1d(spec):
    import keras

    return _pooling(keras.layers.AveragePooling1D, spec)


@register(AveragePooling2DLayer, needs=IMAGE, params=_pooling_params, fused=("pool_size", "strides", "padding"))
def _average_pooling2d(spec):
    import keras

    return _pooling(keras.layers.AveragePooling2D, spec)


@register(GlobalAveragePooling1DLayer, needs=SEQUENCE, params=_global_params, fused=())
def _global_average_pooling1d(spec):
    import keras

    return keras.layers.GlobalAveragePooling1D()


@register(GlobalAveragePooling2DLayer, needs=IMAGE, params=_global_params, fused=())
def _global_average_pooling2d(spec):
    import keras

    return keras.layers.GlobalAveragePooling2D()
