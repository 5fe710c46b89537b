"""A user's own arrays from a ``.npz`` file (``dataset: npz``): images, sequences, tables.

``X`` may have any shape with rows first; each row is flattened (the Dataset keeps 2-D
rows) and its shape kept as ``input_shape``.  ``y`` holds one label per row (integers
or strings); the classes are the sorted distinct labels (integers numerically).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..config import NpzData
from ..errors import DataError
from .dataset import Dataset, check_class_labels, checksum, class_names, encode, regression_dataset


def load_npz(spec: NpzData, data_dir: Path) -> Dataset:
    path = Path(spec.path)
    X, labels = _read(path, spec.x_key, spec.y_key)
    if X.ndim < 2:
        raise DataError(f"{path}: {spec.x_key} must have rows first and at least one value per row; "
                        f"got shape {X.shape}")
    if labels.ndim != 1:
        raise DataError(f"{path}: {spec.y_key} must hold one label per row (1-D); got shape {labels.shape}")
    if len(X) != len(labels):
        raise DataError(f"{path}: {spec.x_key} has {len(X)} rows but {spec.y_key} has {len(labels)} labels; "
                        "they must have the same length")
    if len(X) == 0:
        raise DataError(f"{path}: {spec.x_key} has no rows")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool) or np.iscomplexobj(X):
        raise DataError(f"{path}: {spec.x_key} must hold real numbers; got dtype {X.dtype}")
    flat = X.reshape(len(X), -1).astype(np.float64)
    bad = np.argwhere(~np.isfinite(flat))
    if len(bad):
        row, col = bad[0]
        raise DataError(f"{path}: {spec.x_key}[{row}] has a value that is not a finite number "
                        f"(flat position {col}): {flat[row, col]}")
    shape = tuple(int(d) for d in X.shape[1:])
    if spec.task == "regression":
        if labels.dtype.kind not in "iuf" or not np.all(np.isfinite(labels)):
            nan = "" if labels.dtype.kind not in "iuf" else " with NaN or inf"
            raise DataError(f"{path}: {spec.y_key}: data.task: regression needs a finite numeric target; "
                            f"got dtype {labels.dtype}{nan}")
        return regression_dataset(path.stem, flat, labels, str(path), target=spec.y_key, input_shape=shape)
    if labels.dtype.kind in "iu" or (labels.dtype.kind == "f" and np.all(np.isfinite(labels))):
        check_class_labels(labels.tolist(), f"{path}: {spec.y_key}")
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DataError(f"{path}: {spec.y_key} must hold class labels (integers or strings); "
                            f"got non-integer values such as {labels[labels != np.round(labels)][:1]}")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iubUSO":
        raise DataError(f"{path}: {spec.y_key} must hold class labels (integers or strings); got dtype {labels.dtype}")
    texts = [x.decode() if isinstance(x, bytes) else str(x) for x in labels.tolist()]
    classes = class_names(texts)
    if len(classes) < 2:
        raise DataError(f"{path}: {spec.y_key} must hold at least 2 classes; got 1: {classes[0]!r}")
    y = encode(texts, classes)
    return Dataset(path.stem, flat, y, str(path), checksum(flat, y, shape), classes=tuple(classes),
                   input_shape=shape)


def _read(path: Path, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            for key, what in ((x_key, "the samples"), (y_key, "the labels")):
                if key not in names:
                    raise DataError(f"{path}: no array {key!r} ({what}) in the file; arrays: "
                                    f"{', '.join(names) or '(none)'}")
            return archive[x_key], archive[y_key]
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except DataError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read as an .npz file of arrays: {exc}") from None
