"""A report of every run under a directory: one Markdown table, and the same as CSV.

A run directory is one holding ``run.json`` and ``folds.csv`` (sweep cells included); a
sweep directory is one holding ``sweep.md`` or ``sweep.csv``.  Directories whose names
start with ``.`` (a run being written, a replaced one) are skipped.  Links in the report
are relative to the directory the report is written to, so it can be moved with the results.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from .errors import ResultsError
from .render import interval, markdown_table
from .results import SavedRun, read_run, summarize
from .scoring import label, primary

PLOTS = {"learning_curve.png": "learning curve", "test_accuracy.png": "test accuracy",
         "confusion.png": "confusion matrix", "reliability.png": "reliability diagram",
         "test_rmse.png": "test RMSE", "predicted.png": "predicted vs true", "residuals.png": "residuals",
         "coverage.png": "coverage", "band.png": "predictive band"}
SWEEP_FILES = {"sweep.md": "table", "sweep.csv": "CSV", "sweep.png": "plot"}
COLUMNS = ["run", "config", "dataset", "protocol", "epochs", "repeats", "folds", "runs", "n_train", "n_test",
           "test_mean", "test_std", "test_ci95_low", "test_ci95_high", "train_mean", "train_std",
           "config_hash", "plots"]


@dataclass(frozen=True)
class Report:
    """What ``build_report`` found: one row per run, the sweeps, and the run directories it could not read."""

    root: Path
    table: pd.DataFrame
    sweeps: list[Path]
    skipped: list[str]
    markdown: str

    def csv(self) -> str:
        return self.table.to_csv(index=False)


def find_runs(root: Path) -> tuple[list[Path], list[Path]]:
    """The run directories and the sweep directories under ``root`` (``root`` itself included)."""
    runs, sweeps = [], []
    for here, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if "run.json" in files and "folds.csv" in files:
            runs.append(Path(here))
        if "sweep.md" in files or "sweep.csv" in files:
            sweeps.append(Path(here))
    return runs, sorted(sweeps)


def in_report_order(run_dirs: list[Path], sweeps: list[Path]) -> list[Path]:
    """Run directories by their parent directory, a sweep's cells in its table's order."""
    order = _sweep_order(sweeps)
    return sorted(run_dirs, key=lambda d: (str(d.parent), order.get(d.parent, {}).get(d.name, math.inf), d.name))


def build_report(root: Path, report_dir: Path) -> Report:
    """Read every run under ``root`` and describe them in a report to be written in ``report_dir``.

    Raises ``ResultsError`` when ``root`` is not a directory or holds no runs; run
    directories that cannot be read are listed in ``skipped``, not fatal.
    """
    if not root.is_dir():
        raise ResultsError(f"{root}: no such directory")
    run_dirs, sweeps = find_runs(root)
    run_dirs = in_report_order(run_dirs, sweeps)
    rows, skipped = [], []
    for run_dir in run_dirs:
        try:
            saved = read_run(run_dir)
            train_column = primary(saved.folds.columns)[1]
            if train_column not in saved.folds.columns:
                raise ResultsError(f"{run_dir / 'folds.csv'}: missing column(s): {train_column}")
        except ResultsError as exc:
            skipped.append(str(exc))
            continue
        rows.append(_row(saved, root, report_dir))
    if not rows:
        raise ResultsError(f"{root}: no run directories (holding run.json and folds.csv) found"
                           + (f"; could not read: {'; '.join(skipped)}" if skipped else ""))
    return Report(root, pd.DataFrame(rows, columns=COLUMNS), sweeps, skipped,
                  _markdown(root, rows, sweeps, skipped, report_dir))


def _row(saved: SavedRun, root: Path, report_dir: Path) -> dict:
    folds, config = saved.folds, saved.config
    summary = summarize(folds)
    test, train = (summary.loc[c] for c in primary(folds.columns))
    repeats, per_repeat = int(folds["repeat"].nunique()), int(folds["fold"].nunique())
    n_train, n_test = float(folds["n_train"].mean()), float(folds["n_test"].mean())
    evaluation = config.get("evaluation") if isinstance(config.get("evaluation"), dict) else {}
    protocol = evaluation.get("protocol", "holdout" if per_repeat == 1 else "kfold")
    if protocol == "holdout":
        protocol_text = f"holdout ({_num(n_train)} train / {_num(n_test)} test)"
    else:
        protocol_text = f"{evaluation.get('n_splits', per_repeat)}-fold CV"
    dataset = saved.info.get("dataset") if isinstance(saved.info.get("dataset"), dict) else {}
    training = config.get("training") if isinstance(config.get("training"), dict) else {}
    plots = [_link(saved.path / name, report_dir) for name in PLOTS if (saved.path / name).is_file()]
    return {
        "run": saved.path.relative_to(root).as_posix() if saved.path != root else ".",
        "config": saved.name, "dataset": _dataset_text(dataset), "protocol": protocol_text,
        "epochs": training.get("epochs"), "repeats": repeats, "folds": per_repeat, "runs": len(folds),
        "n_train": n_train, "n_test": n_test,
        "test_mean": test["mean"], "test_std": test["std"],
        "test_ci95_low": test["ci95_low"], "test_ci95_high": test["ci95_high"],
        "train_mean": train["mean"], "train_std": train["std"],
        "config_hash": saved.info.get("config_hash", ""), "plots": ";".join(plots),
        "_dir": saved.path, "_metric": primary(folds.columns)[0],
    }


def _dataset_text(dataset: dict) -> str:
    """The dataset's name, with its number of classes when there are more than two."""
    classes = dataset.get("classes")
    name = str(dataset.get("name", ""))
    return f"{name} ({len(classes)} classes)" if isinstance(classes, list) and len(classes) > 2 else name


