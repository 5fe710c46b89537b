"""Key paths (``model.layers[1].rate``): parsing, ``--set KEY=VALUE`` and assignment.

A list index may be negative and counts from the end, as in Python: ``model.layers[-1]``
is the last layer, ``model.layers[-2]`` the one before it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import yaml
from pydantic_core import PydanticCustomError

from ..errors import ConfigError
from .yaml_io import StrictLoader

_TOKEN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]")


def parse_key_path(key: str) -> list[str | int] | None:
    """``model.layers[1].rate`` -> ``["model", "layers", 1, "rate"]``; None if it is not a key path.

    ``model.layers[-1].units`` -> ``["model", "layers", -1, "units"]`` (counted from the end).
    """
    tokens: list[str | int] = []
    pos = 0
    while pos < len(key):
        if tokens and key[pos] == "." and not key.startswith("[", pos + 1):
            pos += 1
        match = _TOKEN.match(key, pos)
        if not match or (match.group(1) and tokens and key[pos - 1] != "."):
            return None
        tokens.append(match.group(1) if match.group(1) else int(match.group(2)))
        pos = match.end()
    return tokens if tokens and isinstance(tokens[0], str) else None


def parse_override(item: str) -> tuple[list[str | int], Any]:
    """``KEY=VALUE`` -> (key path tokens, value parsed as YAML); errors say what is wrong."""
    key, sep, raw = item.partition("=")
    tokens = parse_key_path(key.strip()) if sep else None
    if tokens is None:
        raise ConfigError(
            f"--set {item!r}: expected KEY=VALUE with a dotted key path, "
            f"e.g. training.epochs=5, model.layers[1].rate=0.3 or model.layers[-1].units=1"
        )
    try:
        return tokens, (yaml.load(raw, Loader=StrictLoader) if raw.strip() else None)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"--set {item!r}: the value is not valid YAML ({problem}); quote text values") from None


def assign(data: dict, tokens: list[str | int], value: Any, label: str) -> list[str | int]:
    """Set the value at a key path; ``label`` starts the error when a list item or mapping is missing.

    Returns the key path with negative list indices resolved (``[-1]`` -> the last index).
    """
    node: Any = data
    resolved: list[str | int] = []
    for depth, token in enumerate(tokens[:-1]):
        if isinstance(token, int):
            token = _index(node, token, label, [*resolved, token])
            node = node[token]
        else:
            if not isinstance(node, dict):
                raise ConfigError(f"{label}: {format_loc(tokens[:depth])} is not a mapping")
            node = node.setdefault(token, {})
        resolved.append(token)
    last = tokens[-1]
    if isinstance(last, int):
        last = _index(node, last, label, [*resolved, last])
    elif not isinstance(node, dict):
        raise ConfigError(f"{label}: {format_loc(tokens[:-1])} is not a mapping")
    node[last] = value
    return [*resolved, last]


def _index(node: Any, index: int, label: str, shown: list) -> int:
    """``index`` into the list ``node`` as a non-negative index; an error if there is no such item."""
    if not isinstance(node, list) or not -len(node) <= index < len(node):
        raise ConfigError(f"{label}: {format_loc(shown)} does not exist")
    return index % len(node)


def format_loc(loc) -> str:
    """``["model", "layers", 1, "rate"]`` -> ``model.layers[1].rate``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def section_label(section: str, key) -> str:
    """How errors name a key of a ``sweep`` or ``search`` mapping: ``sweep["model.layers[1].rate"]``."""
    shown = json.dumps(key) if isinstance(key, str) else repr(key)
    return f"{section}[{shown}]"


def overlapping(tokens: list, seen: dict):
    """The first key of ``seen`` (key -> its parsed path) whose path contains ``tokens`` or lies
    inside it (``model.layers[1]`` and ``model.layers[1].rate``); None if none does."""
    for other, other_tokens in seen.items():
        short, long = sorted((tokens, other_tokens), key=len)
        if long[: len(short)] == short:
            return other
    return None


def section_validator(section: str, problem: Callable[[Any], str | None]) -> Callable[[Any], Any]:
    """The schema's validator for a ``sweep`` or ``search`` mapping: ``problem(spec)``'s text as
    the error, the mapping itself when there is none."""

    def check(spec: Any) -> Any:
        text = None if spec is None else problem(spec)
        if text:
            raise PydanticCustomError(section, "{text}", {"text": text})
        return spec

    check.__doc__ = f"The schema's validator for ``{section}``."
    return check
