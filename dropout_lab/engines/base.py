"""What every engine shares: the split it trains, the result it returns, how it is found.

An engine is a module with:

``NAME``
    its name in ``training.engine``;
``check(cfg, dataset)``
    raises :class:`~dropout_lab.errors.ConfigError` naming the first thing in ``cfg`` (or
    about ``dataset``) it cannot train; called once, before anything is written;
``supports(cfg, dataset) -> bool``
    the same as a yes/no;
``intra_op_threads(cfg, dataset) -> int | None``
    the TensorFlow intra-op threads a run wants (None: TensorFlow's default), which the
    planner sets before the run's first op when it is the process's first
    (:func:`.tf_setup.use_intra_op_threads`);
``train(cfg, dataset, splits) -> Iterator[FoldResult]``
    trains one fresh model per :class:`Split` in this process and yields a
    :class:`FoldResult` for each as it finishes (in any order); parallelism belongs to the
    executors (:mod:`dropout_lab.executors`), not to the engines.

The SciKeras engine also offers ``fit_split(cfg, dataset, split) -> FoldResult``: one split
as a pure function of its arguments, which an executor can run anywhere.  An engine that
trains many splits as one program (fused) sets ``STACKS = True`` and offers
``train_runs(runs) -> Iterator[(run index, folds)]`` over ``(cfg, dataset, splits)``
triples: the local executor gives it all of a command's units in one call.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ..config import ENGINES as _ENGINE_NAMES
from ..errors import ConfigError
from ..folds import HISTORY_COLUMNS, FoldResult, Split, fold_columns, fold_result
from . import tf_setup

__all__ = ["ENGINES", "HISTORY_COLUMNS", "FoldResult", "Split", "fold_columns", "fold_result", "get_engine",
           "supports_of"]

ENGINES = {name: name for name in _ENGINE_NAMES}  # training.engine -> module in this package


def get_engine(name: str) -> ModuleType:
    """The engine module called ``name`` (imported on first use: each loads TensorFlow), with
    TensorFlow set up for training first (:func:`.tf_setup.configure`)."""
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}; valid: {', '.join(ENGINES)}")
    tf_setup.configure()
    return importlib.import_module(f"{__package__}.{ENGINES[name]}")


def supports_of(check):
    """An engine's ``supports(cfg, dataset) -> bool``, from its ``check`` (which raises ``ConfigError``)."""
    def supports(cfg, dataset) -> bool:
        try:
            check(cfg, dataset)
        except ConfigError:
            return False
        return True

    return supports
