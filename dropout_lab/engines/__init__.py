"""Training engines, one interface (see :mod:`.base`): ``check``, ``supports``, ``train``.

- :mod:`.scikeras` (the reference): one ``Pipeline(StandardScaler, KerasClassifier)`` per split,
  :mod:`.mc_dropout` its Monte Carlo dropout;
- :mod:`.fused`: many models of one architecture trained as one stacked TensorFlow program
  (all folds, repeats, sweep cells and configs of a command together), a package along its
  seams (see its docstring);
- :mod:`.tf_setup`: TensorFlow's settings for training, made by one call
  (:func:`get_engine` makes it); :mod:`.xla_cache` XLA's persistent compile cache.

``get_engine(name)`` returns the engine module that ``training.engine: name`` selects.
The engines (and TensorFlow) are imported on first use.
"""

from .base import ENGINES, HISTORY_COLUMNS, FoldResult, Split, fold_columns, fold_result, get_engine

_FUSED = ("Task", "architecture_key", "check_supported", "train_tasks")

__all__ = ["ENGINES", "HISTORY_COLUMNS", "FoldResult", "Split", "fold_columns", "fold_result", "get_engine",
           *_FUSED]


def __getattr__(name):
    if name in _FUSED:
        from . import fused

        return getattr(fused, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
