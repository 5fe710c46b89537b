"""Comparing runs evaluated on the same folds: pairwise corrected t-tests of a score
(test accuracy unless another ``folds.csv`` column is named).

Two runs can be compared fold by fold only if they saw the same splits: the same dataset
(checksum), the same (repeat, fold) pairs, and per pair the same ``split_seed``,
``n_train`` and ``n_test``.  ``check_same_folds`` refuses anything else with a
``StatsError`` naming the two runs and what differs; ``compare_runs`` then tests every
pair (i < j) on the differences ``b - a`` of their test accuracies (see ``stats``), or,
``against`` some of the runs, every other run against each of those (``b`` the run, ``a``
the reference): one table of a study's variants against its baseline.  :mod:`.compare_markdown`
writes the tables as Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .compare_markdown import against_markdown, compare_markdown  # noqa: F401  (public here too)
from .errors import ResultsError, StatsError
from .scoring import bounds, higher_is_better, primary, title
from .stats import (
    bayesian_correlated_ttest,
    clip_difference,
    corrected_resampled_ttest,
    holm,
    mean_ci,
    paired_ttest,
    verdict,
)

KEY = ["repeat", "fold"]
SAME_PER_FOLD = ("split_seed", "n_test", "n_train")
COLUMNS = ["run_a", "run_b", "mean_a", "mean_b", "diff", "ci_lo", "ci_hi", "t", "df", "p", "p_holm", "p_uncorrected",
           "folds", "repeats", "n_train", "n_test", "confidence", "metric", "verdict"]
BAYES_COLUMNS = ["rope", "p_a_better", "p_equivalent", "p_b_better"]
DEFAULT_METRIC = "test_accuracy"


def compare_runs(folds: Mapping[str, pd.DataFrame], checksums: Mapping[str, str | None] | None = None,
                 confidence: float = 0.95, metric: str = DEFAULT_METRIC, against: Sequence[str] = (),
                 rope: float | None = None) -> pd.DataFrame:
    """One row per pair of runs (in the given order, i < j), testing run_b - run_a on ``metric``;
    with ``against`` (names of some of the runs), one row per reference and other run instead,
    testing run - reference (run_a = the reference), references in the order given.

    ``folds`` maps a run's name to its fold table (columns ``repeat, fold, split_seed,
    n_train, n_test`` and ``metric``); ``checksums``, when given, maps it to its dataset
    checksum.  Columns: ``mean_a``, ``mean_b`` (mean of ``metric``), ``diff`` (mean of
    b - a), ``ci_lo``/``ci_hi`` (its corrected interval, clipped to where a difference of the
    metric's values lies: [-1, 1] for accuracies, see ``stats.clip_difference``), ``t``, ``df``,
    ``p`` (corrected), ``p_holm`` (``p`` adjusted for the table's comparisons by Holm's
    method, ``stats.holm``), ``p_uncorrected``, ``folds`` (J = repeats x folds), ``repeats``,
    ``n_train``/``n_test`` (means over the folds, used for the correction) and ``verdict``.
    With ``rope`` (a difference of the metric too small to matter, e.g. 0.01), the Bayesian
    correlated t-test adds ``rope``, ``p_a_better``, ``p_equivalent`` and ``p_b_better``: the
    posterior probabilities that run_a is better by more than ``rope``, that the two are within
    ``rope`` of each other, and that run_b is better (``stats.bayesian_correlated_ttest``).
    """
    names = list(folds)
    if len(names) < 2:
        raise StatsError(f"need at least two runs to compare; got {len(names)}")
    for name in names:
        check_metric(name, folds[name], metric)
    for reference in against:
        if reference not in folds:
            raise StatsError(f"cannot compare against {reference!r}: not one of the runs ({', '.join(names)})")
    first = names[0]
    for name in names[1:]:
        check_same_folds(first, folds[first], name, folds[name],
                         None if checksums is None else (checksums[first], checksums[name]))
    if against:
        pairs = [(ref, name) for ref in dict.fromkeys(against) for name in names if name != ref]
    else:
        pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    rows = [_compare_pair(a, folds[a], b, folds[b], confidence, metric, rope) for a, b in pairs]
    table = pd.DataFrame(rows, columns=COLUMNS + (BAYES_COLUMNS if rope is not None else []))
    table["p_holm"] = holm(table["p"])
    return table


def run_means(folds: Mapping[str, pd.DataFrame], confidence: float = 0.95,
              metric: str = DEFAULT_METRIC) -> pd.DataFrame:
    """Per run: ``run``, ``runs`` (repeats x folds), the mean of ``metric`` and its t-based
    interval ``ci_lo``/``ci_hi`` (clipped to the metric's range, ``scoring.bounds``)."""
    rows = []
    for name, table in folds.items():
        ci = mean_ci(table[metric], confidence, bounds=bounds(metric))
        rows.append({"run": name, "runs": ci.n, "mean": ci.mean, "ci_lo": ci.lo, "ci_hi": ci.hi})
    return pd.DataFrame(rows, columns=["run", "runs", "mean", "ci_lo", "ci_hi"])


def check_metric(name: str, folds: pd.DataFrame, metric: str) -> None:
    """Raise ``StatsError`` unless run ``name``'s fold table has ``metric`` in every fold."""
    if metric not in folds.columns:
        raise StatsError(f"run {name}: folds.csv has no column {metric} (written by an older version, "
                         f"or not a score); it has: {', '.join(folds.columns)}")
    values = pd.to_numeric(folds[metric], errors="coerce")
    if values.isna().any():
        row = folds[values.isna()].iloc[0]
        raise StatsError(f"run {name}: {metric} is not defined in repeat {_num(row['repeat'])}, fold "
                         f"{_num(row['fold'])} (e.g. AUC of a fold that lacks a class); compare another metric")


def check_same_folds(name_a: str, a: pd.DataFrame, name_b: str, b: pd.DataFrame,
                     checksums: tuple[str | None, str | None] | None = None) -> None:
    """Raise ``StatsError`` unless runs ``a`` and ``b`` were evaluated on the same folds."""
    def refuse(what: str):
        raise StatsError(f"runs {name_a} and {name_b} were not evaluated on the same folds: {what}")

    if checksums is not None:
        for name, checksum in zip((name_a, name_b), checksums, strict=True):
            if not checksum:
                raise StatsError(f"run {name}: run.json has no dataset.checksum; "
                                 "cannot check that the runs used the same data")
        if checksums[0] != checksums[1]:
            refuse("dataset checksum {} vs {}".format(*_shortest_distinct(*checksums)))
    for name, table in ((name_a, a), (name_b, b)):
        if table.duplicated(KEY).any():
            raise StatsError(f"run {name}: a (repeat, fold) pair appears more than once")
    repeats = (a["repeat"].nunique(), b["repeat"].nunique())
    if repeats[0] != repeats[1]:
        refuse(f"{_count(repeats[0], 'repeat')} vs {_count(repeats[1], 'repeat')}")
    keys_a, keys_b = (set(t[KEY].itertuples(index=False, name=None)) for t in (a, b))
    if keys_a != keys_b:
        if len(keys_a) != len(keys_b):
            refuse(f"{_count(len(keys_a), 'fold')} vs {_count(len(keys_b), 'fold')}")
        only = min(keys_a ^ keys_b)
        refuse(f"repeat {_num(only[0])}, fold {_num(only[1])} is only in {name_a if only in keys_a else name_b}")
    merged = a.merge(b, on=KEY, suffixes=("_a", "_b"))
    for column in SAME_PER_FOLD:
        differs = merged[merged[f"{column}_a"] != merged[f"{column}_b"]]
        if not differs.empty:
            row = differs.sort_values(KEY).iloc[0]
            refuse(f"{column} {_num(row[f'{column}_a'])} vs {_num(row[f'{column}_b'])} "
                   f"(repeat {_num(row['repeat'])}, fold {_num(row['fold'])})")


def compare_json(table: pd.DataFrame) -> str:
    """``compare_runs``'s table as a JSON list of objects; an infinite t becomes null."""
    return table.to_json(orient="records", indent=2, double_precision=15) + "\n"


def _compare_pair(name_a: str, a: pd.DataFrame, name_b: str, b: pd.DataFrame, confidence: float,
                  metric: str = DEFAULT_METRIC, rope: float | None = None) -> dict:
    merged = a.merge(b, on=KEY, suffixes=("_a", "_b")).sort_values(KEY)
    diffs = merged[f"{metric}_b"] - merged[f"{metric}_a"]
    n_train, n_test = float(merged["n_train_a"].mean()), float(merged["n_test_a"].mean())
    corrected = corrected_resampled_ttest(diffs, n_train, n_test, confidence)
    plain = paired_ttest(diffs, confidence)
    ci_lo, ci_hi = clip_difference(corrected.lo, corrected.hi, bounds(metric))
    bayes = {}
    if rope is not None:
        posterior = bayesian_correlated_ttest(diffs, n_train, n_test, rope)
        b_better, a_better = ((posterior.p_right, posterior.p_left) if higher_is_better(metric)
                              else (posterior.p_left, posterior.p_right))
        bayes = {"rope": rope, "p_a_better": a_better, "p_equivalent": posterior.p_rope, "p_b_better": b_better}
    return {
        "run_a": name_a, "run_b": name_b,
        "mean_a": float(merged[f"{metric}_a"].mean()), "mean_b": float(merged[f"{metric}_b"].mean()),
        "diff": corrected.mean, "ci_lo": ci_lo, "ci_hi": ci_hi,
        "t": corrected.t, "df": corrected.df, "p": corrected.p, "p_uncorrected": plain.p,
        "folds": corrected.n, "repeats": int(merged["repeat"].nunique()), "n_train": n_train, "n_test": n_test,
        "confidence": confidence, "metric": metric,
        "verdict": verdict(name_a, name_b, corrected, plain, alpha=1 - confidence,
                           higher_is_better=higher_is_better(metric)),
        **bayes,
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _num(value) -> str:
    """An integer-valued number without a trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() else str(value)


def _shortest_distinct(a: str, b: str, at_least: int = 12) -> tuple[str, str]:
    """``a`` and ``b`` cut to a common length (>= ``at_least``) that still tells them apart."""
    differ = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    keep = max(at_least, differ + 1)
    return tuple(s if len(s) <= keep else s[:keep] + "..." for s in (a, b))


def compare_dirs(run_dirs, metric: str | None = None, fmt: str = "md", against: Sequence[str] = (),
                 plot: bool = False, rope: float | None = None):
    """``dropout-lab compare``: ``(text, figure)``: the table of the runs in ``run_dirs`` as
    Markdown, CSV or JSON, and with ``plot`` a forest plot of the differences (else None).

    A directory that is not a run brings every run under it (report order; sweep cells
    labelled ``sweep/cell``).  ``against`` names reference runs (by label, config name or
    directory; a directory not among the runs is added): each other run is compared with
    them only.  ``metric`` None: the runs' headline score (test accuracy, or test RMSE for
    regression runs).  ``rope`` adds the Bayesian correlated t-test (``compare --bayes --rope``).
    Raises :class:`~dropout_lab.errors.StatsError` for fewer than two runs.
    """
    from .results import read_run

    runs = [read_run(path) for path in _expand_run_dirs(run_dirs)]
    for ref in against:
        if Path(ref).is_dir() and not any(run.path.resolve() == Path(ref).resolve() for run in runs):
            runs.insert(0, read_run(ref))
    if len(runs) < 2:
        raise StatsError("compare needs at least two run directories (or a directory holding them)")
    labels = run_labels(runs)
    refs = [_reference_label(ref, runs, labels) for ref in against]
    folds = {label: run.folds for label, run in zip(labels, runs, strict=True)}
    metric = metric or primary(runs[0].folds.columns)[0]
    table = compare_runs(folds, checksums={label: run.checksum for label, run in zip(labels, runs, strict=True)},
                         metric=metric, against=refs, rope=rope)
    if fmt == "md":
        text = against_markdown(table, run_means(folds, metric=metric)) if refs else compare_markdown(table)
    else:
        text = table.to_csv(index=False) if fmt == "csv" else compare_json(table)
    figure = None
    if plot:
        from .plots import difference_plot

        what = title(metric)
        heading = f"{what} against " + ", ".join(refs) if refs else f"{what}, pair by pair"
        figure = difference_plot(table, heading, order=labels)
    return text, figure


def _expand_run_dirs(paths) -> list[Path]:
    """Each path that is a run directory, else every run directory under it (report order)."""
    from .report import find_runs, in_report_order

    out = []
    for path in map(Path, paths):
        # an OUT directory holds summary.md and summary.csv too, but never these
        if not path.is_dir() or any((path / name).exists() for name in ("config.yaml", "folds.csv", "run.json")):
            out.append(path)  # a run, or what read_run will say is wrong with it
            continue
        found, sweeps = find_runs(path)
        if not found:
            raise ResultsError(f"{path}: not a run directory, and no run directories under it")
        out += in_report_order(found, sweeps)
    return list(dict.fromkeys(out))


def _reference_label(ref: str, runs, labels: list[str]) -> str:
    """The label of the run ``--against`` names: by label, by config name, or by directory."""
    if ref in labels:
        return ref
    named = [label for run, label in zip(runs, labels, strict=True) if run.name == ref]
    if len(named) == 1:
        return named[0]
    if Path(ref).is_dir():
        for run, label in zip(runs, labels, strict=True):
            if run.path.resolve() == Path(ref).resolve():
                return label
    why = "names more than one of the compared runs" if len(named) > 1 else "is none of the compared runs"
    raise ResultsError(f"--against {ref}: {why} ({', '.join(labels)})")


def run_labels(runs) -> list[str]:
    """Each run's config name (a sweep cell's prefixed by its sweep's directory); with the
    directory added where names repeat, and a number where even that does."""
    names = [f"{run.path.parent.name}/{run.name}" if (run.path.parent / "sweep.yaml").is_file() else run.name
             for run in runs]
    labels = [name if names.count(name) == 1 else f"{name} ({run.path})" for name, run in zip(names, runs, strict=True)]
    return [label if labels.count(label) == 1 else f"{label} #{i}" for i, label in enumerate(labels, 1)]
