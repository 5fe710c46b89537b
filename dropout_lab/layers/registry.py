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
(:func:`dropout_lab.preflight.check_shapes`).  Builders import Keras themselves, so that
reading a config never imports TensorFlow.

A kind may also say how many parameters it has, without building anything
(``params=fn`` with ``fn(spec, input_shape) -> (count, output_shape)``): the checks
before training use it to refuse a model too large for the machine.

Its capabilities, which the checks and engines read from here (nowhere else lists kinds):

``mc_dropout=True``
    Monte Carlo dropout (``evaluation.inference.mode: mc_dropout``) keeps the layer
    stochastic at prediction
    (:data:`dropout_lab.config.inference.MC_DROPOUT_KINDS`);
``fused=(option, ...)``
    the fused engine trains the kind, with these of its options (every other option must
    hold its default); left out (None), the fused engine refuses the kind by name.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass

from ..types import Section


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
    # (spec, one sample's input shape) -> (parameter count, output shape); None: unknown
    params: Callable[[Section, tuple[int, ...]], tuple[int, tuple[int, ...]]] | None = None
    mc_dropout: bool = False  # Monte Carlo dropout keeps it stochastic at prediction
    fused: tuple[str, ...] | None = None  # the options the fused engine trains; None: not trained by it


LAYERS: dict[str, LayerKind] = {}


def same_shape(spec: Section, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """``params`` of a kind without weights whose output has its input's shape (dropout, noise)."""
    return 0, shape


def register(spec: type[Section], needs: Needs | None = None, params=None, *, mc_dropout: bool = False,
             fused: tuple[str, ...] | None = None):
    """Register ``spec`` (a section whose ``type`` is a one-value ``Literal``) with the builder it
    decorates; ``needs``: the input it takes; ``params(spec, input_shape) -> (count, output_shape)``,
    if given, counts its parameters; ``mc_dropout`` and ``fused``: its capabilities (see the
    module's docstring)."""
    (name,) = typing.get_args(spec.model_fields["type"].annotation)
    unknown = set(fused or ()) - set(spec.model_fields)
    if unknown:
        raise ValueError(f"Expected options of {name!r} in fused. Received: {sorted(unknown)}")

    def add(build):
        if name in LAYERS:
            raise ValueError(f"Expected a new layer type. Received: type={name!r}, which is registered already")
        LAYERS[name] = LayerKind(name, spec, build, needs, params, mc_dropout, fused)
        return build

    return add


def kinds_with(capability: str) -> tuple[str, ...]:
    """The registered kinds that have ``capability`` (``"mc_dropout"``, ``"fused"``), in registry order."""
    return tuple(name for name, kind in LAYERS.items() if getattr(kind, capability) not in (None, False))


def build_layer(spec: Section):
    """The Keras layer for one ``model.layers[i]`` entry."""
    return LAYERS[spec.type].build(spec)


def parameter_count(layers, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """``(parameters, layers counted)`` of a stack of ``model.layers`` entries on samples of
    ``input_shape``, from each kind's ``params`` function, without building anything.

    Counting stops at the first layer that cannot be counted: a kind without ``params``, or a
    layer that cannot take the shape it would get (the shape check,
    :func:`dropout_lab.preflight.check_shapes`, names it); the count is then a lower bound, as
    fewer than ``len(layers)`` layers were counted.
    """
    total, shape = 0, tuple(input_shape)
    for i, spec in enumerate(layers):
        kind = LAYERS.get(spec.type)
        if kind is None or kind.params is None or (kind.needs is not None and len(shape) != len(kind.needs.axes)):
            return total, i
        count, out = kind.params(spec, shape)
        if any(n < 1 for n in out):
            return total, i
        total, shape = total + count, out
    return total, len(layers)
