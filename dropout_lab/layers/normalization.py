"""Normalization layer kinds: ``batch_normalization``."""

from __future__ import annotations

from typing import Annotated, Literal

from ..types import PositiveFloat, expect, is_float
from .options import LayerSpec
from .registry import register


class BatchNormalizationLayer(LayerSpec):
    """``keras.layers.BatchNormalization`` over the last axis (features or channels): in
    training, each batch's mean and variance; at inference, their moving averages
    (updated with ``momentum``)."""

    type: Literal["batch_normalization"]
    """The layer kind."""
    momentum: Annotated[float, expect("a float in [0, 1)", lambda v: is_float(v) and 0 <= v < 1)] = 0.99
    """Momentum of the moving mean and variance used at inference."""
    epsilon: PositiveFloat = 1e-3
    """Added to the variance for numerical stability."""


def _batch_normalization_params(spec, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Per feature (last axis): gamma and beta (trained), the moving mean and variance (not
    trained, but weights Keras counts and keeps)."""
    return 4 * shape[-1], shape


@register(BatchNormalizationLayer, params=_batch_normalization_params, fused=("momentum", "epsilon"))
def _batch_normalization(spec):
    import keras

    return keras.layers.BatchNormalization(momentum=spec.momentum, epsilon=spec.epsilon)
