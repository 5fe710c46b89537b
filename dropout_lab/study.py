"""Tables of a study from its run directories: regularizers against no regularization,
and standard against Monte Carlo dropout inference (issue 12).

Reads result directories only (like ``compare``).  Every interval is the t-based 95%
interval of the mean over folds/repeats (clipped to the score's range, ``scoring.bounds``); every
difference is paired by (repeat, fold) and tested with the corrected resampled t-test
(Nadeau & Bengio 2003), with n_test/n_train of the runs' folds.

``python -m dropout_lab.study OUT [--reference NAME=REF ...]`` prints both tables as
Markdown for the run directories under ``OUT``.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .compare import KEY, check_same_folds
from .render import markdown_table
from .results import SavedRun, read_run
from .scoring import MC_PREFIX, UNBOUNDED, bounds
from .stats import clip_difference, corrected_resampled_ttest, mean_ci, p_value_text

MODE_METRICS = ("accuracy", "loss", "ece")


def interval(values: pd.Series, column: str) -> str:
    """``mean [lo, hi]`` of a score column's values, the interval clipped to the score's range."""
    ci = mean_ci(values.dropna(), bounds=bounds(column))
    return f"{ci.mean:.3f} [{ci.lo:.3f}, {ci.hi:.3f}]"


def paired(diffs: pd.Series, n_train: float, n_test: float,
           value_bounds: tuple[float, float] = UNBOUNDED) -> tuple[float, float, float, float]:
    """The mean of paired differences, its corrected 95% interval (clipped to where differences
    of values in ``value_bounds`` lie, ``stats.clip_difference``) and p."""
    t = corrected_resampled_ttest(diffs, n_train, n_test)
    return (t.mean, *clip_difference(t.lo, t.hi, value_bounds), t.p)


def between(a: pd.DataFrame, b: pd.DataFrame, column: str) -> tuple[float, float, float, float]:
    """``paired`` on ``b[column] - a[column]`` over the (repeat, fold) rows the runs share."""
    merged = a.merge(b, on=KEY, suffixes=("_a", "_b"))
    return paired(merged[f"{column}_b"] - merged[f"{column}_a"], float(merged["n_train_a"].mean()),
                  float(merged["n_test_a"].mean()), bounds(column))


def _diff_text(values: tuple[float, float, float, float]) -> str:
    mean, lo, hi, p = values
    return f"{mean:+.3f} [{lo:+.3f}, {hi:+.3f}], p {p_value_text(p)}"


def regularizer_table(runs: Mapping[str, SavedRun], references: Mapping[str, str]) -> pd.DataFrame:
    """One row per run: engine, test accuracy and ECE (mean, 95% interval), and each
    one's paired difference from its reference run (``references[name]``: the
    unregularized run on the same engine and folds)."""
    rows = []
    for name, run in runs.items():
        ref = references.get(name)
        row = {"config": name, "engine": run.config.get("training", {}).get("engine", "scikeras"),
               "test accuracy": interval(run.folds["test_accuracy"], "test_accuracy"),
               "test ECE": interval(run.folds["test_ece"], "test_ece"),
               "vs": ref or "", "accuracy diff": "", "ECE diff": ""}
        if ref and ref != name:
            other = runs[ref]
            check_same_folds(ref, other.folds, name, run.folds, (other.checksum, run.checksum))
            row["accuracy diff"] = _diff_text(between(other.folds, run.folds, "test_accuracy"))
            row["ECE diff"] = _diff_text(between(other.folds, run.folds, "test_ece"))
        rows.append(row)
    return pd.DataFrame(rows)


def mode_table(runs: Mapping[str, SavedRun]) -> pd.DataFrame:
    """Per run and metric (accuracy, NLL, ECE): standard inference and Monte Carlo dropout
    (mean, 95% interval) and the paired difference MC - standard on the same trained models."""
    rows = []
    for name, run in runs.items():
        folds = run.folds
        for metric in MODE_METRICS:
            column = f"test_{metric}"
            row = {"config": name, "metric": "nll" if metric == "loss" else metric,
                   "standard": interval(folds[column], column), "mc dropout": "", "mc - standard": ""}
            if f"{MC_PREFIX}{column}" in folds:
                row["mc dropout"] = interval(folds[f"{MC_PREFIX}{column}"], column)
                diffs = folds[f"{MC_PREFIX}{column}"] - folds[column]
                row["mc - standard"] = _diff_text(paired(diffs, float(folds["n_train"].mean()),
                                                         float(folds["n_test"].mean()), bounds(column)))
            rows.append(row)
    return pd.DataFrame(rows)


def entropy_table(runs: Mapping[str, SavedRun]) -> pd.DataFrame:
    """Mean predictive entropy (nats) of right and wrong predictions, both modes, for runs with MC dropout."""
    rows = []
    for name, run in runs.items():
        folds = run.folds
        if "mc_test_entropy_correct" not in folds:
            continue
        row = {"config": name}
        for prefix, label in (("", "standard"), (MC_PREFIX, "mc")):
            for which in ("correct", "wrong"):
                values = folds[f"{prefix}test_entropy_{which}"].dropna()
                row[f"{label} {which}"] = f"{values.mean():.3f}" if len(values) else "n/a"
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    if table.empty:
        return "(no runs)\n"
    return "\n".join(markdown_table(list(table.columns), table.itertuples(index=False))) + "\n"


def find_runs(out: Path) -> dict[str, SavedRun]:
    """Every run directory directly under ``out``, by config name, in name order."""
    runs = {}
    for path in sorted(p for p in out.iterdir() if (p / "run.json").is_file()):
        run = read_run(path)
        runs[run.name] = run
    return runs


def default_reference(name: str, runs: Mapping[str, SavedRun]) -> str | None:
    """The study's convention: ``<data>_none`` for fused runs, ``<data>_none_scikeras`` for SciKeras runs."""
    data = name.split("_", 1)[0]
    engine = runs[name].config.get("training", {}).get("engine", "scikeras")
    ref = f"{data}_none" if engine == "fused" else f"{data}_none_scikeras"
    return ref if ref in runs else None


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dropout_lab.study", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a directory of run directories")
    args = parser.parse_args(argv)
    runs = find_runs(args.out)
    refs = {name: default_reference(name, runs) for name in runs}
    print("## Regularizers (test accuracy and ECE; diff = config - reference, corrected resampled t-test)\n")
    print(markdown(regularizer_table(runs, refs)))
    mc = {n: r for n, r in runs.items() if f"{MC_PREFIX}test_accuracy" in r.folds}
    if mc:
        print("## Standard vs Monte Carlo dropout inference (paired on the same trained models)\n")
        print(markdown(mode_table(mc)))
        print("## Mean predictive entropy (nats) of right and wrong predictions\n")
        print(markdown(entropy_table(mc)))


if __name__ == "__main__":
    main()
