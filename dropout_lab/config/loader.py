"""Loading a config: YAML, the ``extends`` chain, ``--set`` overrides, sweep cells, validation.

``load_config(path, overrides)`` reads a YAML file, follows its ``extends`` chain,
applies ``--set`` overrides and validates the result.  Every error names the file
(the one that wrote the value: a base reached through ``extends``, or ``(--set ...)``),
the key path, what was expected and what was received::

    configs/a.yaml: model.layers[1].rate must be a float in [0, 1); got 1.5
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .keypath import assign, parse_key_path, parse_override
from .messages import clean_loc, format_error
from .schema import TAGS, Experiment
from .sweep_rules import sweep_label
from .yaml_io import read_yaml


def load_config(
    path: str | Path, overrides: list[str] | tuple[str, ...] = (), cell: dict[str, Any] | None = None
) -> Experiment:
    """Read, merge (``extends``), override (``--set KEY=VALUE``) and validate one config.

    ``cell``, for one cell of a sweep: key paths and values set after the overrides, the
    way ``--set`` sets them; the config's own ``sweep`` is dropped.  A path that does not
    exist is an error naming it as ``sweep["KEY"]``.
    """
    path = Path(path)
    chain: list[tuple[Path, dict]] = []
    data = _read_chain(path, (), chain)
    data.setdefault("name", path.stem)
    for item in overrides:
        _apply_override(data, item, path)
    if cell is not None:
        data.pop("sweep", None)
        for key, value in cell.items():
            assign(data, parse_key_path(key), copy.deepcopy(value), f"{path}: {sweep_label(key)}")
    _resolve_paths(data, path.parent)
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(format_error(_origin(err, path, chain, overrides, cell or {}), err)) from None


def dump_config(cfg: Experiment) -> str:
    """The resolved config as YAML text; ``load_config`` reads it back to an equal config."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)


def _read_chain(path: Path, seen: tuple[Path, ...], chain: list[tuple[Path, dict]]) -> dict:
    """The merged config of ``path`` and its ``extends`` ancestors; ``chain`` collects each
    file's own data, child first, to tell later which file an error comes from."""
    resolved = path.resolve()
    if resolved in seen:
        cycle = " -> ".join(str(p) for p in (*seen, resolved))
        raise ConfigError(f"{path}: extends forms a cycle: {cycle}")
    data = read_yaml(path)
    chain.append((path, data))
    data = dict(data)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends must be a path to a config file; got {parent!r}")
    parent_path = path.parent / parent
    if not parent_path.is_file():
        raise ConfigError(f"{path}: extends names {parent!r}, but {parent_path} does not exist")
    base = _read_chain(parent_path, (*seen, resolved), chain)
    base.pop("name", None)  # a name belongs to its own file
    if "sweep" in data:
        base.pop("sweep", None)  # a sweep replaces the inherited one whole; `sweep: null` drops it
    return _merge(base, data)


def _merge(base: dict, child: dict) -> dict:
    """Deep-merge mappings; the child's lists and scalars replace the base's.

    A mapping whose tag differs (another dataset, optimizer or protocol) replaces the
    base's whole: an SGD momentum must not leak into an Adam optimizer.
    """
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not _other_kind(out[key], value):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _other_kind(base: dict, child: dict) -> bool:
    return any(tag in child and child[tag] != base.get(tag, child[tag]) for tag in TAGS)


def _origin(err: dict, path: Path, chain: list[tuple[Path, dict]], overrides, cell: dict) -> str:
    """Where the value an error is about was written: a sweep cell (reported as ``path``,
    which holds the sweep), a ``--set``, or the file of the ``extends`` chain nearest to
    ``path`` that sets it."""
    loc = clean_loc(err)

    def hits(tokens):
        return loc[: len(tokens)] == tokens or tokens[: len(loc)] == loc

    if any(hits(parse_key_path(key)) for key in cell):
        return str(path)
    for item in reversed(list(overrides)):
        if hits(parse_override(item)[0]):
            return f"{path} (--set {item})"
    for source, data in chain:
        if loc and _sets(data, loc):
            return str(source)
    return str(path)


def _sets(data, loc: list) -> bool:
    node = data
    for token in loc:
        if isinstance(node, list) and isinstance(token, int) and token < len(node):
            return True  # a list is replaced whole: the file that has it set all of it
        if not isinstance(node, dict) or token not in node:
            return False
        node = node[token]
    return True


def _apply_override(data: dict, item: str, path: Path) -> None:
    try:
        tokens, value = parse_override(item)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    assign(data, tokens, value, f"{path}: --set {item!r}")


def _resolve_paths(data: dict, base_dir: Path) -> None:
    """A data file's path (csv, npz) in a config is relative to the config file; store it absolute."""
    section = data.get("data")
    if isinstance(section, dict) and section.get("dataset") in ("csv", "npz") and isinstance(section.get("path"), str):
        section["path"] = str((base_dir / section["path"]).resolve())
