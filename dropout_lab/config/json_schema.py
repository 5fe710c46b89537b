"""The JSON Schema of a config file, for editors: ``dropout-lab schema`` prints it.

It is pydantic's schema of :class:`~dropout_lab.config.schema.Experiment`, cleaned up for a
file a person writes: no generated titles, ``name`` optional (it defaults to the file's
name), ``extends`` allowed, and a file that ``extends`` another checked as a partial config
(it may leave out any key its base gives, so no key is required there and a tagged section
such as ``training.optimizer: {momentum: 0.99}`` may leave out its tag).  The loader still
checks the merged config in full; the schema is what an editor (the YAML language server,
through a ``# yaml-language-server: $schema=...`` line) completes and checks as one types.

``configs/config.schema.json`` is a committed copy (the shipped configs point to it);
``make schema`` rewrites it, and a test checks that it equals :func:`config_schema`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .schema import Experiment

DIALECT = "https://json-schema.org/draft/2020-12/schema"
FILE_NAME = "config.schema.json"
SWEEP = {
    "type": ["object", "null"],
    "description": "Key paths (as for --set, e.g. model.layers[1].rate) to the lists of values to sweep; "
                   "each combination is a cell, evaluated like a config of its own.",
    "additionalProperties": {"type": "array", "minItems": 1},
}
EXTENDS = {"type": "string", "description": "A config file this one extends, relative to this file: "
                                            "mappings merge, lists and values replace; name is not inherited."}


def config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a config file."""
    raw = Experiment.model_json_schema(mode="validation")
    defs = {name: _clean(body) for name, body in raw.pop("$defs", {}).items()}
    full = _clean(raw)
    full["required"] = [key for key in full.get("required", []) if key != "name"]
    full["properties"]["sweep"] = SWEEP
    full["properties"]["extends"] = EXTENDS
    defs["Experiment"] = full
    for name in list(defs):
        defs[f"{name}Partial"] = _partial(defs[name])
    return {
        "$schema": DIALECT,
        "$id": FILE_NAME,
        "title": "dropout-lab config",
        "description": "A dropout-lab experiment config (dropout-lab run CONFIG). A file with `extends` "
                       "is checked as a partial config: its base gives the rest.",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ExperimentPartial"},
        "else": {"$ref": "#/$defs/Experiment"},
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """:func:`config_schema` as the text ``dropout-lab schema`` prints and the committed copy holds."""
    return json.dumps(config_schema(), indent=2, sort_keys=False) + "\n"


def _clean(node):
    """Drop pydantic's generated titles (a key named ``title`` under ``properties`` stays); descriptions on one line."""
    if isinstance(node, dict):
        return {key: (_clean_properties(value) if key == "properties"
                      else " ".join(value.split()) if key == "description" and isinstance(value, str)
                      else _clean(value))
                for key, value in node.items() if key != "title"}
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node


def _clean_properties(properties: dict) -> dict:
    return {key: _clean(value) for key, value in properties.items()}


def _partial(node):
    """The same schema with nothing required, tagged unions as any-of (a partial section may
    match several) and references to the partial definitions."""
    node = copy.deepcopy(node)
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ("required", "discriminator"):
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = value + "Partial"
            elif key == "oneOf":
                out["anyOf"] = _partial(value)
            elif key == "properties":
                out[key] = {name: _partial(sub) for name, sub in value.items()}
            else:
                out[key] = _partial(value)
        return out
    if isinstance(node, list):
        return [_partial(item) for item in node]
    return node
