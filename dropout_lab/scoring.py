"""Scores of a trained model from its predicted probabilities: one path for every engine.

An engine hands over, for the training part and the held-out part of a split, the true
class indices ``y`` (0..K-1, as :class:`~dropout_lab.data.Dataset` holds them) and the
predicted probabilities ``proba`` of shape ``(n, K)`` in the data's class order.  A
binary model may give ``(n, 2)``, ``(n, 1)`` or ``(n,)`` (the positive class's
probability); :func:`as_proba` turns each into ``(n, K)``.

Predictions: binary, positive when ``p(positive) > 0.5`` (Keras' ``BinaryAccuracy``);
multi-class, the most probable class (``argmax``, the first on ties, as Keras'
``CategoricalAccuracy``).

Each entry of :data:`METRICS` is one column per part in ``folds.csv``
(``train_<name>``, ``test_<name>``); adding a metric is one entry.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# sklearn.metrics is imported by the functions that use it, so that `import dropout_lab` stays fast

PARTS = ("train", "test")


def as_proba(proba, n_classes: int) -> np.ndarray:
    """``proba`` as an ``(n, K)`` matrix; a binary ``(n,)`` or ``(n, 1)`` is p(positive)."""
    proba = np.asarray(proba)
    if n_classes == 2 and (proba.ndim == 1 or proba.shape[1] == 1):
        p = proba.reshape(-1)
        return np.stack([1 - p, p], axis=1)
    if proba.ndim != 2 or proba.shape[1] != n_classes:
        raise ValueError(f"expected probabilities of shape (n, {n_classes}); got {proba.shape}")
    return proba


def predict(proba: np.ndarray) -> np.ndarray:
    """Class indices from an ``(n, K)`` probability matrix (see the module's docstring)."""
    if proba.shape[1] == 2:
        return (proba[:, 1] > 0.5).astype(np.int64)
    return np.argmax(proba, axis=1).astype(np.int64)


def _positive_or_all(proba: np.ndarray) -> np.ndarray:
    """What sklearn's probability scores take: p(positive) for two classes, else all columns."""
    return proba[:, 1] if proba.shape[1] == 2 else proba


def _accuracy(y, proba, pred) -> float:
    return float(np.mean(pred == y))


def _log_loss(y, proba, pred) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(y, _positive_or_all(proba), labels=list(range(proba.shape[1]))))


def _auc(y, proba, pred) -> float:
    """ROC AUC; one-vs-rest, macro-averaged for K > 2.  NaN when a class of the data is
    missing from ``y`` (it is then undefined)."""
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < proba.shape[1]:
        return math.nan
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    # sklearn insists on rows summing to 1 to float64 precision; float32 softmax rows do not
    rows = proba.astype(np.float64)
    rows = rows / rows.sum(axis=1, keepdims=True)
    return float(roc_auc_score(y, rows, multi_class="ovr", average="macro", labels=list(range(proba.shape[1]))))


def _f1_macro(y, proba, pred) -> float:
    """The mean of the per-class F1 over the classes in ``y`` or the predictions."""
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro", zero_division=0))


def _balanced_accuracy(y, proba, pred) -> float:
    """The mean recall over the classes present in ``y`` (sklearn's ``balanced_accuracy_score``)."""
    cm = _counts(y, pred, proba.shape[1])
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def _counts(y, pred, n_classes: int) -> np.ndarray:
    """The ``K x K`` confusion counts: row = true class, column = predicted class."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return cm


@dataclass(frozen=True)
class Metric:
    """One score: ``fn(y, proba, pred) -> float``, what it means, which way is better, and
    whether it is a proportion (in [0, 1], so its intervals are cut at the bounds)."""

    name: str
    fn: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    doc: str
    higher_is_better: bool = True
    proportion: bool = True


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", _accuracy, "share of rows whose predicted class is the true one"),
    Metric("loss", _log_loss, "log-loss (cross-entropy) of the predicted probabilities (sklearn's log_loss)",
           higher_is_better=False, proportion=False),
    Metric("auc", _auc, "ROC AUC; one-vs-rest, macro-averaged over the classes for K > 2"),
    Metric("f1_macro", _f1_macro, "F1 per class, averaged with equal weights"),
    Metric("balanced_accuracy", _balanced_accuracy, "recall per class, averaged with equal weights"),
)

# the columns folds.csv had before the other metrics, kept in their place
_FIRST = ("train_accuracy", "test_accuracy", "test_loss")


def columns() -> list[str]:
    """Every score's column name, in ``folds.csv`` order (the first three as they always were)."""
    every = [f"{part}_{metric.name}" for metric in METRICS for part in PARTS]
    return [*_FIRST, *(c for c in every if c not in _FIRST)]


def metric_of(column: str) -> Metric | None:
    """The metric of a score column (``test_loss``, ``train_auc``...), or None."""
    name = column.split("_", 1)[1] if column.startswith(tuple(f"{p}_" for p in PARTS)) else column
    return next((m for m in METRICS if m.name == name), None)


def higher_is_better(column: str) -> bool:
    """Whether a larger value of a score column is better."""
    metric = metric_of(column)
    return metric.higher_is_better if metric else True


def is_proportion(column: str) -> bool:
    """Whether a score column's values lie in [0, 1] (accuracy, AUC, F1...; not a loss)."""
    metric = metric_of(column)
    return metric.proportion if metric else False


def score(y: np.ndarray, proba, n_classes: int, part: str) -> dict[str, float]:
    """Every metric of one part (``train`` or ``test``): ``{"<part>_<metric>": value}``."""
    proba = as_proba(proba, n_classes)
    y = np.asarray(y, dtype=np.int64)
    pred = predict(proba)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's notes on ill-defined scores; the values say it
        return {f"{part}_{metric.name}": metric.fn(y, proba, pred) for metric in METRICS}


def score_split(y_train, proba_train, y_test, proba_test, n_classes: int) -> dict[str, float]:
    """The scores of one split, train and test, keyed and ordered as :func:`columns`."""
    values = {**score(y_train, proba_train, n_classes, "train"), **score(y_test, proba_test, n_classes, "test")}
    return {name: values[name] for name in columns()}


# --- out-of-fold predictions and the confusion matrix ---

def predictions_frame(index, repeat: int, fold: int, y, proba, classes) -> pd.DataFrame:
    """One split's held-out rows: ``row`` (the row's index in the data), ``repeat``,
    ``fold``, ``true`` and ``predicted`` (class names) and ``p_<class>`` per class."""
    import pandas as pd  # pandas only for tables: the CLI's --help reads the metric names

    proba = as_proba(proba, len(classes))
    names = np.asarray(classes, dtype=object)
    frame = pd.DataFrame({"row": np.asarray(index, dtype=np.int64), "repeat": repeat, "fold": fold,
                          "true": names[np.asarray(y, dtype=np.int64)], "predicted": names[predict(proba)]})
    for k, name in enumerate(classes):
        frame[f"p_{name}"] = proba[:, k].astype(np.float64)
    return frame


def confusion(predictions: pd.DataFrame, classes) -> pd.DataFrame:
    """Counts of (true, predicted) class over every held-out row of every fold and repeat:
    rows are the true classes, columns the predicted ones, in the data's class order."""
    import pandas as pd

    classes = [str(c) for c in classes]
    index = {name: k for k, name in enumerate(classes)}
    true, predicted = (predictions[c].astype(str).map(index).to_numpy() for c in ("true", "predicted"))
    table = pd.DataFrame(_counts(true, predicted, len(classes)), index=pd.Index(classes, name="true"),
                         columns=classes)
    table.columns.name = "predicted"
    return table
