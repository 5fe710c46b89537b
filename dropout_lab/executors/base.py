"""What every executor shares: the work :class:`Unit`, the errors, and the code a worker runs.

A :class:`Unit` is one piece of a command's plan (see :mod:`dropout_lab.orchestrate`): some
splits of one config or sweep cell, trained by the config's engine.  An executor yields one
:data:`Event` per unit (or per fold, in this process) as each finishes.

:func:`train_units` is what a worker process does with the units it is handed: each unit
starts from a fresh Keras session and seeds, so a unit's folds do not depend on what the
worker trained before; the units of an engine that stacks (fused) are trained by one call,
one program per architecture.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..config import Experiment
from ..data import Dataset
from ..errors import DropoutLabError
from ..folds import FoldResult, Split


class ExtraMissing(DropoutLabError):
    """An optional dependency (``dropout-lab[ray]``, ``dropout-lab[mlflow]``) is not installed."""


class ExecutorError(DropoutLabError):
    """An executor could not start (e.g. an unreachable Ray cluster)."""


@dataclass(frozen=True, eq=False)
class Unit:
    """Some splits of one run (``run``: its index in the plan), trained together by its engine."""

    index: int
    run: int
    cfg: Experiment
    data_key: str
    splits: tuple[Split, ...]

    @property
    def label(self) -> str:
        folds = ", ".join(f"{s.repeat}/{s.fold}" for s in self.splits)
        return f"{self.cfg.name} (repeat/fold {folds})"


Event = tuple[Unit, list[FoldResult], str | None]  # (unit, its folds, its error or None)


def stacks(unit: Unit) -> bool:
    """Whether ``unit``'s engine trains many units as one program (fused)."""
    from ..engines import get_engine

    return bool(getattr(get_engine(unit.cfg.training.engine), "STACKS", False))


def cut_units(cfg: Experiment, splits: Sequence[Split], parallel: bool) -> list[list[Split]]:
    """How one run's splits are cut into units: for an engine that stacks (fused), every split
    in one unit (one program), or one unit per repeat when an executor trains units in
    parallel; for any other engine, a unit per split."""
    from ..engines import get_engine

    if not getattr(get_engine(cfg.training.engine), "STACKS", False):
        return [[split] for split in splits]
    if not parallel:
        return [list(splits)] if splits else []
    return [[s for s in splits if s.repeat == r] for r in dict.fromkeys(s.repeat for s in splits)]


def prepare_worker(threads: int | None) -> None:
    """A worker process, before its first unit: TensorFlow on ``threads`` threads (it must be
    set before TensorFlow's first op: a worker that already ran one keeps its setting)."""
    if threads is None:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # TensorFlow already ran in this worker: its setting stays
        pass


def train_units(units: Sequence[Unit], datasets: Mapping[str, Dataset]) -> Iterator[tuple[int, list[FoldResult]]]:
    """In a worker: ``(unit.index, folds)`` for each unit as it is trained; each unit from a
    fresh Keras session and seeds, the units of a stacking engine by one call."""
    from ..engines import get_engine

    by_engine: dict[str, list[Unit]] = {}
    for unit in units:
        by_engine.setdefault(unit.cfg.training.engine, []).append(unit)
    for name, group in by_engine.items():
        engine = get_engine(name)
        if getattr(engine, "STACKS", False):
            _fresh_session(group[0])
            runs = [(u.cfg, datasets[u.data_key], u.splits) for u in group]
            for r, folds in engine.train_runs(runs):
                yield group[r].index, folds
            continue
        for unit in group:
            _fresh_session(unit)
            yield unit.index, list(engine.train(unit.cfg, datasets[unit.data_key], list(unit.splits)))


def train_unit(cfg: Experiment, dataset: Dataset, splits: Sequence[Split], threads: int | None = None) -> list:
    """Train ``splits`` with ``cfg``'s engine in a worker (see :func:`train_units`)."""
    prepare_worker(threads)
    unit = Unit(0, 0, cfg, "", tuple(splits))
    return [fold for _, folds in train_units([unit], {"": dataset}) for fold in folds]


def _fresh_session(unit: Unit) -> None:
    """Keras' global state (layer names, the default seed generator) reset, and the Python,
    NumPy and TensorFlow seeds set from the unit's first split."""
    import keras

    keras.backend.clear_session()
    if unit.splits:
        keras.utils.set_random_seed(unit.splits[0].model_seed)


def first_line(exc: BaseException) -> str:
    """The last non-empty line of an error (of its cause, for a Ray task error)."""
    cause = getattr(exc, "cause", None)
    text = str(cause if cause is not None else exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def import_extra(module: str, extra: str):
    """``module``, or one error saying which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExtraMissing(f"{module} is not installed; install it with: pip install 'dropout-lab[{extra}]'"
                           ) from None
