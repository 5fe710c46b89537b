"""Datasets: a registry from a config's ``data.dataset`` name to a loader.

Every loader returns a :class:`Dataset`: the rows, the labels as class indices, the
class names, one sample's shape and a checksum of the parsed values.  Sonar is read
from ``<data dir>/sonar.csv``; when the file is missing it is downloaded from the UCI
archive, verified, and only then put in place.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .config import CirclesData, CsvData, SonarData
from .errors import DataError

log = logging.getLogger("dropout_lab")

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


@dataclass(frozen=True, eq=False)
class Dataset:
    """The problem a config runs on, described by its data.

    ``X``: the rows, float64 and 2-D (rows x flat features), so that scaling, stratified
    splits and every engine work alike for tables, images and sequences; ``input_shape``:
    the shape of one sample (``(60,)`` for Sonar), which the model reshapes the flat rows
    to; ``y``: class indices 0..K-1 (int64); ``classes``: the class names in label order,
    so ``classes[y[i]]`` is row i's label; ``source`` and ``checksum``: where the values
    came from and a hash of them.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    source: str
    checksum: str
    classes: tuple[str, ...] = ("0", "1")
    input_shape: tuple[int, ...] = ()

    def __post_init__(self):
        if not self.input_shape:
            object.__setattr__(self, "input_shape", (int(self.X.shape[1]),))

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def kind(self) -> str:
        """``binary`` (two classes) or ``multiclass``."""
        return "binary" if self.n_classes == 2 else "multiclass"


def checksum(X: np.ndarray, y: np.ndarray) -> str:
    """SHA-256 over the parsed values (float64 features, int8 labels)."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(X, dtype="<f8").tobytes())
    digest.update(np.ascontiguousarray(y, dtype="<i1").tobytes())
    return digest.hexdigest()


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """``--data-dir``, else ``$DROPOUT_LAB_DATA``, else ``./data``."""
    return Path(data_dir or os.environ.get("DROPOUT_LAB_DATA") or "data")


def load_dataset(spec, data_dir: str | Path | None = None) -> Dataset:
    """Load the dataset a config's ``data`` section names."""
    loader = DATASETS[spec.dataset]
    return loader(spec, resolve_data_dir(data_dir))


# --- sonar ---

def _load_sonar(spec: SonarData, data_dir: Path) -> Dataset:
    path = data_dir / SONAR_FILE
    if not path.is_file():
        fetch_sonar(data_dir)
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
            f"expected {SONAR_CHECKSUM[:12]}...); delete the file to download it again"
        )
    return X, y


def fetch_sonar(data_dir: Path, url: str | None = None) -> Path:
    """Download ``sonar.csv`` into ``data_dir``, verify it, then move it in place.

    Nothing is created on disk (not even ``data_dir``) unless the download verified.
    """
    url = url or os.environ.get("DROPOUT_LAB_SONAR_URL") or SONAR_URL
    target = data_dir / SONAR_FILE
    log.info("%s not found; downloading %s", target, url)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            payload = response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DataError(
            f"{target}: not found, and the download from {url} failed ({reason}); "
            f"put sonar.csv in {data_dir} or name its directory with --data-dir"
        ) from None
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / SONAR_FILE
        staged.write_bytes(payload)
        try:
            read_sonar(staged)
        except DataError as exc:
            problem = str(exc).removeprefix(f"{staged}: ")
            raise DataError(f"the file downloaded from {url} failed verification: {problem}") from None
    tmp = None
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".sonar-", suffix=".part")
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        os.replace(tmp, target)
    except OSError as exc:
        raise DataError(f"{target}: cannot save the downloaded data: {exc.strerror}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    log.info("downloaded %s and verified it: 208 rows, 111 M / 97 R, checksum %s", target, SONAR_CHECKSUM[:12])
    return target


# --- circles ---

def _load_circles(spec: CirclesData, data_dir: Path) -> Dataset:
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=spec.n_samples, noise=spec.noise, random_state=spec.random_state)
    y = y.astype(np.int64)
    return Dataset("circles", X, y, "sklearn.datasets.make_circles", checksum(X, y), classes=("0", "1"))


# --- any user CSV ---

