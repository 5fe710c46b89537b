"""Scores of trained models: one table of metrics per task, one path for every engine.

- :mod:`.classification`: from predicted probabilities (accuracy, log-loss, AUC, F1,
  balanced accuracy, Brier, ECE; Monte Carlo dropout's averaged probabilities);
- :mod:`.regression`: from predicted values (RMSE, MAE, R-squared; Monte Carlo dropout's
  predictive mean and standard deviation, Gaussian log-likelihood with tau, PICP, widths);
- :mod:`.metric`: the :class:`Metric` entry both tables are made of.

A score column is ``<part>_<metric>`` (``train_accuracy``, ``test_rmse``) or
``mc_test_<metric>``; which way is better and the range its values lie in come from its
metric's entry (:func:`higher_is_better`, :func:`bounds`).  A fold table's task is read from
its columns (:func:`task_of`), and its headline score is :func:`primary` (test accuracy for
classes, test RMSE for a regression target).
"""

from __future__ import annotations

import math

from . import classification, regression
from .classification import (  # noqa: F401  (public here, as before the split)
    METRICS,
    as_proba,
    bin_index,
    class_counts,
    confidence,
    entropy,
    entropy_split,
    predict,
    reliability,
    score,
    score_mc,
    score_split,
)
from .metric import DEFAULT_BINS, MC_PREFIX, PARTS, UNBOUNDED, Metric  # noqa: F401

TASKS = {classification.TASK: classification, regression.TASK: regression}
# every metric of every task, for looking a column's metric up (their names differ)
ALL_METRICS: tuple[Metric, ...] = (*classification.METRICS, *regression.METRICS, *regression.MC_METRICS)
OTHER_BOUNDS = {**classification.OTHER_BOUNDS, **regression.OTHER_BOUNDS}
# the headline score of each task: first in summaries, comparisons, sweeps and progress lines
PRIMARY = {classification.TASK: "accuracy", regression.TASK: "rmse"}


def columns(task: str = classification.TASK) -> list[str]:
    """Every score's column name for ``task``, in ``folds.csv`` order."""
    return TASKS[task].columns()


def mc_columns(task: str = classification.TASK) -> list[str]:
    """The held-out part's scores under Monte Carlo dropout for ``task``, in ``folds.csv`` order."""
    return TASKS[task].mc_columns()


def task_of(names) -> str:
    """The task of a fold table (or a row) from its columns: ``regression`` when it has
    ``test_rmse``, else ``classification``."""
    return regression.TASK if "test_rmse" in names else classification.TASK


def primary(names=(), task: str | None = None) -> tuple[str, str]:
    """The headline ``(test column, train column)`` of a fold table with columns ``names`` (or of ``task``)."""
    metric = PRIMARY[task or task_of(names)]
    return f"test_{metric}", f"train_{metric}"


def label(column: str) -> str:
    """How tables name a score column in words: ``test_accuracy`` -> ``test accuracy``, ``test_rmse`` ->
    ``test RMSE``."""
    return column.replace("_", " ").replace("rmse", "RMSE").replace("mae", "MAE").replace("r2", "R²")


def title(column: str) -> str:
    """:func:`label` with a capital first letter: ``Test accuracy``, ``Test RMSE``."""
    text = label(column)
    return text[:1].upper() + text[1:]


def score_fold(y_train, proba_train, y_test, proba_test, n_classes: int, bins: int = DEFAULT_BINS,
               mc_proba_test=None) -> dict[str, float]:
    """:func:`.classification.score_fold` (kept here for its callers)."""
    return classification.score_fold(y_train, proba_train, y_test, proba_test, n_classes, bins, mc_proba_test)


def score_column(name: str) -> str:
    """A score column from a name as ``compare --metric`` takes it: a column of
    ``folds.csv`` as it is (``test_ece``, ``mc_test_loss``), a bare metric name as its
    held-out column (``ece`` -> ``test_ece``)."""
    return f"test_{name}" if any(m.name == name for m in ALL_METRICS) else name


def compare_choices() -> list[str]:
    """What ``compare --metric`` accepts: every score column of every task, then the bare metric names."""
    return [*(c for task in TASKS for c in (*columns(task), *mc_columns(task))), *(m.name for m in ALL_METRICS)]


def _score_name(column: str) -> str:
    """``test_loss``, ``train_auc``, ``mc_test_ece`` -> ``loss``, ``auc``, ``ece``; other columns as they are."""
    bare = column.removeprefix(MC_PREFIX)
    return bare.split("_", 1)[1] if bare.startswith(tuple(f"{p}_" for p in PARTS)) else column


def metric_of(column: str) -> Metric | None:
    """The metric of a score column (``test_loss``, ``train_auc``, ``mc_test_rmse``...), or None."""
    name = _score_name(column)
    return next((m for m in ALL_METRICS if m.name == name), None)


def higher_is_better(column: str) -> bool | None:
    """Whether a larger value of a score column is better (None: neither, e.g. a coverage)."""
    metric = metric_of(column)
    return metric.higher_is_better if metric else True


def bounds(column: str) -> tuple[float, float]:
    """The range ``(low, high)`` a column's values lie in: its metric's bounds (accuracy ``(0, 1)``,
    loss ``(0, inf)``...), else :data:`OTHER_BOUNDS`; ``(-inf, inf)`` for any other column."""
    metric = metric_of(column)
    return metric.bounds if metric else OTHER_BOUNDS.get(_score_name(column), UNBOUNDED)


def range_text(low_high: tuple[float, float]) -> str:
    """``[0, 1]``, ``[0, ∞)``, ``(-∞, ∞)``."""
    low, high = low_high
    return ("(-∞" if low == -math.inf else f"[{low:g}") + ", " + ("∞)" if high == math.inf else f"{high:g}]")


def bounds_note(columns) -> str:
    """What clipping did to the intervals of ``columns``, from the same table as :func:`bounds`:
    ``Intervals are clipped to their score's range: [0, 1] for accuracy, ece; [0, ∞) for loss.``,
    then ``not clipped:`` and the columns without bounds; a score is named once for its train,
    test and mc_test columns."""
    groups: dict[tuple[float, float], list[str]] = {}
    for column in columns:
        names = groups.setdefault(bounds(column), [])
        if _score_name(column) not in names:
            names.append(_score_name(column))
    clipped = [f"{range_text(b)} for {', '.join(names)}" for b, names in groups.items() if b != UNBOUNDED]
    if not clipped:
        return "Intervals are not clipped."
    unclipped = f"; not clipped: {', '.join(groups[UNBOUNDED])}" if UNBOUNDED in groups else ""
    return "Intervals are clipped to their score's range: " + "; ".join(clipped) + unclipped + "."
