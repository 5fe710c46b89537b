"""What a run records to trace its numbers back: its id, versions, and run.json's facts.

:func:`run_id` identifies a run's numbers (the resolved config, the data's checksum, the
library versions and, for the fused engine, whether it compiles with XLA): a journal of
finished folds is reused only by a run with the same id.  :func:`run_info` is what
``run.json`` holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from datetime import UTC, datetime

from .config import Experiment
from .data import Dataset


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
    """The versions of Python and of the libraries that make a run's numbers."""
    import keras
    import numpy as np
    import pandas as pd
    import scikeras
    import sklearn
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "scikeras": scikeras.__version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
    }
