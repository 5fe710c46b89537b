"""The checks of a config's protocol against its data's labels (see :mod:`dropout_lab.preflight`).

Each raises a ``ConfigError`` for what cannot be trained; :func:`check_splits` also returns
warnings (text) for what can but is probably not what was meant:

- the protocol's sizes: k-fold needs at least 2 rows of every class and at most as many
  folds as the smallest class has rows; holdout must leave rows to train and to test on;
- every split the run will train (the same plan the engines use, every repeat): each
  training part must hold every class, each test part at least one row;
- early stopping's validation part (carved from each training part) holds every class;
- a regression task: plain k-fold needs at most as many folds as rows; the per-epoch
  history (accuracy curves) and early stopping on ``val_accuracy`` are for classes;
- the model's memory for as many models as the plan trains (:func:`.model.check_model_size`);
- a warning when ``training.batch_size`` exceeds a training part (each epoch is then one
  full batch; the circles study does this on purpose, as the tutorial does).

The checks of the model against the data's task (output layer, loss, Monte Carlo dropout,
memory) are :mod:`.model`'s.  Errors name the place that wrote the value (:mod:`.source`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..config import Experiment, HoldoutConfig
from ..errors import ConfigError, listing
from ..splits import plan, stopping_seed, validation_split
from .model import check_model_size
from .source import Source, where


def check_splits(cfg: Experiment, y, source: Source, *, classes: Sequence[str] | None = None,
                 input_shape: tuple[int, ...] | None = None) -> list[str]:
    """Check ``cfg``'s protocol, splits and model size against its data's labels ``y`` (class indices).

    Raises ``ConfigError`` (one line naming where the value was written, the key, what was
    expected and what was found); returns warnings.  ``classes`` names the classes in
    messages; ``input_shape`` (one sample's shape) enables the model-size check.
    """
    return planned_splits(cfg, y, source, classes, input_shape)[1]


def planned_splits(cfg: Experiment, y, source: Source, classes=None, input_shape=None,
                   task: str = "classification") -> tuple[list, list[str]]:
    """:func:`check_splits`, also returning the splits the run trains (planned once, here)."""
    y = np.asarray(y)
    if task == "regression":
        split_plan = _regression_splits(cfg, y, source)
    else:
        names = _class_names(y, classes)
        _check_sizes(cfg, y, source, names)
        split_plan = _plan_splits(cfg, y, source)
        for split in split_plan:
            _check_split(cfg, y, split, source, names)
            _check_validation(cfg, y, split, source, names)
    if input_shape is not None:
        check_model_size(cfg, tuple(input_shape), len(split_plan), source)
    warnings = []
    smallest = min(len(split.train) for split in split_plan)
    if cfg.training.batch_size > smallest:
        warnings.append(
            f"{where(source, 'training', 'batch_size')}: training.batch_size {cfg.training.batch_size} is larger "
            f"than the smallest training part ({smallest} rows): each epoch is one batch of all its rows"
        )
    return split_plan, warnings


def _regression_splits(cfg: Experiment, y: np.ndarray, source: Source) -> list:
    """The checks of a regression task's protocol (no classes to hold): sizes, then the plan."""
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        _check_sizes(cfg, y, source, {})
    elif ev.n_splits > len(y):
        raise ConfigError(f"{where(source, 'evaluation', 'n_splits')}: evaluation.n_splits must be an integer in "
                          f"[2, {len(y)}] (the data has {len(y)} rows); got {ev.n_splits}")
    if ev.history:
        raise ConfigError(f"{where(source, 'evaluation', 'history')}: evaluation.history records accuracy curves, "
                          f"which a regression task has not: expected false; got true")
    stopping = cfg.training.early_stopping
    if stopping is not None and stopping.monitor != "val_loss":
        raise ConfigError(f"{where(source, 'training', 'early_stopping', 'monitor')}: "
                          f"training.early_stopping.monitor must be val_loss for a regression task; "
                          f"got {stopping.monitor!r}")
    return _plan_splits(cfg, y, source)


def _class_names(y: np.ndarray, classes: Sequence[str] | None) -> dict[int, str]:
    """Each class index present in ``y`` (or named by ``classes``) -> its name."""
    present = sorted({int(v) for v in np.unique(y)} | set(range(len(classes or ()))))
    return {i: (str(classes[i]) if classes is not None and i < len(classes) else str(i)) for i in present}


def _check_sizes(cfg: Experiment, y: np.ndarray, source: Source, names: dict[int, str]) -> None:
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not 1 <= n_train < len(y):
            key, value = ("n_train", ev.n_train) if ev.n_train is not None else ("train_fraction", ev.train_fraction)
            raise ConfigError(
                f"{where(source, 'evaluation', key)}: evaluation.{key} must leave rows to train on and to test on "
                f"(1 to {len(y) - 1} of {len(y)} rows); got {value}"
            )
        return
    counts = {i: int((y == i).sum()) for i in names}
    smallest = min(counts, key=lambda i: (counts[i], i))
    if counts[smallest] < 2:
        raise ConfigError(
            f"{where(source, 'data')}: evaluation: k-fold CV needs at least 2 rows of every class; "
            f"class {names[smallest]!r} has {counts[smallest]} (class counts: {_counts_text(counts, names)}); "
            f"use more data or protocol: holdout"
        )
    if ev.n_splits > counts[smallest]:
        raise ConfigError(
            f"{where(source, 'evaluation', 'n_splits')}: evaluation.n_splits must be an integer in "
            f"[2, {counts[smallest]}] (the smallest class has {counts[smallest]} rows); got {ev.n_splits}"
        )


def _plan_splits(cfg: Experiment, y: np.ndarray, source: Source) -> list:
    """Every split the run of ``cfg`` trains (:func:`dropout_lab.splits.plan`); a protocol the
    labels cannot split is a ``ConfigError`` naming where it was written."""

    try:
        return plan(cfg, y)
    except ValueError as exc:  # e.g. a stratified holdout split with fewer training rows than classes
        raise ConfigError(f"{where(source, 'evaluation')}: evaluation: {_protocol(cfg, len(y))} cannot be "
                          f"split: {exc}") from None


def _check_split(cfg: Experiment, y: np.ndarray, split, source: Source, names: dict[int, str]) -> None:
    ev = cfg.evaluation
    train = {i: int((y[split.train] == i).sum()) for i in names}
    test = {i: int((y[split.test] == i).sum()) for i in names}
    missing = [names[i] for i, n in train.items() if n == 0]
    if not missing and len(split.test):
        return
    split_at = f"repeat {split.repeat}" + (f", fold {split.fold}" if ev.protocol != "holdout" else "")
    if missing:
        problem = f"the training part has no rows of class {', '.join(repr(m) for m in missing)}"
    else:
        problem = "the test part has no rows"
    if not ev.shuffle:
        hint = "set evaluation.shuffle: true for a stratified split"
    elif ev.protocol == "holdout":
        hint = "train on more rows (evaluation.n_train or train_fraction)"
    else:
        hint = "use fewer folds (evaluation.n_splits)"
    raise ConfigError(
        f"{where(source, 'evaluation')}: evaluation: {_protocol(cfg, len(y))}, {split_at}: {problem} "
        f"(class counts: train {_counts_text(train, names)}; test {_counts_text(test, names)}); "
        f"every training part must hold every class: {hint}"
    )


def _check_validation(cfg: Experiment, y: np.ndarray, split, source: Source, names: dict[int, str]) -> None:
    """Early stopping's validation part must hold a row of every class, and so must the rest."""
    stopping = cfg.training.early_stopping
    if stopping is None:
        return

    try:
        validation_split(split.train, y, stopping.validation_fraction, stopping_seed(split.model_seed))
    except ValueError:
        n = len(split.train)
        k = len({int(v) for v in y[split.train]})
        split_at = f"repeat {split.repeat}" + (f", fold {split.fold}" if cfg.evaluation.protocol != "holdout" else "")
        raise ConfigError(
            f"{where(source, 'training', 'early_stopping', 'validation_fraction')}: "
            f"training.early_stopping.validation_fraction must leave at least one row of each of the {k} classes "
            f"in the validation part and in the rest of the training part ({split_at} trains on {n} rows: "
            f"{stopping.validation_rows(n)} would validate); got {stopping.validation_fraction}"
        ) from None


def _protocol(cfg: Experiment, rows: int) -> str:
    ev = cfg.evaluation
    shuffle = f"shuffle: {'true' if ev.shuffle else 'false'}"
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(rows)
        which = "a stratified random" if ev.shuffle else "the first"
        return f"holdout ({which} {n_train} of {rows} rows train, {shuffle})"
    return f"{ev.n_splits}-fold CV ({shuffle})"


def _counts_text(counts: dict[int, int], names: dict[int, str]) -> str:
    return listing((f"{names[i]} {n}" for i, n in counts.items()), sep=" / ")


