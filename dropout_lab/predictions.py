"""Out-of-fold predictions (``predictions.csv``), the confusion matrix and the reliability table
over every fold, and a regression run's coverage table: the tables a run's held-out predictions
give (scores per fold are :mod:`dropout_lab.scoring`'s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .scoring import DEFAULT_BINS, MC_PREFIX, as_proba, class_counts, predict, reliability
from .scoring.regression import CALIBRATION_LEVELS, coverage

if TYPE_CHECKING:
    import pandas as pd


def predictions_frame(index, repeat: int, fold: int, y, proba, classes, mc_proba=None) -> pd.DataFrame:
    """One split's held-out rows: ``row`` (the row's index in the data), ``repeat``,
    ``fold``, ``true`` and ``predicted`` (class names) and ``p_<class>`` per class; with
    Monte Carlo dropout also ``mc_p_<class>`` (the mean over the stochastic passes)."""
    import pandas as pd  # pandas only for tables: the CLI's --help reads the metric names

    proba = as_proba(proba, len(classes))
    names = np.asarray(classes, dtype=object)
    frame = pd.DataFrame({"row": np.asarray(index, dtype=np.int64), "repeat": repeat, "fold": fold,
                          "true": names[np.asarray(y, dtype=np.int64)], "predicted": names[predict(proba)]})
    for k, name in enumerate(classes):
        frame[f"p_{name}"] = proba[:, k].astype(np.float64)
    if mc_proba is not None:
        mc_proba = as_proba(mc_proba, len(classes))
        for k, name in enumerate(classes):
            frame[f"{MC_PREFIX}p_{name}"] = mc_proba[:, k].astype(np.float64)
    return frame


def regression_frame(index, repeat: int, fold: int, y, predicted, mc=None) -> pd.DataFrame:
    """One split's held-out rows of a regression task: ``row``, ``repeat``, ``fold``, ``true``
    and ``predicted`` (the target's units); with Monte Carlo dropout also ``mc_mean`` and
    ``mc_sd`` (the predictive mean and standard deviation, tau included)."""
    import pandas as pd

    frame = pd.DataFrame({"row": np.asarray(index, dtype=np.int64), "repeat": repeat, "fold": fold,
                          "true": np.asarray(y, np.float64), "predicted": np.asarray(predicted, np.float64)})
    if mc is not None:
        mc = np.asarray(mc, np.float64)
        frame[f"{MC_PREFIX}mean"], frame[f"{MC_PREFIX}sd"] = mc[:, 0], mc[:, 1]
    return frame


def confusion(predictions: pd.DataFrame, classes) -> pd.DataFrame:
    """Counts of (true, predicted) class over every held-out row of every fold and repeat:
    rows are the true classes, columns the predicted ones, in the data's class order."""
    import pandas as pd

    classes = [str(c) for c in classes]
    index = {name: k for k, name in enumerate(classes)}
    true, predicted = (predictions[c].astype(str).map(index).to_numpy() for c in ("true", "predicted"))
    table = pd.DataFrame(class_counts(true, predicted, len(classes)), index=pd.Index(classes, name="true"),
                         columns=classes)
    table.columns.name = "predicted"
    return table


def reliability_over_folds(predictions: pd.DataFrame, classes, bins: int = DEFAULT_BINS,
                           prefix: str = "") -> pd.DataFrame:
    """The reliability table of a run from its ``predictions.csv`` rows: per bin, the mean
    over (repeat, fold) of each fold's confidence and accuracy (folds with rows in the bin),
    and the rows in it over every fold (``count``).  ``prefix`` ``"mc_"`` reads the Monte
    Carlo dropout probabilities."""
    import pandas as pd

    index = {str(name): k for k, name in enumerate(classes)}
    columns = [f"{prefix}p_{name}" for name in classes]
    tables = []
    for _, part in predictions.groupby(["repeat", "fold"], sort=True):
        y = part["true"].astype(str).map(index).to_numpy()
        tables.append(reliability(y, part[columns].to_numpy(np.float64), bins))
    every = pd.concat(tables)
    out = every.groupby("bin", sort=True).agg(lo=("lo", "first"), hi=("hi", "first"), count=("count", "sum"),
                                              confidence=("confidence", "mean"), accuracy=("accuracy", "mean"))
    return out.reset_index()


def coverage_table(predictions: pd.DataFrame, levels=CALIBRATION_LEVELS) -> pd.DataFrame:
    """Per nominal level: the observed coverage of the central predictive intervals
    (``mc_mean +- z mc_sd``), the mean over folds and its min and max over folds."""
    import pandas as pd

    rows = []
    for level in levels:
        per_fold = [coverage(part["true"], part["mc_mean"].to_numpy(float), part["mc_sd"].to_numpy(float), level)
                    for _, part in predictions.groupby(["repeat", "fold"], sort=True)]
        rows.append({"expected": level, "observed": float(np.mean(per_fold)), "fold_min": float(np.min(per_fold)),
                     "fold_max": float(np.max(per_fold))})
    return pd.DataFrame(rows)
