"""A sweep's table, Markdown and plot points (what ``results.write_sweep`` writes).

One row per cell: its swept values, mean/std/95% interval of test and train accuracy, and the
paired difference in test accuracy from the first cell (corrected resampled t-test, as
``dropout-lab compare``), with its p-value adjusted for the number of cells (Holm).  Pure:
nothing is written here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import pandas as pd

from .compare import compare_runs
from .config import dump_config
from .errors import StatsError
from .render import interval, markdown_table, protocol
from .results import summarize
from .scoring import bounds, higher_is_better, label, primary, range_text
from .stats import holm, p_value_text
from .sweep import Sweep, value_text

STAT_COLUMNS = ["runs", "test_mean", "test_std", "test_ci95_low", "test_ci95_high",
                "train_mean", "train_std", "train_ci95_low", "train_ci95_high"]
PAIRED_COLUMNS = ["diff_vs_first", "diff_ci95_low", "diff_ci95_high", "p_vs_first", "p_vs_first_holm"]


def sweep_table(sweep: Sweep, folds: Mapping[str, pd.DataFrame],
                checksums: Mapping[str, str | None] | None = None) -> tuple[pd.DataFrame, str | None]:
    """One row per cell: its name, swept values, runs, mean/std/95% CI of test and train
    accuracy, and the paired difference in test accuracy from the first cell (corrected
    resampled t-test, as ``dropout-lab compare``), its p-value raw and adjusted for the
    number of cells compared (Holm).

    Returns the table and, when the paired columns are empty, why.
    """
    rows = []
    metric, train_metric = primary(folds[sweep.cells[0].name].columns)
    for cell in sweep.cells:
        summary = summarize(folds[cell.name])
        test, train = summary.loc[metric], summary.loc[train_metric]
        rows.append({"cell": cell.name, **cell.values, "runs": int(test["n"]),
                     **{f"test_{k}": test[k] for k in ("mean", "std", "ci95_low", "ci95_high")},
                     **{f"train_{k}": train[k] for k in ("mean", "std", "ci95_low", "ci95_high")}})
    table = pd.DataFrame(rows, columns=["cell", *sweep.keys, *STAT_COLUMNS])
    for key in sweep.keys:  # as given: no null -> NaN, no 3 -> 3.0
        table[key] = pd.Series([cell.values[key] for cell in sweep.cells], dtype=object)
    for column in PAIRED_COLUMNS:
        table[column] = float("nan")
    first = sweep.cells[0].name
    try:
        for i, cell in enumerate(sweep.cells[1:], start=1):
            pair = compare_runs({first: folds[first], cell.name: folds[cell.name]},
                                None if checksums is None else {n: checksums[n] for n in (first, cell.name)},
                                metric=metric)
            row = pair.iloc[0]
            table.loc[i, PAIRED_COLUMNS[:-1]] = [row["diff"], row["ci_lo"], row["ci_hi"], row["p"]]
    except StatsError as exc:
        table[PAIRED_COLUMNS] = float("nan")
        table.attrs["metric"] = metric
        return table, str(exc)
    table["p_vs_first_holm"] = holm(table["p_vs_first"])  # the first cell's NaN is no comparison
    table.attrs["metric"] = metric  # which score the table holds (test_accuracy, test_rmse)
    if len(sweep.cells) > 1:
        table.loc[0, "diff_vs_first"] = 0.0
        return table, None
    return table, "a sweep of one cell has nothing to compare"


def sweep_files(sweep: Sweep, folds: Mapping[str, pd.DataFrame], checksums: Mapping[str, str | None] | None = None,
                plots: bool = True) -> tuple[dict[str, str], Any]:
    """What ``results.write_sweep`` writes: the texts of sweep.yaml, sweep.csv and sweep.md,
    and the figure for sweep.png (None without plots).  ``folds`` maps each cell's name to its
    fold table."""
    table, unpaired = sweep_table(sweep, folds, checksums)
    texts = {"sweep.yaml": dump_config(sweep.base), "sweep.csv": table_csv(table, sweep.keys),
             "sweep.md": sweep_markdown(sweep, table, unpaired)}
    figure = None
    if plots:
        from .plots import sweep_plot  # matplotlib: only to draw

        labels = sweep.labels()
        what = _words(table)[1]
        title = f"{sweep.name}: {what} by {labels[sweep.keys[0]]}"
        if len(sweep.keys) > 1:
            title += " and " + ", ".join(labels[k] for k in sweep.keys[1:])
        figure = sweep_plot(plot_points(sweep, table), sweep.keys[0], title, ylabel=what,
                            clip=bounds(table.attrs.get("metric", "test_accuracy")))
    return texts, figure


def table_csv(table: pd.DataFrame, keys: Sequence[str]) -> str:
    """The table as CSV, each swept value as ``value_text`` writes it."""
    return table.assign(**{key: table[key].map(value_text) for key in keys}).to_csv(index=False)


def sweep_markdown(sweep: Sweep, table: pd.DataFrame, unpaired: str | None) -> str:
    """``sweep.md``: what was swept, how each cell was evaluated, and the table."""
    labels, first = sweep.labels(), sweep.cells[0]
    swept = ", ".join(f"`{key}` ({len(sweep.base.sweep[key])} values)" for key in sweep.keys)
    lines = [f"# {sweep.name}: sweep of {swept}", ""]
    if sweep.base.description:
        lines += [sweep.base.description.strip(), ""]
    protocols = {protocol(cell.cfg.evaluation.model_dump(), cell.cfg.training.epochs) for cell in sweep.cells}
    how = protocols.pop() if len(protocols) == 1 else "the protocol each cell's config.yaml states"
    lines += [f"{len(sweep.cells)} cells, each evaluated with {how}, seed {sweep.base.seed} "
              f"(the same splits in every cell).", ""]
    paired = unpaired is None
    metric, what = _words(table)
    head = [labels[key] for key in sweep.keys] + ["runs", f"test {what}", "test 95% CI",
                                                  f"train {what}", "train 95% CI"]
    if paired:
        head += [f"test diff vs {first.name} [95% CI]", "p", "p Holm"]
    rows = []
    for row in table.to_dict("records"):
        cells = [value_text(row[key]) for key in sweep.keys]
        cells += [str(row["runs"]), _pm(row, "test"), _ci(row, "test"), _pm(row, "train"), _ci(row, "train")]
        if paired:
            cells += (["(reference)", "", ""] if row["cell"] == first.name else
                      [f"{row['diff_vs_first']:+.4f} " + interval(row["diff_ci95_low"], row["diff_ci95_high"], "+.4f"),
                       _p(row["p_vs_first"]), _p(row["p_vs_first_holm"])])
        rows.append([*cells, f"[{row['cell']}/]({quote(row['cell'], safe='=,.-_')}/summary.md)"])
    lines += markdown_table([*head, "results"], rows)
    lower = higher_is_better(metric) is False
    best = table.loc[table["test_mean"].idxmin() if lower else table["test_mean"].idxmax()]
    lines += ["", f"{'Lowest' if lower else 'Highest'} mean test {what}: {best['cell']} ({best['test_mean']:.4f}).",
              "", f"{what[0].upper() + what[1:]}: mean ± std over the runs (std with ddof=0, as the tutorial prints "
              f"it); 95% CI: the t-based interval of the mean, clipped to {range_text(bounds(metric))}.", ""]
    if paired:
        lines.append(f"Test diff: the mean per-fold difference from {first.name} on the same folds, with the "
                     "interval and p of the corrected resampled t-test (Nadeau & Bengio 2003), as "
                     "`dropout-lab compare` computes them; p Holm: the p-values adjusted for the "
                     f"{len(sweep.cells) - 1} comparison{'s' if len(sweep.cells) > 2 else ''} (Holm 1979).")
    else:
        lines.append(f"No paired differences: {unpaired}.")
    return "\n".join(lines) + "\n"


def _words(table: pd.DataFrame) -> tuple[str, str]:
    """The table's score column and its name in words: (``test_accuracy``, ``accuracy``), (``test_rmse``, ``RMSE``)."""
    metric = table.attrs.get("metric", "test_accuracy")
    return metric, label(metric).removeprefix("test ")


def plot_points(sweep: Sweep, table: pd.DataFrame) -> pd.DataFrame:
    """What ``plots.sweep_plot`` draws: x = the first key's value, one line per value of the others."""
    labels, keys = sweep.labels(), sweep.keys
    return pd.DataFrame({
        "x": table[keys[0]],
        "x_text": table[keys[0]].map(value_text),
        "line": [",".join(f"{labels[k]}={value_text(row[k])}" for k in keys[1:]) or None
                 for row in table.to_dict("records")],
        **{c: table[c] for c in ("runs", "test_mean", "test_ci95_low", "test_ci95_high", "train_mean")},
    })


def _pm(row: dict, part: str) -> str:
    return f"{row[f'{part}_mean']:.4f} ± {row[f'{part}_std']:.4f}"


def _ci(row: dict, part: str) -> str:
    return interval(row[f"{part}_ci95_low"], row[f"{part}_ci95_high"])


def _p(p: float) -> str:
    return "—" if pd.isna(p) else p_value_text(p)
