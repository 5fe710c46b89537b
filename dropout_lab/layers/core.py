"""Core layer kinds: ``dense`` and ``dropout``."""

from __future__ import annotations

from typing import Literal

from ..types import Activation, Initializer, MaxNorm, PositiveInt, Rate
from .options import KernelRegularizer, LayerSpec, kernel_regularizer, max_norm
from .registry import FLAT, register, same_shape


class DenseLayer(LayerSpec):
    """``keras.layers.Dense``; ``max_norm`` constrains each unit's incoming weight vector."""

    type: Literal["dense"]
    """The layer kind."""
    units: PositiveInt
    """Output units."""
    activation: Activation = "relu"
    """The activation function (softmax for a multi-class output)."""
    max_norm: MaxNorm = None
    """Max-norm constraint on each unit's incoming weight vector; null: none."""
    kernel_initializer: Initializer = "glorot_uniform"
    """How the kernel's weights are initialized."""
    kernel_regularizer: KernelRegularizer | None = None
    """An L1/L2 penalty on the kernel, added to the training loss; null: none."""


class DropoutLayer(LayerSpec):
    """``keras.layers.Dropout``: in training, zeroes each input with probability ``rate``
    and scales the kept ones by ``1 / (1 - rate)``; at inference, the identity."""

    type: Literal["dropout"]
    """The layer kind."""
    rate: Rate
    """The share of inputs set to 0 in training (the kept ones are scaled by 1 / (1 - rate))."""


def _dense_params(spec: DenseLayer, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """A kernel (last input axis x units) and a bias (units)."""
    return shape[-1] * spec.units + spec.units, (*shape[:-1], spec.units)


@register(DenseLayer, needs=FLAT, params=_dense_params,
          fused=("units", "activation", "max_norm", "kernel_initializer", "kernel_regularizer"))
def _dense(spec: DenseLayer):
    import keras

    return keras.layers.Dense(
        spec.units,
        activation=spec.activation,
        kernel_initializer=spec.kernel_initializer,
        kernel_constraint=max_norm(spec.max_norm, axis=0),
        kernel_regularizer=kernel_regularizer(spec.kernel_regularizer),
    )


@register(DropoutLayer, params=same_shape, mc_dropout=True, fused=("rate",))
def _dropout(spec: DropoutLayer):
    import keras

    return keras.layers.Dropout(spec.rate)
