"""What a config's ``sweep`` mapping must look like (its cells are checked one by one as configs)."""

from __future__ import annotations

import json
from typing import Any

from ..types import kind
from .keypath import overlapping, parse_key_path, section_label, section_validator

# keys a sweep may not vary: cells are named by the sweep, and share the seed so that
# every cell is evaluated on the same folds
_UNSWEPT = {"name": "the cells are named after their values",
            "seed": "every cell keeps the base seed, so that all cells are evaluated on the same folds",
            "sweep": "a cell has no sweep of its own"}


def sweep_problem(spec: Any) -> str | None:
    """What is wrong with a ``sweep`` mapping, in the project's words; None if nothing.

    It must map key paths (``model.layers[1].rate``) to non-empty lists of distinct
    values, and no key path may lie inside another (``model.layers[1]`` and
    ``model.layers[1].rate``).  Whether each path exists is checked per cell, on the config.
    """
    if not isinstance(spec, dict) or not spec:
        got = "an empty mapping" if spec == {} else f"{kind(spec)} {spec!r}"
        return ('sweep must be a mapping of key paths to lists of values, '
                f'e.g. {{"model.layers[1].rate": [0.1, 0.2]}}; got {got}')
    seen: dict[str, list] = {}
    for key, values in spec.items():
        where = sweep_label(key)
        tokens = parse_key_path(key) if isinstance(key, str) else None
        if tokens is None:
            return f"{where}: not a dotted key path such as model.layers[1].rate"
        if tokens[0] in _UNSWEPT:
            return f"{where} cannot be swept: {_UNSWEPT[tokens[0]]}"
        if not isinstance(values, list) or not values:
            return f"{where} must be a non-empty list of values; got {kind(values)} {values!r}"
        texts = [json.dumps(v, sort_keys=True) for v in values]
        for value, text in zip(values, texts, strict=True):
            if texts.count(text) > 1:
                return f"{where} lists the value {value!r} more than once"
        other = overlapping(tokens, seen)
        if other is not None:
            return f"{where} overlaps {sweep_label(other)}: sweep one or the other"
        seen[key] = tokens
    return None


def sweep_label(key: Any) -> str:
    """How errors name a swept key: ``sweep["model.layers[1].rate"]``."""
    return section_label("sweep", key)


check_sweep = section_validator("sweep", sweep_problem)
