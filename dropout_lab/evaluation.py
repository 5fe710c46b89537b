"""Evaluating one config on one dataset from Python: its protocol's splits, trained by an
executor, gathered into the run's tables.

:func:`evaluate` is the Python user's way to what ``dropout-lab run`` does for one config,
without writing anything: it plans the splits (stratified k-fold or holdout, repeated; see
:mod:`dropout_lab.splits`, never scikit-learn's choice for an integer ``cv``), hands them
to the same executors the command uses (:mod:`dropout_lab.executors`: in this process, or
in ``jobs`` worker processes), and assembles the folds' results.  The same config and seed
give the same per-fold numbers, whatever ``jobs``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

from .config import Experiment
from .data import Dataset
from .engines import get_engine
from .errors import DropoutLabError
from .executors import Unit, cut_units, make_executor
from .folds import HISTORY_COLUMNS, FoldResult, fold_columns
from .provenance import run_info
from .splits import plan

FOLD_COLUMNS = fold_columns()  # a standard run's columns


@dataclass
class RunResult:
    """What one run of one config produced: the fold table, per-epoch history, the
    held-out rows' predictions (``predictions.csv``), provenance."""

    folds: pd.DataFrame
    history: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)
    predictions: pd.DataFrame | None = None


def evaluate(
    cfg: Experiment,
    dataset: Dataset,
    on_fold: Callable[[FoldResult], None] | None = None,
    done: dict[tuple[int, int], FoldResult] | None = None,
    jobs: int = 1,
) -> RunResult:
    """Run ``cfg``'s protocol: one row per (repeat, fold), per-epoch history if recorded,
    and every held-out row's predicted probabilities.

    ``done`` holds the results of (repeat, fold) pairs already trained (a resumed run):
    they are used as they are, not trained again.  ``on_fold(result)`` is called as each
    new fold finishes.  ``jobs > 1`` trains in that many worker processes (the
    ``processes`` executor), each with one TensorFlow thread; the numbers are the same as
    with ``jobs=1``.
    """
    get_engine(cfg.training.engine).check(cfg, dataset)
    results = dict(done or {})
    todo = [split for split in plan(cfg, dataset.y) if (split.repeat, split.fold) not in results]
    executor = make_executor(None, jobs)
    units = [Unit(i, 0, cfg, "", tuple(group)) for i, group in enumerate(cut_units(cfg, todo, executor.parallel))]
    executor.start()
    try:
        for _, folds, error in executor.run(units, {"": dataset}, on_start=lambda unit: None):
            if error is not None:
                raise DropoutLabError(error)
            for result in folds:
                results[result.key] = result
                if on_fold:
                    on_fold(result)
    finally:
        executor.close()
    return assemble(dataset, results)


def assemble(dataset: Dataset, results: dict[tuple[int, int], FoldResult]) -> RunResult:
    """A run's tables from its folds' results (keyed by (repeat, fold)), in (repeat, fold) order."""
    ordered = [results[key] for key in sorted(results)]
    histories = [r.history for r in ordered if r.history is not None]
    history = pd.concat(histories, ignore_index=True)[HISTORY_COLUMNS] if histories else None
    predictions = pd.concat([r.predictions(dataset) for r in ordered], ignore_index=True)
    # Monte Carlo dropout's and early stopping's columns when the folds have them
    columns = fold_columns(any(r.mc_test_proba is not None for r in ordered), any(r.stopping for r in ordered),
                           dataset.task)
    return RunResult(pd.DataFrame([r.row() for r in ordered], columns=columns), history,
                     predictions=predictions)


def run_experiment(cfg: Experiment, dataset: Dataset, on_fold=None, done=None, jobs: int = 1) -> RunResult:
    """``evaluate`` ``cfg`` and record what is needed to trace the numbers back (``info``)."""
    import tensorflow as tf

    started = datetime.now(UTC)
    clock = time.perf_counter()
    result = evaluate(cfg, dataset, on_fold, done, jobs)
    threads = {"executor": "processes" if jobs > 1 else "local", "jobs": jobs,
               "intra_op": 1 if jobs > 1 else tf.config.threading.get_intra_op_parallelism_threads(),
               "inter_op": 1 if jobs > 1 else tf.config.threading.get_inter_op_parallelism_threads()}
    result.info = run_info(cfg, dataset, len(done or {}), threads, started, time.perf_counter() - clock)
    return result