def _score_text(row: dict, part: str) -> str:
    """``0.8359 ± 0.0731``; a regression run's ``RMSE 54.21 ± 4.87``."""
    text = f"{row[f'{part}_mean']:.4f} ± {row[f'{part}_std']:.4f}"
    return text if row["_metric"] == "test_accuracy" else f"{label(row['_metric']).split()[-1]} {text}"


def _markdown(root: Path, rows: list[dict], sweeps: list[Path], skipped: list[str], report_dir: Path) -> str:
    cells = sum(1 for row in rows if row["_dir"].parent in sweeps)
    lines = [f"# Results in {root}", "",
             _count(len(rows), "run") + (f", {cells} of them cells of {_count(len(sweeps), 'sweep')}" if sweeps else "")
             + ". "
             "Test and train accuracy: mean ± std over the runs (repeats x folds; std with ddof=0, as the "
             "tutorial prints it); 95% CI: the t-based interval of the mean test accuracy, clipped to [0, 1].", "",
             ]
    table = []
    for row in rows:
        name = row["run"] if row["config"] == row["_dir"].name else f"{row['run']} ({row['config']})"
        plots = " · ".join(f"[{label}]({_link(row['_dir'] / f, report_dir)})"
                           for f, label in PLOTS.items() if (row["_dir"] / f).is_file()) or "—"
        table.append([f"[{name}]({_link(row['_dir'] / 'summary.md', report_dir)})", row["dataset"], row["protocol"],
                      row["epochs"], f"{row['runs']} ({row['repeats']} x {row['folds']})",
                      _score_text(row, "test"), interval(row["test_ci95_low"], row["test_ci95_high"]),
                      _score_text(row, "train"), plots])
    lines += markdown_table(["run", "data", "protocol", "epochs", "runs", "test accuracy", "test 95% CI",
                             "train accuracy", "plots"], table)
    if sweeps:
        lines += ["", "## Sweeps", ""]
        for where in sweeps:
            name = where.relative_to(root).as_posix() if where != root else where.name
            links = ", ".join(f"[{label}]({_link(where / f, report_dir)})"
                              for f, label in SWEEP_FILES.items() if (where / f).is_file())
            lines.append(f"- {name}: {links}")
    if skipped:
        lines += ["", "## Not included", ""] + [f"- {problem}" for problem in skipped]
    lines += ["", "Each run directory's `config.yaml` re-runs it (`dropout-lab run DIR/config.yaml`); "
              "`dropout-lab compare` tests the differences between runs evaluated on the same folds."]
    return "\n".join(lines) + "\n"


def _sweep_order(sweeps: list[Path]) -> dict[Path, dict[str, int]]:
    """Each sweep's cells in its sweep.csv's order (else file-name order applies)."""
    order = {}
    for where in sweeps:
        try:
            cells = pd.read_csv(where / "sweep.csv", usecols=["cell"])["cell"].astype(str)
        except (OSError, ValueError, pd.errors.ParserError):
            continue
        order[where] = {cell: i for i, cell in enumerate(cells)}
    return order


def _link(path: Path, report_dir: Path) -> str:
    return quote(Path(os.path.relpath(path.resolve(), report_dir.resolve())).as_posix(), safe="/=,.-_~")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def write_full_report(directory: Path, out_file: Path | None = None) -> tuple[list[str], str]:
    """``dropout-lab report``: write DIR's report (default DIR/report.md and .csv); returns what
    was left out and the line saying what was written."""
    from .results import write_report

    target = out_file if out_file is not None else directory / "report.md"
    found = build_report(directory, target.parent)
    md, csv = write_report(target, found.markdown, found.csv())
    runs, sweeps = len(found.table), len(found.sweeps)
    also = f" and {sweeps} sweep{'s' * (sweeps != 1)}" if sweeps else ""
    return list(found.skipped), f"{runs} run{'s' * (runs != 1)}{also} -> {md}, {csv}"