def _load_csv(spec: CsvData, data_dir: Path) -> Dataset:
    path = Path(spec.path)
    table = read_table(path, header=spec.header, label_column=spec.label_column, delimiter=spec.delimiter)
    X, labels = table.X, table.labels
    classes = sorted(set(labels), key=str)
    if len(classes) != 2:
        shown = ", ".join(repr(c) for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
        where = f"column {table.label_at + 1}" + (f" ({table.header[table.label_at]})" if table.header else "")
        if len(classes) > 2:  # name the row where a third label first appears
            third = list(dict.fromkeys(labels))[2]
            where = f"row {table.rows[labels.index(third)]}, {where}: a third label {third!r};"
        else:
            where += ":"
        raise DataError(f"{path}: {where} the label column must hold exactly 2 classes; got {len(classes)}: {shown}")
    positive = classes[1] if spec.positive_label is None else str(spec.positive_label)
    if positive not in classes:
        raise DataError(f"{path}: positive_label {positive!r} is not one of the labels {classes}")
    y = np.array([label == positive for label in labels], dtype=np.int64)
    negative = next(c for c in classes if c != positive)
    return Dataset(path.stem, X, y, str(path), checksum(X, y), classes=(negative, positive))


class Table(NamedTuple):
    """A parsed CSV: features, labels as strings, feature names, and where each row was."""

    X: np.ndarray
    labels: list[str]
    names: list[str]  # the feature columns' names (x0, x1, ... without a header)
    rows: list[int]  # each data row's line number in the file, for error messages
    label_at: int  # the label column's index
    header: list[str]  # the header row, or [] without one


def read_table(path: Path, header: bool, label_column, columns: int | None = None, delimiter: str = ",") -> Table:
    """Read a numeric CSV with one label column; errors name the file, row and column.

    ``columns`` is the expected number of columns (default: the header's, else the
    first row's).  Blank lines are skipped; a row's number is its line in the file.
    A file that reads as one column but holds ``;`` or tabs is an error that names
    ``data.delimiter``.
    """
    try:
        with open(path, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            numbered = [(reader.line_num, row) for row in reader if row and any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: cannot read as CSV: {exc}") from None
    names = numbered.pop(0)[1] if header and numbered else []
    if not numbered:
        raise DataError(f"{path}: the file has no data rows")
    numbers, rows = [n for n, _ in numbered], [row for _, row in numbered]
    width = columns or len(names) or len(rows[0])
    hint = _delimiter_hint(names or rows[0], delimiter) if columns is None else ""  # sonar has no such option
    if width < 2:
        raise DataError(f"{path}: expected at least 2 columns (features and a label); got {width}{hint}")
    if hint and len(rows[0]) == 1:
        raise DataError(f"{path}: row {numbers[0]} has 1 column; expected {width}{hint}")
    label_at = _label_index(path, label_column, names, width)
    for number, row in numbered:
        if len(row) != width:
            raise DataError(f"{path}: row {number} has {len(row)} columns; expected {width}")
    features = [i for i in range(width) if i != label_at]
    X = np.empty((len(rows), len(features)))
    for i, (number, row) in enumerate(numbered):
        for j, col in enumerate(features):
            X[i, j] = _number(path, number, col, row[col], names)
    labels = [row[label_at].strip() for row in rows]
    feature_names = [names[i] for i in features] if names else [f"x{i}" for i in features]
    return Table(X, labels, feature_names, numbers, label_at, names)


def _delimiter_hint(row: list[str], delimiter: str) -> str:
    """For a row read as one column: the separator it seems to use, as a hint naming ``data.delimiter``."""
    if len(row) != 1:
        return ""
    for char, shown in ((";", "';'"), ("\t", "'\\t'"), (",", "','")):
        if char != delimiter and char in row[0]:
            return f" (the lines are separated by {shown}, not {delimiter!r}: set data.delimiter: {shown})"
    return ""


def _label_index(path: Path, label_column, names: list[str], width: int) -> int:
    if label_column is None:
        return width - 1
    if isinstance(label_column, int):
        if not -width <= label_column < width:
            raise DataError(f"{path}: label_column {label_column} is out of range for {width} columns")
        return label_column % width
    if label_column not in names:
        hint = f"; columns: {', '.join(names)}" if names else " (the file has no header; use a column index)"
        raise DataError(f"{path}: label_column {label_column!r} is not a column{hint}")
    return names.index(label_column)


def _number(path: Path, row: int, col: int, text: str, names: list[str]) -> float:
    where = f"{path}: row {row}, column {col + 1}" + (f" ({names[col]})" if names else "")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: expected a number; got {text.strip()!r}" if text.strip()
                        else f"{where}: the value is missing") from None
    if not math.isfinite(value):
        raise DataError(f"{where}: expected a finite number; got {text.strip()!r}")
    return value


DATASETS = {"sonar": _load_sonar, "circles": _load_circles, "csv": _load_csv}
