"""Classification scores of a trained model from its predicted probabilities: one path for every engine.

An engine hands over, for the training part and the held-out part of a split, the true
class indices ``y`` (0..K-1, as :class:`~dropout_lab.data.Dataset` holds them) and the
predicted probabilities ``proba`` of shape ``(n, K)`` in the data's class order.  A
binary model may give ``(n, 2)``, ``(n, 1)`` or ``(n,)`` (the positive class's
probability); :func:`as_proba` turns each into ``(n, K)``.

Predictions: binary, positive when ``p(positive) > 0.5`` (Keras' ``BinaryAccuracy``);
multi-class, the most probable class (``argmax``, the first on ties, as Keras'
``CategoricalAccuracy``).

Each entry of :data:`METRICS` is one column per part in ``folds.csv``
(``train_<name>``, ``test_<name>``); adding a metric is one entry.  With Monte Carlo
dropout (``evaluation.inference.mode: mc_dropout``) the held-out part is scored a second
time from the averaged stochastic passes: ``mc_test_<name>`` (see :data:`MC_PREFIX`).

Calibration: ``loss`` is the negative log-likelihood (NLL) of the true class; ``brier``
is Brier's multi-class score, the mean over rows of ``sum_k (p_k - [y == k])**2`` for
every K, binary included (there it is twice the binary ``mean((p - y)**2)``, and lies in
[0, 2]); ``ece`` is the expected calibration error over ``bins`` equal-width bins of the
top-class confidence (bins ``((b-1)/B, b/B]``): ``sum_b n_b/n * |accuracy_b - confidence_b|``.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from .metric import DEFAULT_BINS, MC_PREFIX, PARTS, Metric

if TYPE_CHECKING:
    import pandas as pd

# sklearn.metrics is imported by the functions that use it, so that `import dropout_lab` stays fast

TASK = "classification"


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


def _accuracy(y, proba, pred, **_) -> float:
    return float(np.mean(pred == y))


def _log_loss(y, proba, pred, **_) -> float:
    from sklearn.metrics import log_loss

    return float(log_loss(y, _positive_or_all(proba), labels=list(range(proba.shape[1]))))


def _auc(y, proba, pred, **_) -> float:
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


def _f1_macro(y, proba, pred, **_) -> float:
    """The mean of the per-class F1 over the classes in ``y`` or the predictions."""
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro", zero_division=0))


def _balanced_accuracy(y, proba, pred, **_) -> float:
    """The mean recall over the classes present in ``y`` (sklearn's ``balanced_accuracy_score``)."""
    cm = class_counts(y, pred, proba.shape[1])
    support = cm.sum(axis=1)
    present = support > 0
    return float(np.mean(np.diag(cm)[present] / support[present]))


def _brier(y, proba, pred, **_) -> float:
    """Brier's multi-class score: mean over rows of the squared distance to the one-hot label."""
    onehot = np.eye(proba.shape[1])[y]
    return float(np.mean(np.sum((proba.astype(np.float64) - onehot) ** 2, axis=1)))


def confidence(proba: np.ndarray) -> np.ndarray:
    """The top-class confidence of each row: the probability of its predicted class."""
    return proba[np.arange(len(proba)), predict(proba)].astype(np.float64)


def bin_index(conf: np.ndarray, bins: int) -> np.ndarray:
    """Each confidence's equal-width bin ``((b-1)/B, b/B]`` as 0..B-1 (0 goes to the first)."""
    return np.clip(np.ceil(np.asarray(conf, np.float64) * bins).astype(np.int64) - 1, 0, bins - 1)


def reliability(y, proba, bins: int = DEFAULT_BINS) -> pd.DataFrame:
    """Per equal-width bin of the top-class confidence: its edges, the rows in it
    (``count``), their mean confidence and their accuracy (NaN for an empty bin)."""
    import pandas as pd

    proba = np.asarray(proba)
    conf = confidence(proba)
    hit = (predict(proba) == np.asarray(y, dtype=np.int64)).astype(np.float64)
    which = bin_index(conf, bins)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, minlength=bins) / count
        accuracy = np.bincount(which, hit, minlength=bins) / count
    edges = np.arange(bins + 1) / bins
    return pd.DataFrame({"bin": np.arange(1, bins + 1), "lo": edges[:-1], "hi": edges[1:], "count": count,
                         "confidence": mean_conf, "accuracy": accuracy})


def _ece(y, proba, pred, bins: int = DEFAULT_BINS, **_) -> float:
    table = reliability(y, proba, bins)
    full = table[table["count"] > 0]
    return float(np.sum(full["count"] / len(y) * np.abs(full["accuracy"] - full["confidence"])))


def entropy(proba: np.ndarray) -> np.ndarray:
    """Each row's predictive entropy ``-sum_k p_k log p_k`` (nats; 0 log 0 = 0)."""
    p = np.asarray(proba, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=1)


def entropy_split(y, proba) -> dict[str, float]:
    """Mean predictive entropy of the rows predicted right and of those predicted wrong
    (NaN when there are none)."""
    proba = np.asarray(proba)
    h, hit = entropy(proba), predict(proba) == np.asarray(y, dtype=np.int64)
    return {"entropy_correct": float(h[hit].mean()) if hit.any() else math.nan,
            "entropy_wrong": float(h[~hit].mean()) if (~hit).any() else math.nan}


