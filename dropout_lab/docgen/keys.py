"""The config keys and layer kinds pages, from the pydantic schema and the layer registry.

A key's type and allowed values are its constraint's own ``expected`` text (the words its
error message uses), its default the field's, its description the docstring under it.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..types import Expect
from .markdown import GENERATED, cell, plain

# --- values and types, as a person reads them ---

def _flow(value) -> str:
    """A default as YAML's flow style writes it: ``null``, ``true``, ``{mode: standard}``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return value if value else '""'
    return repr(value)


# keys the loader fills in when a config leaves them out: what it fills in
FILLED_IN = {"name": "the config file's name"}


def default_text(field, key: str = "") -> str:
    """A field's default for the tables; ``required`` when it has none."""
    if field.is_required():
        return FILLED_IN.get(key, "required") if key in FILLED_IN and field.description else "required"
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()
    if isinstance(value, BaseModel):  # a section's defaults: all of them when few, else its tag
        dumped, tag = value.model_dump(mode="json"), section_tag(type(value))
        value = dumped if len(dumped) <= 2 or tag is None else {tag[0]: tag[1]}
        return f"`{_flow(value)}`" + ("" if value is dumped else ", its keys' defaults")
    return f"`{_flow(value)}`"


def _is_model(annotation) -> bool:
    return inspect.isclass(annotation) and issubclass(annotation, BaseModel)


def section_tag(model) -> tuple[str, str] | None:
    """A tagged section's tag key and value (its first one-value ``Literal`` field), else None."""
    for key, field in model.model_fields.items():
        if typing.get_origin(field.annotation) is typing.Literal and len(typing.get_args(field.annotation)) == 1:
            return key, typing.get_args(field.annotation)[0]
    return None


def type_text(annotation, metadata=()) -> str:
    """What a key takes, as the error messages say it (``a float in [0, 1)``, ``one of: ...``)."""
    for meta in metadata:
        if isinstance(meta, Expect):
            return meta.expected
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_text(args[0], args[1:])
    if origin is typing.Literal:
        return " or ".join(f"`{_flow(a)}`" for a in args)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        models = [a for a in members if _is_model(a) or _is_model(typing.get_args(a)[0] if typing.get_args(a) else a)]
        if len(models) > 1:
            tags = [section_tag(_unwrap(m)) for m in models]
            rest = [type_text(a) for a in members if a not in models]
            kinds = "a mapping tagged by " + (f"`{tags[0][0]}`" if tags[0] else "its kind")
            said = tags[0] and any(f"{tags[0][0]}:" in text for text in rest)  # a message that names them
            text = " or ".join(rest if said else [*rest, kinds])
        else:
            text = " or ".join(type_text(a) for a in members)
        return text + (" or null" if type(None) in args else "")
    if origin is list:
        inner = type_text(args[0]) if args else "values"
        return "a list of " + (inner.replace("a mapping", "mappings", 1) if inner.startswith("a mapping") else inner)
    if origin is dict:
        return "a mapping"
    if _is_model(annotation):
        tag = section_tag(annotation)
        return f"a mapping (`{tag[0]}: {tag[1]}`)" if tag else "a mapping"
    return {bool: "true or false", int: "an integer", float: "a float", str: "a string"}.get(
        annotation, getattr(annotation, "__name__", str(annotation)))


def _unwrap(annotation):
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def sub_models(annotation) -> list[type[BaseModel]]:
    """The config sections a key holds (one per tag of a tagged union), in declaration order."""
    if _is_model(annotation):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        for model in sub_models(arg):
            if model not in found:
                found.append(model)
    return found


def description(field) -> str:
    return " ".join((field.description or "").split())


def key_table(model, skip=()) -> list[str]:
    lines = ["| key | type and allowed values | default | description |", "|---|---|---|---|"]
    for key, field in model.model_fields.items():
        if key in skip:
            continue
        lines.append(f"| `{key}` | {cell(type_text(field.annotation, field.metadata))} | "
                     f"{cell(default_text(field, key if model.__name__ == 'Experiment' else ''))} | "
                     f"{cell(description(field))} |")
    return lines


def _doc(model) -> str:
    """A section's own docstring (not one it inherits), its first paragraph, Sphinx roles as code."""
    doc = inspect.getdoc(model) or ""
    inherited = any(doc == inspect.getdoc(base) for base in model.__mro__[1:] if base is not model)
    return "" if inherited else plain(doc.split("\n\n")[0])


