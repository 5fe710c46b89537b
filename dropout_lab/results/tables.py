"""Summary tables of a run's folds and the comparison of several runs (no files written here)."""

from __future__ import annotations

import pandas as pd

from .. import scoring
from ..folds import ENTROPY_COLUMNS, STOPPING_COLUMNS
from ..predictions import confusion, reliability_over_folds
from ..render import interval, markdown_table
from ..stats import mean_ci

METRICS = ("test_accuracy", "train_accuracy")  # first in a summary; then the other scores folds.csv has


def summary_metrics(folds: pd.DataFrame) -> list[str]:
    """The score columns of ``folds`` a summary covers: test and train accuracy first (test and
    train RMSE for a regression run), then the others in ``folds.csv`` order (a score undefined
    in every fold, e.g. AUC, is left out), Monte Carlo dropout's and early stopping's columns
    when the run has them."""
    task = scoring.task_of(folds.columns)
    first = scoring.primary(task=task)
    entropy = ENTROPY_COLUMNS if task == "classification" else []
    every = [*scoring.columns(task), *scoring.mc_columns(task), *entropy, *STOPPING_COLUMNS]
    others = [c for c in every if c not in first and c in folds.columns and folds[c].notna().any()]
    return [*first, *others]


def summarize(folds: pd.DataFrame) -> pd.DataFrame:
    """Per score over all (repeat, fold) rows where it is defined: mean; std as the
    tutorial prints it (numpy's ``results.std()``, ddof=0); the standard error and a
    t-based 95% interval of the mean (from the sample std, ddof=1), clipped to the score's
    range (``scoring.bounds``: [0, 1] for accuracies, [0, inf) for losses...); min; max; n.
    """
    stats = {}
    for metric in summary_metrics(folds):
        values = folds[metric].dropna()
        ci = mean_ci(values, bounds=scoring.bounds(metric)) if len(values) > 1 else None  # one run has no interval
        stats[metric] = {"mean": values.mean(), "std": values.std(ddof=0),
                         "sem": ci.se if ci else float("nan"),
                         "ci95_low": ci.lo if ci else float("nan"), "ci95_high": ci.hi if ci else float("nan"),
                         "min": values.min(), "max": values.max(), "n": len(values)}
    table = pd.DataFrame(stats).T
    table["n"] = table["n"].astype(int)
    table.index.name = "metric"
    return table


def headline(name: str, summary: pd.DataFrame) -> str:
    """The tutorial's form: ``sonar_hidden: 83.59% (7.31%)`` (mean and std of test accuracy);
    a regression run's: ``diabetes_mlp: RMSE 54.21 (4.87)`` (mean and std of test RMSE)."""
    if "test_accuracy" not in summary.index:
        row = summary.loc["test_rmse"]
        return f"{name}: RMSE {row['mean']:.4g} ({row['std']:.4g})"
    row = summary.loc["test_accuracy"]
    return f"{name}: {row['mean']:.2%} ({row['std']:.2%})"


def summary_markdown(name: str, summary: pd.DataFrame) -> str:
    lines = [f"# {name}", "", headline(name, summary), ""]
    lines += markdown_table(
        ["metric", "mean", "std", "sem", "95% interval", "min", "max", "runs"],
        ([metric, f"{row['mean']:.4f}", f"{row['std']:.4f}", f"{row['sem']:.4f}",
          interval(row["ci95_low"], row["ci95_high"], missing="[nan, nan]"), f"{row['min']:.4f}", f"{row['max']:.4f}",
          int(row["n"])] for metric, row in summary.iterrows()))
    lines += ["", "std: as the tutorial prints it (ddof=0); sem and the t-based 95% interval of the mean use ddof=1. "
              + scoring.bounds_note(summary.index)]
    return "\n".join(lines) + "\n"


def prediction_tables(cfg, predictions: pd.DataFrame, classes) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """From a run's held-out predictions: the confusion matrix over every fold and repeat; the
    reliability table per inference mode (standard, and Monte Carlo dropout when the run used it),
    keyed by the mode's label for the diagram; and those tables as one (``mode`` column) for
    reliability.csv."""
    modes = {"standard inference": ""}
    if cfg.evaluation.inference.mc:
        modes[f"Monte Carlo dropout, T = {cfg.evaluation.inference.samples}"] = scoring.MC_PREFIX
    tables = {label: reliability_over_folds(predictions, classes, cfg.evaluation.calibration_bins, prefix)
              for label, prefix in modes.items()}
    together = pd.concat([table.assign(mode="mc_dropout" if prefix else "standard")
                          for table, prefix in zip(tables.values(), modes.values(), strict=True)], ignore_index=True)
    return confusion(predictions, classes), tables, together
