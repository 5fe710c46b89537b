"""Normalization layer kinds: ``batch_normalization``."""

from __future__ import annotations

from typing import Annotated, Literal

from ..config.types import PositiveFloat, expect, is_float
from .options import LayerSpec
from .registry import register


class BatchNormalizationLayer(LayerSpec):
    """``keras.layers.BatchNormalization`` over the last axis (features or channels): in
    training, each batch's mean and variance; at inference, their moving averages
    (updated with ``momentum``)."""

    type: Literal["batch_normalization"]
    momentum: Annotated[float, expect("a float in [0, 1)", lambda v: is_float(v) and 0 <= v < 1)] = 0.99
    epsilon: PositiveFloat = 1e-3


@register(BatchNormalizationLayer)
def _batch_normalization(spec):
    import keras

    return keras.layers.BatchNormalization(momentum=spec.momentum, epsilon=spec.epsilon)
