"""The UCI Sonar data (Mines vs. Rocks), read from ``<data dir>/sonar.csv``.

When the file is missing (or fails verification) it is downloaded from the UCI archive,
verified, and only then put in place; every run verifies it again (see :mod:`.cache`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import SonarData
from ..errors import DataError
from .cache import RemoteFile, cached_file, fetch
from .csvfile import read_table
from .dataset import Dataset, checksum

SONAR_URL = (
    "https://archive.ics.uci.edu/ml/machine-learning-databases/"
    "undocumented/connectionist-bench/sonar/sonar.all-data"
)
SONAR_FILE = "sonar.csv"
# SHA-256 of the parsed values (see `checksum`), not of the file's bytes: line endings
# and a trailing newline differ between copies of the same data.
SONAR_CHECKSUM = "2b40bae2e168dd9c53d5c41e7b18b0597fac269dfc95d9123322f0b758f5dd55"
SONAR_SHAPE = (208, 60)
SONAR_COUNTS = {"M": 111, "R": 97}


def load_sonar(spec: SonarData, data_dir: Path) -> Dataset:
    path = cached_file(SONAR_REMOTE, data_dir)
    X, y = read_sonar(path)
    return Dataset("sonar", X, y, str(path), checksum(X, y), classes=("R", "M"))


def read_sonar(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Parse and verify a Sonar file: 208 rows, 60 values in [0, 1], 111 M and 97 R."""
    table = read_table(path, header=False, label_column=None, columns=SONAR_SHAPE[1] + 1)
    X, labels, label_column = table.X, table.labels, SONAR_SHAPE[1] + 1
    if X.shape != SONAR_SHAPE:
        raise DataError(
            f"{path}: expected {SONAR_SHAPE[0]} rows of {SONAR_SHAPE[1] + 1} columns; "
            f"got {X.shape[0]} rows of {X.shape[1] + 1}"
        )
    for row, label in zip(table.rows, labels, strict=True):
        if label not in SONAR_COUNTS:
            raise DataError(f"{path}: row {row}, column {label_column}: label must be M or R; got {label!r}")
    outside = np.argwhere((X < 0) | (X > 1))
    if len(outside):
        row, col = outside[0]
        raise DataError(
            f"{path}: row {table.rows[row]}, column {col + 1}: sonar values must be in [0, 1]; got {X[row, col]}"
        )
    counts = {label: labels.count(label) for label in SONAR_COUNTS}
    if counts != SONAR_COUNTS:
        raise DataError(f"{path}: column {label_column}: expected label counts {SONAR_COUNTS}; got {counts}")
    y = np.array([label == "M" for label in labels], dtype=np.int64)
    if checksum(X, y) != SONAR_CHECKSUM:
        raise DataError(
            f"{path}: the values differ from the UCI Sonar data (checksum {checksum(X, y)[:12]}..., "
            f"expected {SONAR_CHECKSUM[:12]}...)"
        )
    return X, y


def fetch_sonar(data_dir: Path, url: str | None = None) -> Path:
    """Download ``sonar.csv`` into ``data_dir`` (from ``url``, else ``$DROPOUT_LAB_SONAR_URL``,
    else the UCI archive), verify it, then move it into place (see :func:`.cache.fetch`)."""
    return fetch(SONAR_REMOTE, data_dir, url)


# verified by its parsed values (read_sonar), not by the file's bytes: see SONAR_CHECKSUM
SONAR_REMOTE = RemoteFile("sonar", SONAR_FILE, SONAR_URL, read_sonar)
