"""The reproduction table: each set's published figures next to the measured ones.

:func:`reproduction_table` reads the folders :func:`.protocol.write_result` wrote
(``<dir>/*/run.json``) and renders one Markdown table: per set, the published MC RMSE and
test log-likelihood (mean +- s.e. over 20 splits), the measured mean +- s.e., the verdict
(:mod:`.verdict`), the splits, epochs and passes it ran, and its wall time.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ResultsError
from ..render import markdown_table
from .verdict import PUBLISHED, judge

METRICS = (("mc_rmse", "rmse", "RMSE"), ("ll", "ll", "test LL"))


def read_runs(results_dir: str | Path) -> list[dict]:
    """Every ``run.json`` under ``results_dir`` (one folder per protocol run), by dataset."""
    found = sorted(Path(results_dir).glob("*/run.json"))
    if not found:
        raise ResultsError(f"{results_dir}: no protocol runs found (no */run.json); run `make reproduce-regression`")
    runs = []
    for path in found:
        try:
            runs.append(json.loads(path.read_text()))
        except (OSError, ValueError) as exc:
            raise ResultsError(f"{path}: cannot read the run: {exc}") from None
    return sorted(runs, key=lambda run: run["dataset"])


def reproduction_table(results_dir: str | Path) -> str:
    """The Markdown table of the runs in ``results_dir`` and the judging rule."""
    rows = []
    for run in read_runs(results_dir):
        published = PUBLISHED.get(run["dataset"])
        cfg, cells = run["config"], [run["dataset"]]
        for ours, theirs, _ in METRICS:
            m, se = run["summary"][ours]["mean"], run["summary"][ours]["se"]
            if published is None:
                cells += ["", f"{m:.3f} +- {se:.3f}", "no published figure"]
                continue
            p, pse = published[theirs]
            cells += [f"{p:.2f} +- {pse:.2f}", f"{m:.3f} +- {se:.3f}", judge((m, se), (p, pse)).words()]
        n_splits = len(cfg["splits"]) if cfg["splits"] is not None else 20
        cells += [n_splits, cfg["epochs"], cfg["samples"], f"{run['seconds']:.0f} s"]
        rows.append(cells)
    header = ["dataset", "published RMSE", "measured RMSE", "verdict", "published test LL", "measured test LL",
              "verdict", "splits", "epochs", "T", "wall time"]
    lines = ["# Gal & Ghahramani's UCI figures, reproduced", "", *markdown_table(header, rows), "",
             "RMSE: the MC RMSE; test LL: the test log-likelihood; both mean +- standard error over the splits, "
             "in the target's units.",
             "A figure is reproduced when the measured mean is within two combined standard errors of the published "
             "one: |m - p| <= 2 sqrt(se_m^2 + se_p^2)."]
    return "\n".join(lines) + "\n"
