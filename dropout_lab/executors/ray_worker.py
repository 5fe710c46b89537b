"""A Ray actor that stays warm: it imports TensorFlow once and trains unit after unit.

The executor (:mod:`.ray_executor`) makes it a Ray actor (``ray.remote``) with the CPUs a
unit needs; this module does not import Ray, so that it imports alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from .base import Unit, prepare_worker, train_units


class TrainingWorker:
    """One worker process: TensorFlow on ``threads`` threads, imported when the actor starts
    (and again only when Ray replaces a dead one); each call trains some units."""

    def __init__(self, threads: int):
        prepare_worker(threads)
        import keras  # noqa: F401  - TensorFlow and Keras once per worker, not per unit

        self._data: dict[str, object] = {}  # object id -> dataset, fetched once per worker

    def train(self, units: Sequence[Unit], refs: Mapping[str, object]) -> Iterator[tuple[int, list]]:
        """``(unit.index, folds)`` as each unit (or each program of stacked units) finishes;
        ``refs`` holds each dataset's object in Ray's object store, by data key."""
        import ray

        datasets = {}
        for key in {unit.data_key for unit in units}:
            ref = refs[key]
            if ref.hex() not in self._data:
                self._data[ref.hex()] = ray.get(ref)
            datasets[key] = self._data[ref.hex()]
        yield from train_units(units, datasets)
