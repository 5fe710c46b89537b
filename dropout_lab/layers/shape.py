"""Shape layer kinds: ``flatten``."""

from __future__ import annotations

import math
from typing import Literal

from .options import LayerSpec
from .registry import register


class FlattenLayer(LayerSpec):
    """``keras.layers.Flatten``: one sample's axes into one, (rows, cols, channels) ->
    (rows * cols * channels,), row-major; on a flat input, the identity."""

    type: Literal["flatten"]
    """The layer kind."""


@register(FlattenLayer, params=lambda spec, shape: (0, (math.prod(shape),)), fused=())
def _flatten(spec):
    import keras

    return keras.layers.Flatten()
