"""dropout-lab: dropout-regularization experiments with Keras, from YAML configs.

Everything is imported on first use (PEP 562), so that ``import dropout_lab`` and the
commands that do not train (``--help``, ``compare``, ``check``, ``report``,
``reproduction``) stay fast: TensorFlow, matplotlib and scipy load only when needed.
"""

import os

# TensorFlow's C++ start-up chatter (CPU features, absl) hides real messages; keep errors only
# unless the user asks for more.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .errors import ConfigError, DataError, DropoutLabError, ResultsError

__version__ = "0.1.0"

# public name -> the module (in this package) that defines it
_LAZY = {
    **dict.fromkeys(("Experiment", "dump_config", "load_config", "load_config_sourced"), "config"),
    "check_against_data": "preflight",
    **dict.fromkeys(("DATASETS", "Dataset", "load_dataset", "resolve_data_dir"), "data"),
    **dict.fromkeys(("FoldResult", "Split"), "folds"),
    "Journal": "journal",
    **dict.fromkeys(("read_run", "summarize", "write_comparison", "write_run"), "results"),
    "check_shapes": "preflight",
    **dict.fromkeys(("accuracy_ci", "bayesian_correlated_ttest", "corrected_resampled_ttest", "holm", "mean_ci",
                     "paired_ttest"), "stats"),
    "build_model": "builder",
    **dict.fromkeys(("evaluate", "run_experiment", "RunResult"), "evaluation"),
    "train_tasks": "engines.fused",
    "get_engine": "engines",
    "run_all": "orchestrate",
    **dict.fromkeys(("init_study", "list_studies", "resolve_config", "study_path"), "catalog"),
    "Outcome": "orchestrate",
}

__all__ = ["ConfigError", "DataError", "DropoutLabError", "ResultsError", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
