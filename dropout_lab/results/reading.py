"""Reading run directories back: ``read_run`` and ``find_done`` (what a finished run looks like).

Every error names the file: missing, unreadable, malformed, or a folds.csv without the
columns a run always has.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..config import Experiment
from ..errors import ResultsError, listing

READ_FOLD_COLUMNS = ("repeat", "fold", "split_seed", "n_train", "n_test", "test_accuracy")
# a regression run's folds.csv has its headline score instead of test accuracy
_PRIMARY = {"classification": "test_accuracy", "regression": "test_rmse"}
RUN_FILES = ("config.yaml", "folds.csv", "summary.csv", "summary.md", "run.json")


@dataclass(frozen=True)
class SavedRun:
    """A run directory as ``read_run`` found it."""

    path: Path
    name: str  # the config's name (config.yaml ``name``, else the directory's name)
    folds: pd.DataFrame  # folds.csv, with ``repeat`` as its first column
    info: dict  # run.json
    config: dict = field(default_factory=dict)  # config.yaml

    @property
    def checksum(self) -> str | None:
        """The dataset checksum run.json records, if it records one."""
        dataset = self.info.get("dataset")
        checksum = dataset.get("checksum") if isinstance(dataset, dict) else None
        return checksum if isinstance(checksum, str) and checksum else None


def read_run(run_dir: Path | str) -> SavedRun:
    """Read a run directory's config.yaml, folds.csv and run.json.

    Raises ``ResultsError`` naming the file when one is missing, unreadable or malformed.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ResultsError(f"{run_dir}: no such run directory")
    if not (run_dir / "config.yaml").exists() and (run_dir / "sweep.yaml").is_file():
        cells = sorted(p.name for p in run_dir.iterdir() if (p / "run.json").is_file())
        shown = listing(str(run_dir / c) for c in cells) if cells else "none finished yet"
        raise ResultsError(f"{run_dir}: is a sweep, not a run; give its cells' run directories instead: {shown}")
    config = _read_file(run_dir / "config.yaml", yaml.safe_load, yaml.YAMLError, "malformed YAML")
    name = config.get("name") if isinstance(config, dict) else None
    info = _read_file(run_dir / "run.json", json.loads, ValueError, "malformed JSON")
    if not isinstance(info, dict):
        raise ResultsError(f"{run_dir / 'run.json'}: expected a JSON object")
    return SavedRun(path=run_dir, name=name if isinstance(name, str) and name else run_dir.name,
                    folds=_read_folds(run_dir / "folds.csv"), info=info,
                    config=config if isinstance(config, dict) else {})


def _read_file(path: Path, parse, parse_error, what: str):
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return parse(text)
    except parse_error as exc:
        raise ResultsError(f"{path}: {what}: {str(exc).splitlines()[0]}") from None


def _read_folds(path: Path) -> pd.DataFrame:
    def parse(text):
        return pd.read_csv(io.StringIO(text))

    folds = _read_file(path, parse, (ValueError, pd.errors.ParserError), "malformed CSV")
    folds.insert(0, "repeat", folds.pop("repeat") if "repeat" in folds.columns else 1)
    score = _PRIMARY["regression" if "test_rmse" in folds.columns else "classification"]
    required = (*READ_FOLD_COLUMNS[:-1], score)
    missing = [c for c in required if c not in folds.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s): {', '.join(missing)}")
    if folds.empty:
        raise ResultsError(f"{path}: no folds")
    for column in required:
        if not pd.api.types.is_numeric_dtype(folds[column]) or folds[column].isna().any():
            raise ResultsError(f"{path}: column {column} has missing or non-numeric values")
        if column != score and not (folds[column] % 1 == 0).all():
            raise ResultsError(f"{path}: column {column} must hold whole numbers")
    duplicated = folds.duplicated(["repeat", "fold"])
    if duplicated.any():
        repeat, fold = folds.loc[duplicated, ["repeat", "fold"]].iloc[0]
        raise ResultsError(f"{path}: repeat {repeat}, fold {fold} appears more than once")
    return folds


def find_done(run_dir: Path, cfg: Experiment, checksum: str | None = None,
              run_id: str | None = None) -> SavedRun | None:
    """The finished run of ``cfg`` in ``run_dir``, or None.

    Finished: every run file is there, and run.json records this config's hash (and, when
    given, this dataset's ``checksum`` and this ``run_id``: the same config, data and library
    versions).  Anything else is run again.
    """
    if not all((run_dir / name).is_file() for name in RUN_FILES):
        return None
    try:
        saved = read_run(run_dir)
    except ResultsError:
        return None
    if saved.info.get("config_hash") != cfg.config_hash():
        return None
    if checksum is not None and saved.checksum != checksum:
        return None
    if run_id is not None and saved.info.get("run_id") != run_id:
        return None
    return saved
