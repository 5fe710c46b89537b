"""Run directories written, atomically (``reading`` reads them; :mod:`.files` writes the files beside them).

A run of config ``NAME`` writes ``OUT/NAME/``::

    config.yaml         the fully resolved config: `dropout-lab run OUT/NAME/config.yaml` re-runs it
    folds.csv           one row per (repeat, fold): sizes, seeds, scores (see ``scoring``), time
    summary.csv         mean, std, standard error, 95% interval, min, max of each score
    summary.md          the same as a Markdown table
    predictions.csv     every held-out row's predicted probabilities, per repeat and fold
    confusion.csv       true x predicted class counts over every fold and repeat
    confusion.png       the same as a picture
    reliability.csv     per confidence bin: mean accuracy and confidence over folds, rows (mc_* too with
                        Monte Carlo dropout)
    reliability.png     the same as a reliability diagram
    run.json            seed, library versions, dataset checksum, config hash, times
    history.csv         per-epoch train/test loss and accuracy (holdout, or k-fold with history)
    learning_curve.png  the history as a plot
    test_accuracy.png   test accuracy over all runs (when there is more than one)

A regression run writes, instead of the confusion and reliability files, ``predicted.png``
(predicted vs true), ``residuals.png``, ``test_rmse.png``; with Monte Carlo dropout
``coverage.csv`` and ``coverage.png`` (observed vs expected coverage of the predictive
intervals), and for data of one input feature ``band.png`` (the predictive band along it).

A run repeated with several seeds has a ``repeat`` column (1-based) first in folds.csv;
``read_run`` reads a folds.csv without one as repeat 1.

The directory is assembled under a temporary name and renamed into place when every
file is written, so an interrupted or failed run never leaves a half-written one.

The files written beside run directories (comparison, sweep, report) are :mod:`.files`'s.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..config import Experiment, dump_config
from ..config.diff import config_difference, show_value
from ..errors import ResultsError
from .files import UMASK
from .tables import prediction_tables, summarize, summary_markdown


def prepare_out_dir(out: Path, names: list[str] = ()) -> Path:
    """Before any training: create ``out`` if needed, check that runs can be written there,
    and that ``out/<name>`` for each name is free or holds an earlier run (never replace
    a directory dropout-lab did not write)."""
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: the output path exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.TemporaryFile(dir=out)
        probe.close()
    except OSError as exc:
        raise ResultsError(f"{out}: cannot write results there: {exc.strerror}") from None
    for name in names:
        _check_replaceable(out / name)
    return out


def _check_replaceable(final: Path) -> None:
    if final.exists() and not final.is_dir():
        raise ResultsError(f"{final}: exists and is not a directory; choose another --out or config name")
    if final.is_dir() and any(final.iterdir()) and not (final / "run.json").is_file():
        raise ResultsError(
            f"{final}: exists and is not a dropout-lab run directory (no run.json), so it is not replaced; "
            f"choose another --out or config name"
        )


def check_run_dir(final: Path, cfg: Experiment, replace: bool = False) -> None:
    """Before any training: ``final`` may receive ``cfg``'s run unless it holds something
    else.  A directory dropout-lab did not write is never replaced; a finished run of
    another config (names never count) only with ``replace``, since its numbers would be lost."""
    _check_replaceable(final)
    if replace or not (final / "config.yaml").is_file():
        return
    try:
        saved = yaml.safe_load((final / "config.yaml").read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return  # not a readable run: nothing of value to keep
    where = config_difference(saved, cfg.to_dict())
    if where is not None:
        loc, there, here = where
        raise ResultsError(
            f"{final}: holds a finished run of another config (first difference: {loc or 'the whole config'} = "
            f"{show_value(there)} there vs {show_value(here)} now); --replace replaces it, "
            f"or choose another --out or config name"
        )


def write_run(
    out: Path, cfg: Experiment, folds: pd.DataFrame, info: dict,
    history: pd.DataFrame | None = None, plots: bool = True,
    predictions: pd.DataFrame | None = None, classes=None, summary: pd.DataFrame | None = None,
    dataset=None,
) -> Path:
    """Write one run's files into ``out/<name>/`` all at once (temporary dir + rename).

    ``predictions`` (see :func:`dropout_lab.predictions.predictions_frame`) and the data's
    ``classes`` give ``predictions.csv`` and the confusion matrix; ``summary`` is the folds'
    ``summarize``, when the caller has it already; ``dataset`` (a regression run's) gives the
    inputs of the band plot.
    """
    summary = summarize(folds) if summary is None else summary
    files = {
        "config.yaml": dump_config(cfg),
        "folds.csv": folds.to_csv(index=False),
        "summary.csv": summary.to_csv(),
        "summary.md": summary_markdown(cfg.name, summary),
        "run.json": json.dumps(info, indent=2) + "\n",
    }
    if history is not None:
        files["history.csv"] = history.to_csv(index=False)
    figures = {}
    if plots:
        from ..plots import (  # matplotlib: only to draw
            accuracy_distribution,
            confusion_plot,
            learning_curve,
            reliability_diagram,
        )
    regression = "test_rmse" in folds.columns
    if regression and predictions is not None:
        files["predictions.csv"] = predictions.to_csv(index=False, float_format="%.9g")
        files.update(_regression_files(cfg, folds, predictions, dataset, figures if plots else None))
    elif predictions is not None:
        # 9 significant digits: a float32 probability reads back exactly
        files["predictions.csv"] = predictions.to_csv(index=False, float_format="%.9g")
        table, tables, reliability = prediction_tables(cfg, predictions, classes)
        files["confusion.csv"] = table.to_csv()
        files["reliability.csv"] = reliability.to_csv(index=False)
        if plots:
            figures["confusion.png"] = confusion_plot(table, f"{cfg.name}: confusion matrix")
            figures["reliability.png"] = reliability_diagram(tables, f"{cfg.name}: reliability")
    if plots and history is not None:
        figures["learning_curve.png"] = learning_curve(history, cfg.name)
    if plots and len(folds) > 1 and regression:
        figures["test_rmse.png"] = accuracy_distribution({cfg.name: folds["test_rmse"]}, f"{cfg.name}: test RMSE",
                                                         "test RMSE")
    elif plots and len(folds) > 1:
        figures["test_accuracy.png"] = accuracy_distribution({cfg.name: folds["test_accuracy"]},
                                                             f"{cfg.name}: test accuracy")
    final = out / cfg.name
    try:
        staging = Path(tempfile.mkdtemp(dir=out, prefix=f".{cfg.name}.", suffix=".partial"))
        staging.chmod(0o777 & ~UMASK)  # mkdtemp's 0700 would hide results from other users
    except OSError as exc:
        raise ResultsError(f"{out}: cannot write results there: {exc.strerror}") from None
    try:
        for filename, text in files.items():
            (staging / filename).write_text(text)  # plain open(): the umask's mode
        for filename, fig in figures.items():
            fig.savefig(staging / filename, dpi=110)
        _replace_dir(staging, final)
    except OSError as exc:
        raise ResultsError(f"{final}: cannot write results: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def _regression_files(cfg: Experiment, folds: pd.DataFrame, predictions: pd.DataFrame, dataset,
                      figures: dict | None) -> dict[str, str]:
    """A regression run's coverage table (Monte Carlo dropout) and, into ``figures`` when
    plotting, its predicted-vs-true, residual, coverage and band plots."""
    from ..predictions import coverage_table

    mc = "mc_mean" in predictions.columns
    coverage = coverage_table(predictions) if mc else None
    files = {"coverage.csv": coverage.to_csv(index=False)} if mc else {}
    if figures is None:
        return files
    from ..regression_plots import band_plot, coverage_plot, predicted_vs_true, residual_plot

    figures["predicted.png"] = predicted_vs_true(predictions, f"{cfg.name}: predicted vs true")
    figures["residuals.png"] = residual_plot(predictions, f"{cfg.name}: residuals")
    if mc:
        figures["coverage.png"] = coverage_plot(coverage, f"{cfg.name}: coverage")
    if dataset is not None and dataset.n_features == 1:
        rows = predictions["row"].to_numpy()
        train = np.setdiff1d(np.arange(len(dataset.y)), rows)
        figures["band.png"] = band_plot(dataset.X[rows, 0], predictions, f"{cfg.name}: predictions along the input",
                                        dataset.X[train, 0], dataset.y[train])
    return files


def _replace_dir(staging: Path, final: Path) -> None:
    """Move ``staging`` to ``final``; an earlier run there is removed only after the move."""
    _check_replaceable(final)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
    os.replace(staging, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
