"""A tune's search, planned and checked before anything trains: the config, its spaces, each trial's config.

The spaces come from the config's ``search`` section and ``--search KEY=SPACE`` items (an
item replaces the section's entry for its key); see :mod:`dropout_lab.config.search_rules`
for how a space is written.  A trial is a config cell, as a sweep's: the base config with the
trial's values set as ``--set`` would set them, validated by the schema, named ``trial_NNNN``,
with the base seed, so that every trial is scored on the same folds.

:func:`plan_search` checks every key on the config at each space's ends and middle (every
choice of a list), so that a key that does not exist or a range the key cannot take
(``rate`` up to 1.5) is one error before anything trains, naming the file, the key and the
space: ``s.yaml: search["model.layers[1].rate"] = float(0.0, 1.5) reaches 1.5:
model.layers[1].rate must be a float in [0, 1); got 1.5``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..config import Experiment, load_config, load_config_sourced, parse_key_path
from ..config.loader import ConfigFile, read_config
from ..config.search_rules import Space, parse_space, search_label, search_problem
from ..errors import ConfigError
from ..sweep import key_labels, value_text

_CALL = re.compile(r"^\s*\w+\s*\(")


@dataclass(frozen=True)
class Search:
    """A config (``base``: as written, with the command's overrides) and the spaces to search."""

    file: ConfigFile
    overrides: tuple[str, ...]
    base: Experiment
    spaces: dict[str, Space]

    @property
    def path(self) -> Path:
        return self.file.path

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def labels(self) -> dict[str, str]:
        """Each key's short label (``rate``, ``layers1.max_norm``), as a sweep's."""
        return key_labels(list(self.spaces))

    def spec(self) -> dict[str, Any]:
        """The spaces as a config's ``search`` section writes them."""
        return {key: list(s.choices) if s.kind == "choice" else s.text() for key, s in self.spaces.items()}

    def trial(self, values: Mapping[str, Any], name: str):
        """``(cfg, source)`` of the trial with these values, named ``name``."""
        return load_config_sourced(self.file, self.overrides, cell={**values, "name": name}, label=search_label)

    def baseline_values(self) -> dict[str, Any] | None:
        """The base config's own value of each key, when every one lies in its space (else None):
        the first trial, so the search starts from the config as written."""
        data = self.base.to_dict()
        values = {}
        for key, space in self.spaces.items():
            value = _lookup(data, parse_key_path(key))
            if space.kind == "choice":  # the choice as the space lists it (3, where the config holds 3.0)
                found = [c for c in space.choices if c == value and isinstance(c, bool) == isinstance(value, bool)]
                if not found:
                    return None
                value = found[0]
            elif not (isinstance(value, (int, float)) and not isinstance(value, bool)
                      and space.low <= value <= space.high and (space.kind != "int" or float(value).is_integer())):
                return None
            values[key] = int(value) if space.kind == "int" else value
        return values


def parse_search_option(item: str) -> tuple[str, Any]:
    """``--search model.layers[1].rate=float(0.0, 0.7)`` -> ``("model.layers[1].rate", "float(0.0, 0.7)")``;
    ``--search KEY=null,2,3`` (or ``KEY=[null, 2, 3]``) -> ``(KEY, [None, 2, 3])``: the choices as YAML."""
    key, sep, raw = item.partition("=")
    if not sep or parse_key_path(key.strip()) is None or not raw.strip():
        raise ConfigError(f"--search {item!r}: expected KEY=SPACE with a dotted key path, e.g. "
                          "model.layers[1].rate=float(0.0, 0.7), log(1e-4, 1e-1), int(8, 256) or 0.1,0.2,0.3")
    if _CALL.match(raw):
        return key.strip(), raw.strip()
    text = raw.strip() if raw.strip().startswith("[") else f"[{raw}]"
    try:
        return key.strip(), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"--search {item!r}: the choices must be YAML separated by commas: {problem}") from None


def plan_search(path: str | Path, overrides: Sequence[str] = (), items: Sequence[str] = ()) -> Search:
    """The search of the config at ``path`` (its ``search`` plus ``--search`` ``items``), each
    key checked at its space's ends and middle; raises ``ConfigError`` at the first problem."""
    file = read_config(path)
    base = load_config(file, overrides)
    if base.sweep:
        raise ConfigError(f"{file.path}: has a sweep; tune searches one config (remove its sweep, "
                          "or tune the config it extends)")
    spec = dict(base.search or {})
    for item in items:
        key, space = parse_search_option(item)
        spec[key] = space
    if not spec:
        raise ConfigError(f"{file.path}: nothing to search; give --search KEY=SPACE, e.g. "
                          "--search 'model.layers[1].rate=float(0.0, 0.7)', or a search: section")
    problem = search_problem(spec)
    if problem:
        raise ConfigError(f"{file.path}: {problem}")
    search = Search(file, tuple(overrides), base.model_copy(update={"search": None}),
                    {key: parse_space(value) for key, value in spec.items()})
    for key, values in check_points(search).items():
        for value in values:
            _check_point(search, key, value)
    return search


def check_points(search: Search) -> dict[str, list]:
    """Per key, the values checked before the search starts: its space's ends and middle, every choice."""
    return {key: space.points for key, space in search.spaces.items()}


def point_values(search: Search, key: str, value: Any) -> dict[str, Any]:
    """Values of every key for the check of ``key`` at ``value``: the others at their first point."""
    return {k: value if k == key else s.points[0] for k, s in search.spaces.items()}


def _check_point(search: Search, key: str, value: Any) -> None:
    try:
        search.trial(point_values(search, key, value), "trial_check")
    except ConfigError as exc:
        message = str(exc).removeprefix(f"{search.path}: ")
        if message.startswith(search_label(key)):  # the key itself is missing: said as it is
            raise
        if not _exists(search.base.to_dict(), parse_key_path(key)):
            raise ConfigError(f"{search.path}: {search_label(key)} is not a key of the config: {message}") from None
        space = search.spaces[key]
        reach = f"lists {value_text(value)}" if space.kind == "choice" else f"reaches {value_text(value)}"
        raise ConfigError(f"{search.path}: {search_label(key)} = {space.text()} {reach}: {message}") from None


_MISSING = object()


def _exists(data: Any, tokens: list) -> bool:
    return _lookup(data, tokens, _MISSING) is not _MISSING


def _lookup(data: Any, tokens: list, default: Any = None) -> Any:
    """The value at ``tokens`` in ``data``, or ``default`` where the path does not exist."""
    for token in tokens:
        try:
            data = data[token]
        except (KeyError, IndexError, TypeError):
            return default
    return data
