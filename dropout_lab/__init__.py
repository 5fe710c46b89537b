"""dropout-lab: dropout-regularization experiments with Keras, from YAML configs.

The Keras-heavy parts (``build_model``, ``cross_validate``, ``run_experiment``) are
imported on first use, so that reading configs and data stays fast.
"""

import os

# TensorFlow's C++ start-up chatter (CPU features, absl) hides real messages; keep errors only
# unless the user asks for more.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .config import Experiment, check_against_data, dump_config, load_config, load_config_sourced
from .data import DATASETS, Dataset, load_dataset, resolve_data_dir
from .errors import ConfigError, DataError, DropoutLabError, ResultsError
from .folds import FoldResult, Split
from .journal import Journal
from .results import read_run, summarize, write_comparison, write_run
from .shapes import check_shapes
from .stats import accuracy_ci, corrected_resampled_ttest, mean_ci, paired_ttest

__version__ = "0.1.0"

_LAZY = {
    "build_model": "builder",
    "evaluate": "runner",
    "run_experiment": "runner",
    "RunResult": "runner",
    "train_tasks": "engines.fused",
    "get_engine": "engines",
    "run_all": "orchestrate",
    "Outcome": "orchestrate",
}

__all__ = [
    "ConfigError", "DATASETS", "DataError", "Dataset", "DropoutLabError", "Experiment", "FoldResult", "Journal",
    "ResultsError", "Split", "accuracy_ci", "check_against_data", "check_shapes", "corrected_resampled_ttest",
    "dump_config", "load_config", "load_config_sourced", "load_dataset", "mean_ci", "paired_ttest", "read_run",
    "resolve_data_dir", "summarize",
    "write_comparison", "write_run", *_LAZY,
]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
