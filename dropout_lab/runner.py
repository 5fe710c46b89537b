"""Stratified k-fold cross-validation of a config's model through SciKeras.

Each fold fits a fresh ``Pipeline(StandardScaler, KerasClassifier)`` on its training
part and scores it on the held-out part.  The splitter is always an explicit
``StratifiedKFold`` (SciKeras 0.13 is not recognised as a classifier by newer
scikit-learn, which would silently fall back to unstratified ``KFold`` for ``cv=10``).
Seeds: the split uses ``cfg.seed``; fold ``k`` trains with a seed derived from
``(cfg.seed, k)``, so the same config and seed give the same per-fold numbers.
"""

from __future__ import annotations

import functools
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
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .builder import build_model
from .config import Experiment
from .data import Dataset

tf.get_logger().setLevel("ERROR")  # silence tf.function retracing chatter: each fold is a new model
tf.config.experimental.enable_op_determinism()

FOLD_COLUMNS = [
    "fold", "split_seed", "model_seed", "n_train", "n_test",
    "train_accuracy", "test_accuracy", "test_loss", "fit_seconds",
]


@dataclass
class RunResult:
    """What one run of one config produced: the fold table and how it was made."""

    folds: pd.DataFrame
    info: dict = field(default_factory=dict)


def fold_seed(seed: int, fold: int) -> int:
    """The training seed of fold ``fold`` (1-based), derived from the config's seed."""
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


def _model_fn(model_cfg, training_cfg, meta):
    return build_model(model_cfg, training_cfg, meta["n_features_in_"])


def make_pipeline(cfg: Experiment, seed: int) -> Pipeline:
    """The estimator one fold fits: optional ``StandardScaler`` then SciKeras' classifier."""
    clf = KerasClassifier(
        model=functools.partial(_model_fn, cfg.model, cfg.training),
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        random_state=seed,
        verbose=0,
    )
    scaler = StandardScaler() if cfg.evaluation.standardize else "passthrough"
    return Pipeline([("scale", scaler), ("model", clf)])


def splits(cfg: Experiment, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) index pairs of ``cfg``'s stratified k-fold, seeded by ``cfg.seed``."""
    ev = cfg.evaluation
    splitter = StratifiedKFold(
        n_splits=ev.n_splits, shuffle=ev.shuffle, random_state=cfg.seed if ev.shuffle else None
    )
    return list(splitter.split(np.zeros((len(y), 1)), y))


def cross_validate(
    cfg: Experiment, dataset: Dataset, on_fold: Callable[[dict], None] | None = None
) -> pd.DataFrame:
    """One row per fold: sizes, train/test accuracy, test log-loss and fit seconds."""
    X, y = dataset.X.astype("float32"), dataset.y
    rows = []
    for fold, (train, test) in enumerate(splits(cfg, y), start=1):
        seed = fold_seed(cfg.seed, fold)
        keras.utils.set_random_seed(seed)
        pipe = make_pipeline(cfg, seed)
        start = time.perf_counter()
        pipe.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        proba = pipe.predict_proba(X[test])[:, 1]
        row = {
            "fold": fold,
            "split_seed": cfg.seed,
            "model_seed": seed,
            "n_train": len(train),
            "n_test": len(test),
            "train_accuracy": accuracy_score(y[train], pipe.predict(X[train])),
            "test_accuracy": accuracy_score(y[test], (proba > 0.5).astype(int)),
            "test_loss": log_loss(y[test], proba, labels=[0, 1]),
            "fit_seconds": round(seconds, 3),
        }
        keras.backend.clear_session()
        rows.append(row)
        if on_fold:
            on_fold(row)
    return pd.DataFrame(rows, columns=FOLD_COLUMNS)


def run_experiment(
    cfg: Experiment, dataset: Dataset, on_fold: Callable[[dict], None] | None = None
) -> RunResult:
    """Cross-validate ``cfg`` and record what is needed to trace the numbers back."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    folds = cross_validate(cfg, dataset, on_fold)
    info = {
        "name": cfg.name,
        "seed": cfg.seed,
        "config_hash": cfg.config_hash(),
        "dataset": {"name": dataset.name, "source": dataset.source, "checksum": dataset.checksum,
                    "rows": int(dataset.X.shape[0]), "features": dataset.n_features},
        "versions": versions(),
        "threads": {
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "op_determinism": True,
            "cpu_count": os.cpu_count(),
        },
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - clock, 2),
    }
    return RunResult(folds, info)


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
