"""Planning and running a config's evaluation: stratified k-fold or holdout, repeated.

:func:`plan` lists every model a run trains (a :class:`Split`: repeat, fold, seeds, row
indices); :func:`evaluate` hands the splits not yet done to the config's engine
(:mod:`dropout_lab.engines`), which trains each on its training part and scores it on
the held-out part, and collects the :class:`FoldResult` s into the run's tables.  The
splitter is always an explicit ``StratifiedKFold``, never scikit-learn's choice for an
integer ``cv`` (which is an unstratified ``KFold`` for anything it does not recognise as
a classifier, as SciKeras 0.13 on scikit-learn 1.7+).  Seeds: repeat 1 splits with ``cfg.seed`` and repeat ``r`` with
a seed derived from ``(cfg.seed, r)``; fold ``k`` trains with a seed derived from
``(split seed, k)``.  The same config and seed give the same per-fold numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from .config import Experiment
from .data import Dataset
from .engines import get_engine
from .folds import HISTORY_COLUMNS, FoldResult, fold_columns
from .splits import Split, derive_seed, plan, repeat_seed, splits  # noqa: F401  (public here too)

tf.config.experimental.enable_op_determinism()

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
    new fold finishes.  ``jobs > 1`` trains folds in that many worker processes (loky),
    each with one TensorFlow thread; the numbers are the same as with ``jobs=1``.
    """
    engine = get_engine(cfg.training.engine)
    engine.check(cfg, dataset)
    results = dict(done or {})
    todo = [split for split in plan(cfg, dataset.y) if (split.repeat, split.fold) not in results]
    for result in engine.train(cfg, dataset, todo, jobs):
        results[result.key] = result
        if on_fold:
            on_fold(result)
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
    """``evaluate`` ``cfg`` and record what is needed to trace the numbers back."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    result = evaluate(cfg, dataset, on_fold, done, jobs)
    threads = {"executor": "processes" if jobs > 1 else "local", "jobs": jobs,
               "intra_op": 1 if jobs > 1 else tf.config.threading.get_intra_op_parallelism_threads(),
               "inter_op": 1 if jobs > 1 else tf.config.threading.get_inter_op_parallelism_threads()}
    result.info = run_info(cfg, dataset, len(done or {}), threads, started, time.perf_counter() - clock)
    return result


def run_info(cfg: Experiment, dataset: Dataset, resumed: int, threads: dict, started: datetime,
             wall_seconds: float, identity: str | None = None, xla: bool | None = None) -> dict:
    """What run.json records to trace a run's numbers back: config hash, data, versions, run id,
    how many folds came from the journal, where and on how many threads it trained, times.
    ``identity`` and ``xla``: the run's id and XLA mode as resolved (computed here when not given)."""
    xla = uses_xla(cfg, dataset) if xla is None else xla
    return {
        "name": cfg.name,
        "seed": cfg.seed,
        "config_hash": cfg.config_hash(),
        "dataset": {"name": dataset.name, "source": dataset.source, "checksum": dataset.checksum,
                    "rows": int(dataset.X.shape[0]), "features": dataset.n_features,
                    "input_shape": list(dataset.input_shape), "classes": list(dataset.classes),
                    **({"task": dataset.task, "target": dataset.target} if dataset.is_regression else {})},
        "versions": versions(),
        "run_id": run_id(cfg, dataset, xla) if identity is None else identity,
        "xla": xla,
        "resumed_folds": resumed,
        "threads": {**threads, "op_determinism": True, "cpu_count": os.cpu_count()},
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 2),
    }


def run_id(cfg: Experiment, dataset: Dataset, xla: bool | None = None) -> str:
    """Identifies a run's numbers: the resolved config, the data and the library versions.

    A journal of finished folds is reused only by a run with the same id.  ``xla``: whether
    the run trains under XLA, when already resolved.
    """
    parts = [cfg.config_hash(), dataset.checksum, versions()]
    if uses_xla(cfg, dataset) if xla is None else xla:  # XLA rounds unlike graph mode; graph runs keep their ids
        parts.append("xla")
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def uses_xla(cfg: Experiment, dataset: Dataset) -> bool:
    """Whether the run compiles its training with XLA (the fused engine's ``training.xla``,
    ``auto`` resolved); other engines train in graph mode."""
    if cfg.training.engine != "fused":
        return False
    from .engines.fused import use_xla

    return use_xla(cfg, dataset)


def versions() -> dict:
    import scikeras
    import sklearn

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikeras": scikeras.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
