"""Core layer kinds: ``dense`` and ``dropout``."""

from __future__ import annotations

from typing import Literal

from ..config.types import Activation, Initializer, MaxNorm, PositiveInt, Rate, Section
from .registry import register


class DenseLayer(Section):
    """``keras.layers.Dense``; ``max_norm`` constrains each unit's incoming weight vector."""

    type: Literal["dense"]
    units: PositiveInt
    activation: Activation = "relu"
    max_norm: MaxNorm = None
    kernel_initializer: Initializer = "glorot_uniform"


class DropoutLayer(Section):
    """``keras.layers.Dropout``: in training, zeroes each input with probability ``rate``
    and scales the kept ones by ``1 / (1 - rate)``; at inference, the identity."""

    type: Literal["dropout"]
    rate: Rate


def _dense_params(spec: DenseLayer, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """A kernel (last input axis x units) and a bias (units)."""
    return shape[-1] * spec.units + spec.units, (*shape[:-1], spec.units)


@register(DenseLayer, params=_dense_params)
def _dense(spec: DenseLayer):
    import keras

    constraint = keras.constraints.MaxNorm(max_value=spec.max_norm) if spec.max_norm else None
    return keras.layers.Dense(
        spec.units,
        activation=spec.activation,
        kernel_initializer=spec.kernel_initializer,
        kernel_constraint=constraint,
    )


@register(DropoutLayer, params=lambda spec, shape: (0, shape))
def _dropout(spec: DropoutLayer):
    import keras

    return keras.layers.Dropout(spec.rate)