def schema_fields() -> Iterator[tuple[str, type[BaseModel], str, typing.Any]]:
    """Every key of the config schema and of each layer kind: ``(key path, section, key, field)``."""
    from ..config import Experiment
    from ..layers import LAYERS

    for path, model in _sections("", Experiment):
        for key, field in model.model_fields.items():
            yield path, model, key, field
    for kind in LAYERS.values():
        for path, model in _sections(f"model.layers[].{kind.name}", kind.spec, layers=True):
            for key, field in model.model_fields.items():
                yield path, model, key, field


def _sections(path: str, model, layers: bool = False) -> list[tuple[str, type[BaseModel]]]:
    """``model`` and every section under it, breadth first, as ``(key path, section)``; layer
    kinds are left to the layer reference unless ``layers``."""
    from ..layers import LayerSpec

    order, queue, seen = [], [(path, model)], set()
    while queue:
        where, current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        order.append((where, current))
        for key, field in current.model_fields.items():
            for sub in sub_models(field.annotation):
                if layers or not issubclass(sub, LayerSpec):
                    queue.append((f"{where}.{key}" if where else key, sub))
    return order


# --- pages ---

def config_reference() -> str:
    from ..config import Experiment

    lines = ["# Config keys", "", GENERATED.format(source="`dropout_lab/config/`"), "",
             "A config is one YAML mapping; every key below, its type, default and meaning. "
             "Unknown keys are errors, and so are values of the wrong type (`epochs: 2.5`, `rate: \"0.2\"`): "
             "nothing is coerced. `--set KEY=VALUE` and `--sweep KEY=V1,V2` take the same key paths "
             "(`model.layers[1].rate`). The layers' own options are in [Layers](layers.md); "
             "the same rules as a JSON Schema for editors are in [JSON Schema](schema.md).", ""]
    lines += ["## Top level", "", *key_table(Experiment),
              "| `extends` | a string | — | A config file this one extends, relative to this file: mappings merge, "
              "lists and values replace; `name` is not inherited. |", ""]
    for path, model in _sections("", Experiment)[1:]:
        tag = section_tag(model)
        title = f"`{path}`" + (f" with `{tag[0]}: {tag[1]}`" if tag else "")
        lines += [f"## {title}", ""]
        if _doc(model):
            lines += [_doc(model), ""]
        lines += [*key_table(model), ""]
    return "\n".join(lines)


def layers_reference() -> str:
    from ..layers import LAYERS, LayerSpec

    lines = ["# Layers", "", GENERATED.format(source="the layer registry, `dropout_lab/layers/`"), "",
             "`model.layers` lists the model's layers in order, each a mapping with its `type` and its options; "
             "the last is the output layer. Every kind the registry holds:", "",
             "| type | input it needs | fused engine | Monte Carlo dropout |", "|---|---|---|---|"]
    for name, kind in LAYERS.items():
        needs = kind.needs.describe() if kind.needs else "any shape"
        fused = "trains it" if kind.fused is not None else "no (SciKeras only)"
        mc = "stochastic at prediction" if kind.mc_dropout else "—"
        lines.append(f"| [`{name}`](#{name}) | {needs} | {fused} | {mc} |")
    lines.append("")
    shared = []
    for name, kind in LAYERS.items():
        lines += [f"## `{name}` {{#{name}}}", "", plain(inspect.getdoc(kind.spec) or ""), ""]
        lines.append(f"- Input: {kind.needs.describe() if kind.needs else 'any shape'}.")
        if kind.fused is None:
            lines.append("- Fused engine: refused before training; the SciKeras engine trains it.")
        else:
            options = ", ".join(f"`{o}`" for o in kind.fused) or "none"
            lines.append(f"- Fused engine: trained, with the options {options} (others must hold their default).")
        if kind.mc_dropout:
            lines.append("- Monte Carlo dropout (`evaluation.inference.mode: mc_dropout`) keeps it stochastic at "
                         "prediction.")
        lines += ["", *key_table(kind.spec, skip=("type",)), ""]
        for _, sub in _sections("", kind.spec, layers=True)[1:]:
            if sub not in shared and not issubclass(sub, LayerSpec):
                shared.append(sub)
    for sub in shared:
        keys = [k for name, kind in LAYERS.items() for k, f in kind.spec.model_fields.items() if sub in
                sub_models(f.annotation)]
        lines += [f"## `{keys[0]}` {{#{keys[0]}}}", "", plain(inspect.getdoc(sub) or ""), "", *key_table(sub), ""]
    return "\n".join(lines)
