"""The ``processes`` executor: units in local worker processes (joblib's loky)."""

from __future__ import annotations

from collections.abc import Iterator

from .base import Event, train_unit
from .local import LocalExecutor


class ProcessExecutor(LocalExecutor):
    """Units in ``jobs`` loky worker processes (joblib), one TensorFlow thread each; loky keeps
    its workers between units, and each unit starts from a fresh Keras session and seeds."""

    name = "processes"
    parallel = True

    def __init__(self, jobs: int):
        self.jobs = jobs

    def run(self, units, datasets, on_start) -> Iterator[Event]:
        if len(units) < 2:
            yield from LocalExecutor.run(self, units, datasets, on_start)
            return
        from joblib import Parallel, delayed

        def calls():
            for unit in units:
                on_start(unit)
                yield delayed(_indexed)(unit.index, unit.cfg, datasets[unit.data_key], unit.splits)

        by_index = {unit.index: unit for unit in units}
        parallel = Parallel(n_jobs=self.jobs, backend="loky", return_as="generator_unordered")
        for index, folds in parallel(calls()):
            yield by_index[index], folds, None

    def info(self) -> dict:
        return {"executor": self.name, "jobs": self.jobs, "intra_op": 1, "inter_op": 1}


def _indexed(index, cfg, dataset, splits):
    return index, train_unit(cfg, dataset, splits, threads=1)
