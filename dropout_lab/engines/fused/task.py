"""One model for the fused engine to train: :class:`Task` (a config, its rows, a seed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...config import Experiment


@dataclass(frozen=True, eq=False)
class Task:
    """One model to train: a config, its train/test rows (labels: class indices 0..K-1,
    K the output layer's units, 2 for a sigmoid output; for a regression loss, the target
    values) and a seed.

    ``seed`` (any non-negative integer) fixes the model's initial weights, shuffles and
    dropout masks.  Features are used as given, standardized first when
    ``cfg.evaluation.standardize``.  ``input_shape`` is one sample's shape when the flat
    rows are images or sequences (row-major, as ``numpy.reshape``); None: flat rows.
    """

    cfg: Experiment
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    seed: int
    input_shape: tuple[int, ...] | None = None


def is_regression(cfg: Experiment) -> bool:
    """Whether the task's loss is a regression loss (a ``dense(1, linear)`` output)."""
    from ...config import LOSSES

    return LOSSES[cfg.training.loss] == "regression"


def n_classes(cfg: Experiment) -> int:
    """The number of classes the output layer predicts: 2 for one sigmoid unit, else its units."""
    units = cfg.model.layers[-1].units
    return 2 if units == 1 else units


def check_data(task: Task, i: int) -> None:
    """Raise ``ValueError`` unless task ``i``'s parts are 2-D rows with 1-D class indices
    0..K-1 of the same non-zero length, train and test with the same features."""
    for part, X, y in (("train", task.X_train, task.y_train), ("test", task.X_test, task.y_test)):
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
            raise ValueError(f"task {i}: X_{part} must be 2-D and y_{part} 1-D of the same non-zero length; "
                             f"got shapes {X.shape} and {y.shape}")
        if is_regression(task.cfg):
            if not np.all(np.isfinite(y)):
                raise ValueError(f"task {i}: y_{part} must hold finite target values")
            continue
        K = n_classes(task.cfg)
        if not np.isin(y, np.arange(K)).all():
            raise ValueError(f"task {i}: y_{part} must hold class indices 0..{K - 1} only")
    if task.input_shape is not None and int(np.prod(task.input_shape)) != task.X_train.shape[1]:
        raise ValueError(f"task {i}: input_shape {task.input_shape} does not hold {task.X_train.shape[1]} features")
    if task.X_train.shape[1] != task.X_test.shape[1]:
        raise ValueError(f"task {i}: X_train has {task.X_train.shape[1]} features, X_test {task.X_test.shape[1]}")
