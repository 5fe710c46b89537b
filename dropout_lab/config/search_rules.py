"""What a config's ``search`` mapping (``dropout-lab tune``) must look like: key paths to spaces.

A space is written like a sweep's values:

``float(LOW, HIGH)``
    a float drawn uniformly from ``[LOW, HIGH]``;
``log(LOW, HIGH)``
    a float drawn uniformly on a log scale (``0 < LOW``), e.g. a learning rate;
``int(LOW, HIGH)``
    a whole number from ``LOW`` to ``HIGH``, both included;
a list of values
    one of them (``[null, 2, 3, 4]``; each value is YAML).

Only the shape is checked here (an empty or inverted range, a list with repeats); whether
each key exists and takes the range's values is checked on the config, cell by cell, by
``dropout_lab.tune`` before anything trains.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from ..types import kind
from .keypath import overlapping, parse_key_path, section_label, section_validator

RANGES = {"float": float, "log": float, "int": int}  # a range's kind -> the type of its bounds
EXAMPLE = 'e.g. {"model.layers[1].rate": "float(0.0, 0.7)"}'
# keys a search may not vary (as a sweep may not): a trial is named by the search, and every
# trial keeps the base seed so that all trials are evaluated on the same folds
UNSEARCHED = {"name": "trials are named by the search",
              "seed": "every trial keeps the base seed, so that all trials are scored on the same folds",
              "sweep": "a trial has no sweep", "search": "a trial has no search of its own"}
_RANGE = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$", re.S)


@dataclass(frozen=True)
class Space:
    """One key's space: a range (``kind`` float, log or int, ``low`` <= ``high``) or ``choices``."""

    kind: str
    low: float | int | None = None
    high: float | int | None = None
    choices: tuple = ()

    @property
    def points(self) -> list:
        """The values a check of the key must accept: a range's ends and middle, every choice."""
        if self.kind == "choice":
            return list(self.choices)
        middle = math.sqrt(self.low * self.high) if self.kind == "log" else (self.low + self.high) / 2
        middle = round(middle) if self.kind == "int" else middle
        return list(dict.fromkeys([self.low, middle, self.high]))

    def text(self) -> str:
        """As written: ``float(0.0, 0.7)``, ``[null, 3]``."""
        if self.kind == "choice":
            return json.dumps(list(self.choices))
        return f"{self.kind}({self.low!r}, {self.high!r})"


def parse_space(value: Any) -> Space | str:
    """A space from what a ``search`` entry holds, or what is wrong with it (a string)."""
    if isinstance(value, list):
        if not value:
            return "must list at least one value; got []"
        texts = [json.dumps(v, sort_keys=True) for v in value]
        for v, text in zip(value, texts, strict=True):
            if texts.count(text) > 1:
                return f"lists the value {v!r} more than once"
        return Space("choice", choices=tuple(value))
    match = _RANGE.match(value) if isinstance(value, str) else None
    if match is None or match.group(1) not in RANGES:
        return (f"must be float(LOW, HIGH), log(LOW, HIGH), int(LOW, HIGH) or a list of values; "
                f"got {kind(value)} {value!r}")
    name, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
    number = RANGES[name]
    try:
        low, high = (_number(a, number) for a in args) if len(args) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None:
        what = "whole numbers" if number is int else "numbers"
        return f"must be {name}(LOW, HIGH) with two {what}; got {value!r}"
    if low > high:
        return f"is an inverted range: LOW {low!r} is above HIGH {high!r} in {value!r}"
    if low == high:
        return f"is an empty range: LOW and HIGH are both {low!r} in {value!r}; give a range, or set the value"
    if name == "log" and low <= 0:
        return f"is a log range, so LOW must be above 0; got {value!r}"
    return Space(name, low, high)


def _number(text: str, number: type):
    value = float(text)  # ValueError for anything else
    if not math.isfinite(value) or (number is int and not value.is_integer()):
        raise ValueError(text)
    return int(value) if number is int else value


def search_problem(spec: Any) -> str | None:
    """What is wrong with a ``search`` mapping, in the project's words; None if nothing."""
    if not isinstance(spec, dict) or not spec:
        got = "an empty mapping" if spec == {} else f"{kind(spec)} {spec!r}"
        return f"search must be a mapping of key paths to spaces, {EXAMPLE}; got {got}"
    seen: dict[str, list] = {}
    for key, value in spec.items():
        where = search_label(key)
        tokens = parse_key_path(key) if isinstance(key, str) else None
        if tokens is None:
            return f"{where}: not a dotted key path such as model.layers[1].rate"
        if tokens[0] in UNSEARCHED:
            return f"{where} cannot be searched: {UNSEARCHED[tokens[0]]}"
        space = parse_space(value)
        if isinstance(space, str):
            return f"{where} {space}"
        other = overlapping(tokens, seen)
        if other is not None:
            return f"{where} overlaps {search_label(other)}: search one or the other"
        seen[key] = tokens
    return None


def search_label(key: Any) -> str:
    """How errors name a searched key: ``search["model.layers[1].rate"]``."""
    return section_label("search", key)


check_search = section_validator("search", search_problem)
