"""Convolution layer kinds: ``conv1d`` (sequences) and ``conv2d`` (images), channels last."""

from __future__ import annotations

import math
from typing import Literal

from ..types import Activation, Initializer, MaxNorm, PositiveInt
from .options import (
    KernelRegularizer,
    LayerSpec,
    Padding,
    Size1D,
    Size2D,
    as_tuple,
    keras_size,
    kernel_regularizer,
    max_norm,
    window_output,
)
from .registry import IMAGE, SEQUENCE, register


class _Conv(LayerSpec):
    type: str  # each kind narrows it to its name; declared here so that it comes first
    """The layer kind."""
    filters: PositiveInt
    """Output channels (filters)."""
    padding: Padding = "valid"
    """valid: no padding; same: pad so that the output keeps the input's length (stride 1)."""
    activation: Activation = "relu"
    """The activation function."""
    kernel_initializer: Initializer = "glorot_uniform"
    """How the kernel's weights are initialized."""
    max_norm: MaxNorm = None
    """Max-norm constraint on each filter over its window and input channels; null: none."""
    kernel_regularizer: KernelRegularizer | None = None
    """An L1/L2 penalty on the kernel, added to the training loss; null: none."""


class Conv1DLayer(_Conv):
    """``keras.layers.Conv1D`` over (steps, features); ``max_norm`` constrains each filter's
    weights over its window and input channels together (``MaxNorm(axis=[0, 1])``)."""

    type: Literal["conv1d"]
    """The layer kind."""
    kernel_size: Size1D
    """The window's length in steps."""
    strides: Size1D = 1
    """The window's step."""


class Conv2DLayer(_Conv):
    """``keras.layers.Conv2D`` over (rows, cols, channels); ``kernel_size`` and ``strides``
    are one integer or [rows, cols]; ``max_norm`` constrains each filter's weights over its
    window and input channels together (``MaxNorm(axis=[0, 1, 2])``, as Keras documents)."""

    type: Literal["conv2d"]
    """The layer kind."""
    kernel_size: Size2D
    """The window: an integer, or [rows, cols]."""
    strides: Size2D = 1
    """The window's step: an integer, or [rows, cols]."""


def _conv(cls, spec: _Conv, axis: list[int]):
    return cls(
        spec.filters,
        keras_size(spec.kernel_size),
        strides=keras_size(spec.strides),
        padding=spec.padding,
        activation=spec.activation,
        kernel_initializer=spec.kernel_initializer,
        kernel_constraint=max_norm(spec.max_norm, axis=axis),
        kernel_regularizer=kernel_regularizer(spec.kernel_regularizer),
    )


def _conv_params(spec: _Conv, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """A kernel (window x input channels x filters) and a bias (filters)."""
    spatial, channels = shape[:-1], shape[-1]
    window = math.prod(as_tuple(spec.kernel_size, len(spatial)))
    out = window_output(spatial, spec.kernel_size, spec.strides, spec.padding)
    return window * channels * spec.filters + spec.filters, (*out, spec.filters)


# every option of a convolution is trained by the fused engine
_FUSED = ("filters", "kernel_size", "strides", "padding", "activation", "kernel_initializer", "max_norm",
          "kernel_regularizer")


@register(Conv1DLayer, needs=SEQUENCE, params=_conv_params, fused=_FUSED)
def _conv1d(spec: Conv1DLayer):
    import keras

    return _conv(keras.layers.Conv1D, spec, axis=[0, 1])


@register(Conv2DLayer, needs=IMAGE, params=_conv_params, fused=_FUSED)
def _conv2d(spec: Conv2DLayer):
    import keras

    return _conv(keras.layers.Conv2D, spec, axis=[0, 1, 2])
