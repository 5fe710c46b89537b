"""User CSV files: a numeric table with one label column (``dataset: csv``), classes or, with
``task: regression``, a numeric target.

Errors name the file, the row (its line in the file) and the column.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..config import CsvData
from ..errors import DataError, listing
from .dataset import Dataset, check_class_labels, checksum, class_names, encode, regression_dataset


def load_csv(spec: CsvData, data_dir: Path) -> Dataset:
    """A numeric CSV with a label column of any number (>= 2) of classes, strings or integers.

    Classes are in label order (integers numerically, else as sorted strings); with two
    classes, ``positive_label`` (default: the larger) is class 1.
    """
    path = Path(spec.path)
    table = read_table(path, header=spec.header, label_column=spec.label_column, delimiter=spec.delimiter)
    X, labels = table.X, table.labels
    where = f"column {table.label_at + 1}" + (f" ({table.header[table.label_at]})" if table.header else "")
    if spec.task == "regression":
        return _regression(spec, path, table, where)
    check_class_labels(labels, f"{path}: {where}")
    classes = class_names(labels)
    if len(classes) < 2:
        raise DataError(f"{path}: {where}: the label column must hold at least 2 classes; "
                        f"got 1: {classes[0]!r}")
    if len(classes) == 2:
        positive = classes[1] if spec.positive_label is None else str(spec.positive_label)
        if positive not in classes:
            raise DataError(f"{path}: positive_label {positive!r} is not one of the labels {classes}")
        classes = [next(c for c in classes if c != positive), positive]
    elif spec.positive_label is not None:
        shown = listing((repr(c) for c in classes), limit=5)
        raise DataError(f"{path}: positive_label applies to two classes only; {where} holds "
                        f"{len(classes)}: {shown}")
    y = encode(labels, classes)
    return Dataset(path.stem, X, y, str(path), checksum(X, y), classes=tuple(classes))


def _regression(spec: CsvData, path: Path, table: Table, where: str) -> Dataset:
    """The label column as a numeric target (``data.task: regression``)."""
    if spec.positive_label is not None:
        raise DataError(f"{path}: data.positive_label applies to classes only; data.task is regression")
    target = np.empty(len(table.labels))
    for i, (text, row) in enumerate(zip(table.labels, table.rows, strict=True)):
        try:
            target[i] = float(text)
        except ValueError:
            target[i] = math.nan
        if not math.isfinite(target[i]):
            raise DataError(f"{path}: row {row}, {where}: data.task: regression needs a numeric target; "
                            f"got {text!r}" if text else f"{path}: row {row}, {where}: the target is missing")
    name = table.header[table.label_at] if table.header else f"column {table.label_at + 1}"
    return regression_dataset(path.stem, table.X, target, str(path), target=name)


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
        hint = f"; columns: {listing(names)}" if names else " (the file has no header; use a column index)"
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
