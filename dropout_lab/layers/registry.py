"""The layer registry: each layer kind's config schema and its Keras builder, side by side.

A kind is registered once, where it is defined::

    class DropoutLayer(LayerSpec):
        type: Literal["dropout"]
        rate: Rate

    @register(DropoutLayer)
    def _dropout(spec):
        return keras.layers.Dropout(spec.rate)

The config schema accepts exactly the registered kinds (``model.layers[i].type``), and
``build_model`` builds each layer with its kind's builder.  ``needs`` says what one
sample's shape must look like where the layer stands (a flat vector, a sequence, an
image; None: any shape), for the shape check before training
(:func:`dropout_lab.shapes.check_shapes`).  Builders import Keras themselves, so that
reading a config never imports TensorFlow.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass

from ..config.types import Section


@dataclass(frozen=True)
class Needs:
    """The input a layer kind takes: one sample's axes, by name, and what to call it."""

    axes: tuple[str, ...]
    what: str

    def describe(self) -> str:
        return f"{self.what} ({', '.join(self.axes)}{',' if len(self.axes) == 1 else ''})"


FLAT = Needs(("features",), "a flat input")
SEQUENCE = Needs(("steps", "features"), "a sequence")
IMAGE = Needs(("rows", "cols", "channels"), "an image")


@dataclass(frozen=True)
class LayerKind:
    """One layer kind: its name (``type:`` in a config), its schema, its builder and the
    input it needs (None: any shape)."""

    name: str
    spec: type[Section]
    build: Callable[[Section], typing.Any]
    needs: Needs | None = None


LAYERS: dict[str, LayerKind] = {}


def register(spec: type[Section], needs: Needs | None = None):
    """Register ``spec`` (a section whose ``type`` is a one-value ``Literal``) with the builder it decorates."""
    (name,) = typing.get_args(spec.model_fields["type"].annotation)

    def add(build):
        if name in LAYERS:
            raise ValueError(f"Expected a new layer type. Received: type={name!r}, which is registered already")
        LAYERS[name] = LayerKind(name, spec, build, needs)
        return build

    return add


def build_layer(spec: Section):
    """The Keras layer for one ``model.layers[i]`` entry."""
    return LAYERS[spec.type].build(spec)
