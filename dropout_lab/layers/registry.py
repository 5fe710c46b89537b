"""The layer registry: each layer kind's config schema and its Keras builder, side by side.

A kind is registered once, where it is defined::

    class DropoutLayer(Section):
        type: Literal["dropout"]
        rate: Rate

    @register(DropoutLayer)
    def _dropout(spec):
        return keras.layers.Dropout(spec.rate)

The config schema accepts exactly the registered kinds (``model.layers[i].type``), and
``build_model`` builds each layer with its kind's builder.  Builders import Keras
themselves, so that reading a config never imports TensorFlow.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass

from ..config.types import Section


@dataclass(frozen=True)
class LayerKind:
    """One layer kind: its name (``type:`` in a config), its schema and its builder."""

    name: str
    spec: type[Section]
    build: Callable[[Section], typing.Any]


LAYERS: dict[str, LayerKind] = {}


def register(spec: type[Section]):
    """Register ``spec`` (a section whose ``type`` is a one-value ``Literal``) with the builder it decorates."""
    (name,) = typing.get_args(spec.model_fields["type"].annotation)

    def add(build):
        if name in LAYERS:
            raise ValueError(f"Expected a new layer type. Received: type={name!r}, which is registered already")
        LAYERS[name] = LayerKind(name, spec, build)
        return build

    return add


def build_layer(spec: Section):
    """The Keras layer for one ``model.layers[i]`` entry."""
    return LAYERS[spec.type].build(spec)
