"""The :class:`Dataset` every loader returns, and the checksum of its values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..errors import DataError


@dataclass(frozen=True, eq=False)
class Dataset:
    """The problem a config runs on, described by its data.

    ``X``: the rows, float64 and 2-D (rows x flat features), so that scaling, stratified
    splits and every engine work alike for tables, images and sequences; ``input_shape``:
    the shape of one sample (``(60,)`` for Sonar), which the model reshapes the flat rows
    to; ``y``: class indices 0..K-1 (int64); ``classes``: the class names in label order,
    so ``classes[y[i]]`` is row i's label; ``source`` and ``checksum``: where the values
    came from and a hash of them.

    ``task`` is ``classification`` or ``regression``.  A regression dataset has no classes
    (``classes == ()``): ``y`` is the continuous target (float64, in its own units) and
    ``target`` names it (a column's name, or what the target measures).
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    source: str
    checksum: str
    classes: tuple[str, ...] = ("0", "1")
    input_shape: tuple[int, ...] = ()
    task: str = "classification"
    target: str = ""

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
        """``binary`` (two classes), ``multiclass`` or ``regression``."""
        if self.is_regression:
            return "regression"
        return "binary" if self.n_classes == 2 else "multiclass"

    @property
    def is_regression(self) -> bool:
        return self.task == "regression"


def regression_dataset(name: str, X: np.ndarray, y, source: str, target: str = "",
                       input_shape: tuple[int, ...] | None = None) -> Dataset:
    """A regression :class:`Dataset`: ``y`` the continuous target as float64, no classes."""
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{source}: the target must be one number per row; got shape {y.shape} for {len(X)} rows")
    if not np.all(np.isfinite(y)):
        raise DataError(f"{source}: the target has a value that is not a finite number at row "
                        f"{int(np.argmax(~np.isfinite(y)))}")
    return Dataset(name, X, y, source, checksum(X, y, input_shape), classes=(), input_shape=input_shape or (),
                   task="regression", target=target)


def checksum(X: np.ndarray, y: np.ndarray, input_shape: tuple[int, ...] | None = None) -> str:
    """SHA-256 over the parsed values (float64 features, int8 labels; int64 labels when a
    class index exceeds 127; a regression target as float64), and the sample shape when it
    is not flat rows."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(X, dtype="<f8"))  # the buffer itself: no copy of a large X
    labels = np.asarray(y)
    if labels.dtype.kind == "f":
        width = "<f8"  # a continuous target
    else:
        width = "<i1" if labels.size == 0 or labels.max() <= 127 else "<i8"
    digest.update(np.ascontiguousarray(labels, dtype=width).tobytes())
    if input_shape is not None and tuple(input_shape) != (X.shape[1],):
        digest.update(repr(tuple(int(d) for d in input_shape)).encode())
    return digest.hexdigest()


# A numeric label column with more distinct values than this, and fewer than
# ROWS_PER_CLASS rows per value on average, is a measured quantity rather than classes.
MAX_SPARSE_CLASSES = 20
ROWS_PER_CLASS = 5


def check_class_labels(labels, where: str) -> None:
    """Refuse labels that look like a continuous target rather than classes: numbers with a
    fractional part (as scikit-learn's ``type_of_target`` calls them continuous), or more than
    ``MAX_SPARSE_CLASSES`` distinct numbers with fewer than ``ROWS_PER_CLASS`` rows each on
    average (the diabetes target 25-346: 214 values in 442 rows).  ``where`` starts the message."""
    try:
        values = np.array([float(str(label)) for label in labels])
    except ValueError:
        return  # names, not numbers
    distinct = np.unique(values)
    fractional = not np.all(np.isfinite(distinct) & (distinct == np.round(distinct)))
    sparse = len(distinct) > MAX_SPARSE_CLASSES and len(values) < ROWS_PER_CLASS * len(distinct)
    if fractional or sparse:
        raise DataError(
            f"{where}: the labels look like a continuous target ({len(distinct)} distinct numbers from "
            f"{distinct.min():g} to {distinct.max():g} in {len(values)} rows), not classes; for a regression "
            "problem set data.task: regression, else give a label column of classes"
        )


def class_names(labels) -> list[str]:
    """The distinct labels as class names in label order: numerically when every label is
    an integer written plainly (``2`` before ``10``), else as sorted strings."""
    distinct = {str(label).strip() for label in labels}
    return sorted(distinct, key=int) if all(_plain_int(v) for v in distinct) else sorted(distinct)


def _plain_int(text: str) -> bool:
    try:
        return str(int(text)) == text
    except ValueError:
        return False


def encode(labels, classes: list[str]) -> np.ndarray:
    """Labels as class indices into ``classes`` (int64)."""
    index = {name: i for i, name in enumerate(classes)}
    return np.array([index[str(label).strip()] for label in labels], dtype=np.int64)
