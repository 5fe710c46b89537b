"""Training one group of tasks: its program run once, its predictions read back.

:func:`train_group` hands back predictions, not scores: a fold is scored once, where the
engine's callers turn predictions into results (:func:`dropout_lab.folds.fold_result`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ... import scoring
from .grouping import mc_samples
from .prepare import prepare, target_scale
from .task import Task, is_regression, n_classes

HISTORY_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]

_log = logging.getLogger(__name__)
_calls = 0  # programs run in this process: see call_count


def call_count() -> int:
    """How many stacked programs this process has run (one per group or chunk of models)."""
    return _calls


def train_group(tasks: Sequence[Task], history: bool, initial: list[list[np.ndarray]] | None = None,
                jit: bool = False, rows: tuple[int, int] | None = None) -> tuple[list[dict], list[list[np.ndarray]]]:
    """Train one fusable group (one program; see :func:`.prepare.prepare` for ``initial``
    and ``rows``); returns, per task, its predictions and its final weights.

    A task's predictions are a dict: ``train_proba`` and ``test_proba`` (``(n, K)``), with
    Monte Carlo dropout ``mc_test_proba``, ``n_train``, ``n_test``, ``fit_seconds`` (the
    program's training time divided by its size; ``group_seconds`` the whole) and, when
    ``history``, a ``history`` DataFrame of :data:`HISTORY_COLUMNS`.  A regression task's
    ``train_proba`` and ``test_proba`` are its predicted values and, with Monte Carlo
    dropout, ``mc_test_samples`` every pass ``[T, n_test]``, all in the target's own units.
    """
    if len(tasks) == 1:  # a batched matmul of one model rounds differently: train a twin
        results, weights = train_group([tasks[0]] * 2, history, initial and initial * 2, jit, rows)
        return results[:1], weights[:1]
    global _calls
    program, args = prepare(tasks, history, initial, jit, rows)
    _calls += 1
    _log.debug("fused engine: one program of %d models (XLA: %s)", len(tasks), jit)
    n_train, n_test = args["n_train"].numpy(), args["n_test"].numpy()
    epochs = tasks[0].cfg.training.epochs
    start = time.perf_counter()
    final, p_train, p_test, curves, p_mc = program(**args)
    p_train, p_test, p_mc = p_train.numpy(), p_test.numpy(), p_mc.numpy()
    seconds = time.perf_counter() - start
    results = []
    K = n_classes(tasks[0].cfg)
    for m, task in enumerate(tasks):
        if is_regression(task.cfg):
            results.append(_regression_row(task, m, n_train[m], n_test[m], p_train, p_test, p_mc, seconds,
                                           len(tasks)))
            continue
        row = {
            "n_train": int(n_train[m]),
            "n_test": int(n_test[m]),
            "train_proba": scoring.as_proba(p_train[m, : n_train[m]], K),
            "test_proba": scoring.as_proba(p_test[m, : n_test[m]], K),
            "fit_seconds": round(seconds / len(tasks), 3),
            "group_seconds": round(seconds, 3),
        }
        if mc_samples(task.cfg):
            row["mc_test_proba"] = scoring.as_proba(p_mc[m, : n_test[m]], K)
        if history:
            table = pd.DataFrame(curves.numpy()[:, m, :].astype("float64"), columns=HISTORY_COLUMNS[1:])
            table.insert(0, "epoch", np.arange(1, epochs + 1))
            row["history"] = table
        results.append(row)
    final_weights = [[w.numpy()[m] for w in final] for m in range(len(tasks))]
    return results, final_weights


def _regression_row(task: Task, m: int, n_train: int, n_test: int, p_train, p_test, p_mc, seconds: float,
                    size: int) -> dict:
    """Model ``m``'s predicted values (and Monte Carlo passes) back in the target's units."""
    mean, scale = target_scale(task)

    def unscaled(values):
        return np.asarray(values, np.float64) * scale + mean

    row = {"n_train": int(n_train), "n_test": int(n_test), "train_proba": unscaled(p_train[m, :n_train]),
           "test_proba": unscaled(p_test[m, :n_test]), "fit_seconds": round(seconds / size, 3),
           "group_seconds": round(seconds, 3)}
    if mc_samples(task.cfg):
        row["mc_test_samples"] = unscaled(p_mc[:, m, :n_test])
    return row