def class_counts(y, pred, n_classes: int) -> np.ndarray:
    """The ``K x K`` confusion counts: row = true class, column = predicted class."""
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y, dtype=np.int64), np.asarray(pred, dtype=np.int64)), 1)
    return cm


METRICS: tuple[Metric, ...] = (
    Metric("accuracy", _accuracy, "share of rows whose predicted class is the true one"),
    Metric("loss", _log_loss, "log-loss (cross-entropy) of the predicted probabilities (sklearn's log_loss)",
           higher_is_better=False, bounds=(0.0, math.inf)),
    Metric("auc", _auc, "ROC AUC; one-vs-rest, macro-averaged over the classes for K > 2"),
    Metric("f1_macro", _f1_macro, "F1 per class, averaged with equal weights"),
    Metric("balanced_accuracy", _balanced_accuracy, "recall per class, averaged with equal weights"),
    Metric("brier", _brier, "Brier score: mean over rows of sum over classes of (p - one-hot label)**2, in [0, 2]",
           higher_is_better=False, bounds=(0.0, 2.0)),
    Metric("ece", _ece, "expected calibration error over evaluation.calibration_bins equal-width bins of the "
           "top-class confidence", higher_is_better=False),
)
# the bounds of the other columns a summary covers: the mean predictive entropies computed here
# (nats; at most log K) and early stopping's epochs (folds.STOPPING_COLUMNS; at most training.epochs)
OTHER_BOUNDS = {"entropy_correct": (0.0, math.inf), "entropy_wrong": (0.0, math.inf),
                "stopped_epoch": (1.0, math.inf), "best_epoch": (1.0, math.inf)}

# the columns folds.csv had before the other metrics, kept in their place
_FIRST = ("train_accuracy", "test_accuracy", "test_loss")


def columns() -> list[str]:
    """Every score's column name, in ``folds.csv`` order (the first three as they always were)."""
    every = [f"{part}_{metric.name}" for metric in METRICS for part in PARTS]
    return [*_FIRST, *(c for c in every if c not in _FIRST)]


def mc_columns() -> list[str]:
    """The held-out part's scores under Monte Carlo dropout, in ``folds.csv`` order."""
    return [f"{MC_PREFIX}test_{metric.name}" for metric in METRICS]

def score(y: np.ndarray, proba, n_classes: int, part: str, bins: int = DEFAULT_BINS) -> dict[str, float]:
    """Every metric of one part (``train``, ``test`` or ``mc_test``): ``{"<part>_<metric>": value}``."""
    proba = as_proba(proba, n_classes)
    y = np.asarray(y, dtype=np.int64)
    pred = predict(proba)
    import sklearn

    # the arrays are ours and valid: skip sklearn's per-call parameter validation (most of the time here)
    with warnings.catch_warnings(), sklearn.config_context(skip_parameter_validation=True):
        warnings.simplefilter("ignore")  # sklearn's notes on ill-defined scores; the values say it
        return {f"{part}_{metric.name}": metric.fn(y, proba, pred, bins=bins) for metric in METRICS}


def score_split(y_train, proba_train, y_test, proba_test, n_classes: int, bins: int = DEFAULT_BINS) -> dict[str, float]:
    """The scores of one split, train and test, keyed and ordered as :func:`columns`."""
    values = {**score(y_train, proba_train, n_classes, "train", bins),
              **score(y_test, proba_test, n_classes, "test", bins)}
    return {name: values[name] for name in columns()}


def score_mc(y_test, proba_test, mc_proba_test, n_classes: int, bins: int = DEFAULT_BINS) -> dict[str, float]:
    """The held-out part scored from Monte Carlo dropout's averaged probabilities
    (``mc_test_<metric>``), and the mean predictive entropy of right and wrong predictions
    under both inference modes (``test_entropy_correct``, ``mc_test_entropy_wrong``...)."""
    mc = as_proba(mc_proba_test, n_classes)
    values = score(y_test, mc, n_classes, f"{MC_PREFIX}test", bins)
    for prefix, proba in (("test", as_proba(proba_test, n_classes)), (f"{MC_PREFIX}test", mc)):
        values.update({f"{prefix}_{k}": v for k, v in entropy_split(y_test, proba).items()})
    return values


def score_fold(y_train, proba_train, y_test, proba_test, n_classes: int, bins: int = DEFAULT_BINS,
               mc_proba_test=None) -> dict[str, float]:
    """Every score of one trained split, from the predictions its engine handed back:
    :func:`score_split`, and with Monte Carlo dropout's probabilities (``mc_proba_test``)
    :func:`score_mc` too.  The one call that scores a fold (see
    :func:`dropout_lab.folds.fold_result`)."""
    scores = score_split(y_train, proba_train, y_test, proba_test, n_classes, bins)
    if mc_proba_test is not None:
        scores.update(score_mc(y_test, proba_test, mc_proba_test, n_classes, bins))
    return scores
