"""The ``local`` executor: every unit in this process, one after another."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from ..data import Dataset
from .base import Event, Unit, stacks


class LocalExecutor:
    """Each unit in this process, one after another, each fold yielded as it finishes; the
    units of a stacking engine (fused) together, by one call: every split of the command
    that shares an architecture is one model of one program."""

    name = "local"
    parallel = False

    def __init__(self):
        self.threads = None

    def start(self) -> None:
        pass

    def run(self, units: Sequence[Unit], datasets: dict[str, Dataset], on_start: Callable[[Unit], None]
            ) -> Iterator[Event]:
        from ..engines import get_engine

        stacked: dict[str, list[Unit]] = {}  # engine -> its units, trained as one call
        for unit in units:
            if stacks(unit):
                stacked.setdefault(unit.cfg.training.engine, []).append(unit)
        for unit in units:
            batch = stacked.get(unit.cfg.training.engine)
            if batch:
                if unit is batch[0]:
                    yield from _train_stacked(batch, datasets, on_start)
                continue
            on_start(unit)
            engine = get_engine(unit.cfg.training.engine)
            for fold in engine.train(unit.cfg, datasets[unit.data_key], list(unit.splits)):
                yield unit, [fold], None

    def close(self) -> None:
        pass

    def info(self) -> dict:
        import tensorflow as tf

        return {"executor": self.name, "jobs": 1, "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}


def _train_stacked(units: Sequence[Unit], datasets: dict[str, Dataset], on_start) -> Iterator[Event]:
    """Units of an engine that stacks trained by one ``train_runs`` call."""
    from .. import interrupt
    from ..engines import get_engine

    for unit in units:
        on_start(unit)
    engine = get_engine(units[0].cfg.training.engine)
    programs = engine.train_runs([(u.cfg, datasets[u.data_key], u.splits) for u in units])
    while True:
        with interrupt.deferred():  # Ctrl-C during a program: its folds are kept, then the run stops
            event = next(programs, None)
        if event is None:
            return
        yield units[event[0]], event[1], None
