"""Evaluation of a config's model through SciKeras: stratified k-fold or holdout, repeated.

Each fold (or holdout split) fits a fresh ``Pipeline(StandardScaler, KerasClassifier)`` on its training
part and scores it on the held-out part.  The splitter is always an explicit
``StratifiedKFold`` (SciKeras 0.13 is not recognised as a classifier by newer
scikit-learn, which would silently fall back to unstratified ``KFold`` for ``cv=10``).
Seeds: repeat 1 splits with ``cfg.seed`` and repeat ``r`` with a seed derived from
``(cfg.seed, r)``; fold ``k`` trains with a seed derived from ``(split seed, k)``.  The same
config and seed give the same per-fold numbers.
"""

from __future__ import annotations

import functools
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
from scikeras.wrappers import KerasClassifier
from sklearn.metrics import accuracy_score, log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .builder import build_model
from .config import Experiment
from .data import Dataset
from .splits import Split, derive_seed, plan, repeat_seed, splits  # noqa: F401  (public here too)

tf.get_logger().setLevel("ERROR")  # silence tf.function retracing chatter: each fold is a new model
tf.config.experimental.enable_op_determinism()

FOLD_COLUMNS = [
    "repeat", "fold", "split_seed", "model_seed", "n_train", "n_test",
    "train_accuracy", "test_accuracy", "test_loss", "fit_seconds",
]
HISTORY_COLUMNS = ["repeat", "fold", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"]


@dataclass
class RunResult:
    """What one run of one config produced: fold table, per-epoch history, provenance."""

    folds: pd.DataFrame
    history: pd.DataFrame | None = None
    info: dict = field(default_factory=dict)


def _model_fn(model_cfg, training_cfg, input_shape, meta):
    return build_model(model_cfg, training_cfg, input_shape or meta["n_features_in_"])


def make_pipeline(cfg: Experiment, seed: int, input_shape: tuple[int, ...] | None = None) -> Pipeline:
    """The estimator one fold fits: optional ``StandardScaler`` then SciKeras' classifier.

    ``input_shape``: one sample's shape (the dataset's), which the model reshapes the flat
    rows to; None: flat rows of however many features the fit gets."""
    clf = KerasClassifier(
        model=functools.partial(_model_fn, cfg.model, cfg.training, input_shape),
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        random_state=seed,
        verbose=0,
    )
    scaler = StandardScaler() if cfg.evaluation.standardize else "passthrough"
    return Pipeline([("scale", scaler), ("model", clf)])


def fit_split(
    cfg: Experiment, X: np.ndarray, y: np.ndarray, split: Split, input_shape: tuple[int, ...] | None = None
) -> tuple[dict, pd.DataFrame | None]:
    """Fit one fresh pipeline on ``split.train``, score it on ``split.test`` (the SciKeras engine).

    With ``evaluation.history`` the test part is Keras' validation data, so that the
    per-epoch curves are recorded; it does not change the training.
    """
    train, test = split.train, split.test
    keras.utils.set_random_seed(split.model_seed)
    pipe = make_pipeline(cfg, split.model_seed, input_shape)
    fit_params = {}
    if cfg.evaluation.history:
        X_val = StandardScaler().fit(X[train]).transform(X[test]) if cfg.evaluation.standardize else X[test]
        fit_params["model__validation_data"] = (X_val, y[test])
    start = time.perf_counter()
    pipe.fit(X[train], y[train], **fit_params)
    seconds = time.perf_counter() - start
    # one predict call for both parts: each predict on a new model costs a tf.function trace
    both = pipe.predict_proba(X[np.concatenate([train, test])])[:, 1]
    train_proba, proba = both[: len(train)], both[len(train):]
    row = {
        "repeat": split.repeat,
        "fold": split.fold,
        "split_seed": split.split_seed,
        "model_seed": split.model_seed,
        "n_train": len(train),
        "n_test": len(test),
        "train_accuracy": accuracy_score(y[train], (train_proba > 0.5).astype(int)),
        "test_accuracy": accuracy_score(y[test], (proba > 0.5).astype(int)),
        "test_loss": log_loss(y[test], proba, labels=[0, 1]),
        "fit_seconds": round(seconds, 3),
    }
    history = None
    if cfg.evaluation.history:
        h = pipe.named_steps["model"].history_
        history = pd.DataFrame({
            "repeat": split.repeat, "fold": split.fold, "epoch": np.arange(1, len(h["loss"]) + 1),
            "train_loss": h["loss"], "train_accuracy": h["accuracy"],
            "test_loss": h["val_loss"], "test_accuracy": h["val_accuracy"],
        })
    keras.backend.clear_session()
    return row, history


def _fit_in_worker(cfg: Experiment, X: np.ndarray, y: np.ndarray, split: Split, input_shape=None):
    """``fit_split`` in a worker process, with TensorFlow on one thread so workers do not fight."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # this worker already ran TensorFlow: the setting stays from its first task
        pass
    return fit_split(cfg, X, y, split, input_shape)


def _scikeras_engine(cfg: Experiment, X: np.ndarray, y: np.ndarray, todo: list[Split], jobs: int, input_shape=None):
    """Fold by fold through SciKeras, in ``jobs`` worker processes when asked."""
    if jobs > 1 and len(todo) > 1:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
        return parallel(delayed(_fit_in_worker)(cfg, X, y, split, input_shape) for split in todo)
    return (fit_split(cfg, X, y, split, input_shape) for split in todo)


def _fused_engine(cfg: Experiment, X: np.ndarray, y: np.ndarray, todo: list[Split], jobs: int, input_shape=None):
    """Every fold and repeat as one stacked model in one compiled program (``engines.fused``);
    it trains the kinds that act on flat rows alike whatever ``input_shape`` is."""
    from .engines.fused import Task, check_supported, train_tasks

    check_supported(cfg)
    tasks = [Task(cfg, X[s.train], y[s.train], X[s.test], y[s.test], s.model_seed) for s in todo]
    for split, out in zip(todo, train_tasks(tasks, history=cfg.evaluation.history), strict=True):
        row = {
            "repeat": split.repeat, "fold": split.fold, "split_seed": split.split_seed,
            "model_seed": split.model_seed, "n_train": len(split.train), "n_test": len(split.test),
            "train_accuracy": out["train_accuracy"], "test_accuracy": out["test_accuracy"],
            "test_loss": out["test_loss"], "fit_seconds": round(out["fit_seconds"], 3),
        }
        history = None
        if cfg.evaluation.history:
            history = out["history"].rename(columns=_FUSED_HISTORY).assign(repeat=split.repeat, fold=split.fold)
        yield row, history


_FUSED_HISTORY = {"loss": "train_loss", "accuracy": "train_accuracy", "val_loss": "test_loss",
                  "val_accuracy": "test_accuracy"}
ENGINES = {"scikeras": _scikeras_engine, "fused": _fused_engine}


def evaluate(
    cfg: Experiment,
    dataset: Dataset,
    on_fold: Callable[[dict, pd.DataFrame | None], None] | None = None,
    done: dict[tuple[int, int], tuple[dict, pd.DataFrame | None]] | None = None,
    jobs: int = 1,
) -> RunResult:
    """Run ``cfg``'s protocol: one row per (repeat, fold), and per-epoch history if recorded.

    ``done`` holds results of (repeat, fold) pairs already trained (a resumed run): they
    are used as they are, not trained again.  ``on_fold(row, history)`` is called as each
    new fold finishes.  ``jobs > 1`` trains folds in that many worker processes (loky),
    each with one TensorFlow thread; the numbers are the same as with ``jobs=1``.
    """
    X, y = dataset.X.astype("float32"), dataset.y
    results = dict(done or {})
    todo = [split for split in plan(cfg, y) if (split.repeat, split.fold) not in results]
    for row, history in ENGINES[cfg.training.engine](cfg, X, y, todo, jobs, input_shape=dataset.input_shape):
        results[row["repeat"], row["fold"]] = (row, history)
        if on_fold:
            on_fold(row, history)
    ordered = [results[key] for key in sorted(results)]
    histories = [history for _, history in ordered if history is not None]
    history = pd.concat(histories, ignore_index=True)[HISTORY_COLUMNS] if histories else None
    return RunResult(pd.DataFrame([row for row, _ in ordered], columns=FOLD_COLUMNS), history)


def run_experiment(cfg: Experiment, dataset: Dataset, on_fold=None, done=None, jobs: int = 1) -> RunResult:
    """``evaluate`` ``cfg`` and record what is needed to trace the numbers back."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    result = evaluate(cfg, dataset, on_fold, done, jobs)
    result.info = {
        "name": cfg.name,
        "seed": cfg.seed,
        "config_hash": cfg.config_hash(),
        "dataset": {"name": dataset.name, "source": dataset.source, "checksum": dataset.checksum,
                    "rows": int(dataset.X.shape[0]), "features": dataset.n_features},
        "versions": versions(),
        "run_id": run_id(cfg, dataset),
        "resumed_folds": len(done or {}),
        "threads": {
            "jobs": jobs,
            "intra_op": 1 if jobs > 1 else tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": 1 if jobs > 1 else tf.config.threading.get_inter_op_parallelism_threads(),
            "op_determinism": True,
            "cpu_count": os.cpu_count(),
        },
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - clock, 2),
    }
    return result


def run_id(cfg: Experiment, dataset: Dataset) -> str:
    """Identifies a run's numbers: the resolved config, the data and the library versions.

    A journal of finished folds is reused only by a run with the same id.
    """
    text = json.dumps([cfg.config_hash(), dataset.checksum, versions()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
