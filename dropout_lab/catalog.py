"""The shipped studies: the configs that come with the package, found by name.

They live in ``dropout_lab/studies/`` (package data; in the repository a link to
``configs/``), so an installed tool runs them from any directory: ``dropout-lab run
sonar_hidden`` runs ``configs/sonar_hidden.yaml``.  A study's name is its path under
that directory without ``.yaml`` (``sonar_hidden``, ``regularizers/sonar_l2``).

An argument names a study only when it is not an existing file and does not end in
``.yaml`` or ``.yml``: a path always wins, and a mistyped path stays a missing file.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from .config.loader import read_chain
from .config.yaml_io import read_yaml
from .errors import ConfigError, listing

STUDIES_DIR = Path(__file__).with_name("studies")
SUFFIXES = (".yaml", ".yml")
# a shipped config's first line: the JSON Schema of configs for editors (relative to configs/)
SCHEMA_LINE = "# yaml-language-server: $schema="


@dataclass(frozen=True)
class Study:
    """A shipped config: its name, its file and the first sentence of its ``description``."""

    name: str
    path: Path
    summary: str


def list_studies() -> list[Study]:
    """Every shipped study, sorted by name (top-level studies first, then each folder's)."""
    paths = sorted(STUDIES_DIR.rglob("*.yaml"), key=lambda p: (len(p.relative_to(STUDIES_DIR).parts), p))
    return [Study(_name(path), path, _summary(path)) for path in paths]


def study_names() -> list[str]:
    return [study.name for study in list_studies()]


def study_path(name: str) -> Path:
    """The file of the shipped study ``name``; an unknown name is an error listing the known ones."""
    path = STUDIES_DIR / f"{name}.yaml"
    if name and ".." not in Path(name).parts and path.is_file():
        return path
    raise ConfigError(_unknown(name))


def resolve_config(arg: str | Path) -> Path:
    """A config argument as a file: the path itself, or the shipped study it names (see the module)."""
    path = Path(arg)
    if path.exists() or path.suffix in SUFFIXES:
        return path
    return study_path(str(arg))


def resolve_configs(args: Iterable[str | Path]) -> list[Path]:
    return [resolve_config(arg) for arg in args]


def init_study(name: str, dest: str | Path = ".", force: bool = False) -> Path:
    """Copy the study ``name`` to ``dest`` to edit: a directory (``dest/<name>.yaml``, the
    name's last part) or a file path ending in ``.yaml``; refuses an existing file unless
    ``force``.  A study that ``extends`` another is written merged, so the copy stands alone."""
    source = study_path(name)
    dest = Path(dest)
    target = dest if dest.suffix in SUFFIXES else dest / source.name
    if target.exists() and not force:
        raise ConfigError(f"{target}: the file exists; use --force to replace it")
    own = read_yaml(source)
    if "extends" in own:
        merged = read_chain(source)
        text = (f"# The shipped study {name} (merged with the configs it extends), "
                f"from `dropout-lab init {name}`.\n" + yaml.safe_dump(merged, sort_keys=False, width=100))
    else:
        text = source.read_text()
    text = _with_schema_line(text)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the config: {exc.strerror}") from None
    return target


def _with_schema_line(text: str) -> str:
    """``text`` whose first line points an editor to the installed JSON Schema: a shipped study's
    line is relative to ``configs/``, where the copy is not."""
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_LINE):
        lines = lines[1:]
    return f"{SCHEMA_LINE}{(STUDIES_DIR / 'config.schema.json').resolve().as_uri()}\n" + "".join(lines)


def _name(path: Path) -> str:
    return path.relative_to(STUDIES_DIR).with_suffix("").as_posix()


def _summary(path: Path) -> str:
    """The first sentence of the study's ``description`` (its own, or the one it extends)."""
    try:
        text = " ".join(str(read_chain(path).get("description") or "").split())
    except ConfigError:
        return "(cannot be read)"
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _unknown(name: str) -> str:
    names = study_names()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"; did you mean {close[0]}?" if close else "."
    return (f"{name}: no such config file, nor a shipped study{hint} Studies: {listing(names)} "
            "(`dropout-lab studies` lists them)")
