"""Loading a config: YAML, the ``extends`` chain, ``--set`` overrides, sweep cells, validation.

``load_config(path, overrides)`` reads a YAML file, follows its ``extends`` chain,
applies ``--set`` overrides and validates the result.  Every error names the file
(the one that wrote the value: a base reached through ``extends``, or ``(--set ...)``),
the key path, what was expected and what was received::

    configs/a.yaml: model.layers[1].rate must be a float in [0, 1); got 1.5
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    path: str | Path | ConfigFile, overrides: list[str] | tuple[str, ...] = (), cell: dict[str, Any] | None = None
) -> Experiment:
    """Read, merge (``extends``), override (``--set KEY=VALUE``) and validate one config.

    ``cell``, for one cell of a sweep: key paths and values set after the overrides, the
    way ``--set`` sets them; the config's own ``sweep`` is dropped.  A path that does not
    exist is an error naming it as ``sweep["KEY"]``.
    """
    return load_config_sourced(path, overrides, cell)[0]


@dataclass(frozen=True, eq=False)
class ConfigFile:
    """A config file read from disk once: its data merged with its ``extends`` chain (not yet
    validated), and each file's own data, child first.  ``load_config`` and a sweep's cells
    take it instead of a path, so that a command reads each file once."""

    path: Path
    data: dict
    chain: tuple[tuple[Path, dict], ...]


def read_config(path: str | Path) -> ConfigFile:
    """Read ``path`` and the configs it ``extends`` (raises ``ConfigError`` naming the file)."""
    path, chain = Path(path), []
    data = _read_chain(path, (), chain)
    return ConfigFile(path, data, tuple(chain))


def load_config_sourced(
    path: str | Path | ConfigFile, overrides: list[str] | tuple[str, ...] = (), cell: dict[str, Any] | None = None,
    label: Callable[[Any], str] = sweep_label,
) -> tuple[Experiment, Callable[[Sequence], str]]:
    """``load_config``, and a function telling who wrote the value at a key path: the file of
    the ``extends`` chain that sets it, ``FILE (--set ...)``, or ``FILE`` for a sweep cell's
    values.  Checks made later (against the data) name the place with it.  ``label`` names a
    cell's key in errors (``sweep["KEY"]``; a tune trial's ``search["KEY"]``)."""
    file = path if isinstance(path, ConfigFile) else read_config(path)
    path, chain = file.path, list(file.chain)
    data = copy.deepcopy(file.data)  # overrides and cells assign into it
    data.setdefault("name", path.stem)
    applied = [(item, _apply_override(data, item, path)) for item in overrides]
    cell_keys = []
    if cell is not None:
        data.pop("sweep", None)
        data.pop("search", None)
        for key, value in cell.items():
            cell_keys.append(assign(data, parse_key_path(key), copy.deepcopy(value), f"{path}: {label(key)}"))
    _resolve_paths(data, path.parent)  # a sweep cell's path, from the file's sweep

    def source(loc: Sequence) -> str:
        return _origin(list(loc), path, chain, applied, cell_keys)

    try:
        return Experiment.model_validate(data), source
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(format_error(source(clean_loc(err)), err)) from None


def dump_config(cfg: Experiment) -> str:
    """The resolved config as YAML text; ``load_config`` reads it back to an equal config."""
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)


def read_chain(path: str | Path) -> dict:
    """A config file merged with the configs it ``extends``, not yet validated (no ``extends`` key)."""
    return read_config(path).data


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
    if isinstance(data.get("data"), dict):  # a data path in a file is relative to that file
        data["data"] = absolute_data_path(["data"], data["data"], path.parent)
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


def _origin(loc: list, path: Path, chain: list[tuple[Path, dict]], applied, cell_keys) -> str:
    """Where the value at key path ``loc`` was written: a sweep cell (reported as ``path``,
    which holds the sweep), a ``--set``, or the file of the ``extends`` chain nearest to
    ``path`` that sets it.  ``applied`` and ``cell_keys`` hold key paths with their list
    indices resolved (``[-1]`` is the last item)."""
    def hits(tokens):
        return loc[: len(tokens)] == tokens or tokens[: len(loc)] == loc

    if any(hits(tokens) for tokens in cell_keys):
        return str(path)
    for item, tokens in reversed(applied):
        if hits(tokens):
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


def _apply_override(data: dict, item: str, path: Path) -> list[str | int]:
    """Apply one ``--set``; returns its key path with list indices resolved.  A data path given
    on the command line is relative to the working directory."""
    try:
        tokens, value = parse_override(item)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return assign(data, tokens, absolute_data_path(tokens, value, Path.cwd()), f"{path}: --set {item!r}")


def absolute_data_path(tokens: Sequence, value: Any, base_dir: Path) -> Any:
    """``value`` written at key path ``tokens``, with a data file path in it (``data.path``) made
    absolute against ``base_dir``: the folder of the file that wrote it, or the working
    directory for ``--set`` and ``--sweep``."""
    tokens = list(tokens)
    if tokens == ["data", "path"] and isinstance(value, str):
        return str((base_dir / value).resolve())
    if tokens == ["data"] and isinstance(value, dict) and isinstance(value.get("path"), str):
        return {**value, "path": str((base_dir / value["path"]).resolve())}
    return value


def _resolve_paths(data: dict, base_dir: Path) -> None:
    """A data file path (csv, npz) still relative here (a sweep cell's, from the config's own
    sweep) is relative to the config file; store it absolute."""
    section = data.get("data")
    if isinstance(section, dict) and section.get("dataset") in ("csv", "npz") and isinstance(section.get("path"), str):
        section["path"] = str((base_dir / section["path"]).resolve())
