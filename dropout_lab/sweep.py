"""Grid sweeps: one config evaluated at every combination of a few swept values.

A config's ``sweep`` maps key paths (the ``--set`` syntax) to lists of values; the
command line adds keys with ``--sweep KEY=V1,V2,...``.  Several keys give their cross
product, the first key varying slowest.  Each combination is a *cell*: the base config
with the cell's values set as ``--set`` would set them, validated by ``load_config``, with
no sweep of its own and the base seed, so that every cell is evaluated on the same folds.

A cell is named after its values, ``rate=0.2`` or ``rate=0.2,max_norm=3``: each key by
the shortest tail of its path that tells the swept keys apart (``model.layers[1].rate``
-> ``rate``; with ``model.layers[3].rate`` also swept, ``layers1.rate`` and
``layers3.rate``), each value as YAML writes it (``0.2``, ``null``, ``true``) with
characters other than letters, digits, ``_``, ``.`` and ``-`` replaced by ``_``.  The
cell's config carries that name, and its results go to ``OUT/<sweep name>/<cell>/``.

This module plans a sweep and builds its table; ``cli`` runs the cells, ``results``
writes the files and ``plots`` draws them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import Experiment, load_config, load_config_sourced, parse_key_path, sweep_problem
from .config.loader import ConfigFile, absolute_data_path, read_config
from .errors import ConfigError, ResultsError
from .results import find_done, summarize  # noqa: F401  (find_done: public here too)


@dataclass(frozen=True)
class Cell:
    """One point of the grid: its name, its swept values (key path -> value) and its config.

    ``source(key path)`` says who wrote a value of the cell's config (for later checks' errors).
    """

    name: str
    values: dict[str, Any]
    cfg: Experiment
    source: Callable[[Sequence], str] | None = None


@dataclass(frozen=True)
class Sweep:
    """A config's sweep: the base config (holding the whole ``sweep``) and its cells, in order."""

    path: Path
    base: Experiment
    cells: list[Cell]

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def keys(self) -> list[str]:
        return list(self.base.sweep)

    def labels(self) -> dict[str, str]:
        return key_labels(self.keys)


def parse_sweep_option(item: str) -> tuple[str, list]:
    """``--sweep model.layers[1].rate=0.0,0.2`` -> ``("model.layers[1].rate", [0.0, 0.2])``.

    The values are one YAML flow sequence without its brackets, so ``null,3,4`` and
    ``{name: adam},{name: sgd}`` work too.  An empty value (``0.1,,0.2`` or a trailing
    comma) is an error: write ``null`` for a null value.  A CSV path (``data.path``) is
    relative to the working directory.
    """
    key, sep, raw = item.partition("=")
    usage = (f"--sweep {item!r}: expected KEY=V1,V2,... with a dotted key path, "
             f"e.g. model.layers[1].rate=0.0,0.2,0.4")
    tokens = parse_key_path(key.strip()) if sep else None
    if tokens is None or not raw.strip():
        raise ConfigError(usage)
    parts = _top_level_items(raw)
    for i, part in enumerate(parts, start=1):
        if not part.strip():
            where = "the last" if i == len(parts) else f"value {i}"
            raise ConfigError(f"--sweep {item!r}: {where} of the {len(parts)} comma-separated values is empty; "
                              "remove the extra comma (write null for a null value)")
    try:
        values = yaml.safe_load(f"[{raw}]")
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"--sweep {item!r}: the values must be YAML separated by commas: {problem}") from None
    return key.strip(), [absolute_data_path(tokens, value, Path.cwd()) for value in values]


def _top_level_items(raw: str) -> list[str]:
    """``raw`` split at the commas outside brackets, braces and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, char in enumerate(raw):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(raw[start:i])
            start = i + 1
    return [*parts, raw[start:]]


def expand(path: str | Path | ConfigFile, overrides: Sequence[str] = (), items: Sequence[str] = (),
           base: Experiment | None = None) -> Sweep | None:
    """The sweep of the config at ``path`` (its ``sweep`` plus ``--sweep`` ``items``), every
    cell loaded and validated; None when the config sweeps nothing.  ``path`` may be the
    :class:`~dropout_lab.config.loader.ConfigFile` already read, and ``base`` the config it
    gives with ``overrides``: nothing is then read or validated twice.

    A ``--sweep`` key that the file also sweeps replaces the file's values.  Errors name the
    file and the swept key: ``configs/a.yaml: sweep["model.layers[9].rate"]: model.layers[9]
    does not exist``; a value the schema refuses reads as it would from ``--set``.
    """
    file = path if isinstance(path, ConfigFile) else read_config(path)
    path = file.path
    base = base if base is not None else load_config(file, overrides)
    spec = dict(base.sweep or {})
    for item in items:
        key, values = parse_sweep_option(item)
        spec[key] = values
    if not spec:
        return None
    problem = sweep_problem(spec)
    if problem:
        raise ConfigError(f"{path}: {problem}")
    base = base.model_copy(update={"sweep": spec})
    keys, labels = list(spec), key_labels(list(spec))
    cells, named = [], {}
    for combo in itertools.product(*spec.values()):
        values = dict(zip(keys, combo, strict=True))
        name = cell_name(values, labels)
        if name in named:
            raise ConfigError(f"{path}: sweep cells {_values_text(named[name])} and {_values_text(values)} "
                              f"would share the name {name!r}; give the values distinct names")
        named[name] = values
        cfg, source = load_config_sourced(file, overrides, cell={**values, "name": name})
        cells.append(Cell(name, values, cfg, source))
    return Sweep(path, base, cells)


def key_labels(keys: Sequence[str]) -> dict[str, str]:
    """Each swept key's short label: the shortest tail of its path no other key ends with."""
    paths = {key: parse_key_path(key) for key in keys}
    labels = {}
    for key, tokens in paths.items():
        others = [t for k, t in paths.items() if k != key]
        for n in range(1, len(tokens) + 1):
            tail = tokens[-n - 1:] if isinstance(tokens[-n], int) else tokens[-n:]  # an index keeps its list's name
            if not any(other[-len(tail):] == tail for other in others if len(other) >= len(tail)):
                break
        labels[key] = _label(tail)
    if len(set(labels.values())) < len(labels):  # tails written alike: fall back to the whole paths
        labels = {key: _label(tokens) for key, tokens in paths.items()}
    return labels


def _label(tokens: list[str | int]) -> str:
    """``["layers", 1, "rate"]`` -> ``layers1.rate``: no brackets in a file name."""
    return "".join(str(t) if isinstance(t, int) or i == 0 else f".{t}" for i, t in enumerate(tokens))


def cell_name(values: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``rate=0.2,max_norm=3``: each key's label and its value, safe in a file name."""
    return ",".join(f"{labels[key]}={_name_part(value)}" for key, value in values.items())


def value_text(value: Any) -> str:
    """A value as YAML writes it in one line: ``0.2``, ``null``, ``true``, ``{name: adam}``."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float, str)):
        return repr(value) if isinstance(value, float) else str(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=math.inf).strip()


def _name_part(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", value_text(value)).strip("_") or "_"


def _values_text(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value_text(v)}" for key, v in values.items())


# --- what a sweep already has ---

def check_sweep_dir(where: Path) -> None:
    """Refuse to put a sweep's cells into a directory that holds a single run."""
    if (where / "run.json").exists():
        raise ResultsError(f"{where}: holds the results of a single run, not a sweep; "
                           "move them away or give the sweep another name")
