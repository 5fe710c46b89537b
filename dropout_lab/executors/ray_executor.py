"""The ``ray`` executor: units on warm Ray actors, one per CPU slot a unit needs.

Ray's guidance for many short tasks with an expensive set-up (here: importing TensorFlow,
seconds per process) is to keep that state in actors and send them the tasks.  The actors
(:class:`~.ray_worker.TrainingWorker`, as many as the cluster has slots of
``cpus_per_unit`` CPUs, no more than there are units) are made on the first run and kept
until :meth:`RayExecutor.close`.  Work is handed to an idle actor one call at a time (so
that a slow unit never holds others back): each unit of an engine that trains one model per
split (SciKeras) is a call of its own; the units of an engine that stacks (fused) are cut
into one share per actor, so that each actor trains one program per architecture.  Each
call is a Ray streaming generator: a unit's folds (a program's, for stacked units) come back
as soon as they are trained, and the driver journals them at once.  The data is put in the
object store once per dataset; each actor fetches it once.

``ray.util.ActorPool`` does the same hand-out, but when a call fails it does not say which:
a unit could not be retried.  Here a dead actor is replaced by a new one (Ray's own restart,
``max_restarts``, refuses the calls sent while it restarts) and the units of its call not yet
back are handed out again; a unit that raises is too, on the same actor.  After ``retries``
failures a unit is reported with its error while the others go on.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence

from .base import Event, ExecutorError, Unit, first_line, import_extra, stacks
from .local import LocalExecutor
from .ray_connect import check_authenticated, check_reachable, use_local_token
from .ray_worker import TrainingWorker


class RayExecutor(LocalExecutor):
    """Units on warm Ray actors on the cluster at ``address`` (or ``RAY_ADDRESS``), else on a
    local Ray started for the run on 127.0.0.1 with ``num_cpus`` CPUs (default: all)."""

    name = "ray"
    parallel = True

    def __init__(self, address: str | None = None, num_cpus: int | None = None, cpus_per_unit: int = 1,
                 retries: int = 2, connect_timeout: float = 5.0):
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.num_cpus = num_cpus
        self.cpus_per_unit = cpus_per_unit
        self.retries = retries
        self.connect_timeout = connect_timeout
        self._owned = False
        self._workers: list = []
        self._actor = None  # TrainingWorker as a Ray actor class

    def start(self) -> None:
        ray = import_extra("ray", "ray")
        if ray.is_initialized():  # a cluster the caller connected to (e.g. a test's)
            return
        kwargs = {"include_dashboard": False, "logging_level": logging.WARNING, "log_to_driver": False,
                  "configure_logging": True}
        if self.address and self.address != "local":
            check_reachable(self.address, self.connect_timeout)
            if "://" not in self.address:  # a GCS address, not a Ray Client one (ray://)
                use_local_token()
                check_authenticated(self.address)
            try:
                ray.init(address=self.address, **kwargs)
            except ConnectionError as exc:
                raise ExecutorError(f"cannot connect to the Ray cluster at {self.address}: {first_line(exc)}"
                                    ) from None
        else:
            ray.init(address="local", num_cpus=self.num_cpus or os.cpu_count(), _node_ip_address="127.0.0.1",
                     **kwargs)
        self._owned = True

    def run(self, units: Sequence[Unit], datasets, on_start) -> Iterator[Event]:
        import ray
        from ray.exceptions import RayError, RayTaskError

        if not units:
            return
        workers = self._grow(len(units))
        refs = {key: ray.put(datasets[key]) for key in {unit.data_key for unit in units}}  # once per dataset
        by_index = {unit.index: unit for unit in units}
        todo, idle, running = deque(_calls(units, len(workers))), list(workers), {}
        failures: dict[int, int] = {}
        started: set[int] = set()

        def hand_out():
            while todo and idle:
                call, worker = todo.popleft(), idle.pop()
                for unit in call:
                    if unit.index not in started:
                        started.add(unit.index)
                        on_start(unit)
                stream = worker.train.options(num_returns="streaming").remote(call, refs)
                running[stream] = (worker, call, set())

        try:
            hand_out()
            while running:
                ready, _ = ray.wait(list(running), num_returns=1)
                worker, call, back = running[ready[0]]
                try:
                    index, folds = ray.get(next(ready[0]))
                except StopIteration:  # the call is done: its actor takes the next one
                    del running[ready[0]]
                    idle.append(worker)
                    hand_out()
                    continue
                except RayError as exc:  # a unit raised, or the actor died
                    del running[ready[0]]
                    idle.append(worker if isinstance(exc, RayTaskError) else self._replace(worker))
                    again = []
                    for unit in (u for u in call if u.index not in back):
                        failures[unit.index] = failures.get(unit.index, 0) + 1
                        if failures[unit.index] > self.retries:
                            yield unit, [], first_line(exc)
                        else:
                            again.append(unit)
                    if again:
                        todo.appendleft(again)
                    hand_out()
                    continue
                back.add(index)
                yield by_index[index], folds, None
        finally:
            if running:  # interrupted, or the driver stopped: stop the actors' work at once
                self._stop_workers()

    def _grow(self, units: int) -> list:
        """The actors, made on first use: one per slot of ``cpus_per_unit`` CPUs, at most ``units``."""
        import ray

        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // self.cpus_per_unit))
        if self._actor is None:
            self._actor = ray.remote(num_cpus=self.cpus_per_unit)(TrainingWorker)
        while len(self._workers) < min(slots, units):
            self._workers.append(self._actor.remote(self.cpus_per_unit))
        return list(self._workers)

    def _replace(self, worker):
        """A new actor in place of ``worker`` (dead, or in a state not to trust)."""
        import ray

        ray.kill(worker)
        new = self._actor.remote(self.cpus_per_unit)
        self._workers[self._workers.index(worker)] = new
        return new

    def _stop_workers(self) -> None:
        import ray

        for worker in self._workers:
            ray.kill(worker)
        self._workers = []

    def close(self) -> None:
        if self._workers:
            self._stop_workers()
        if self._owned:
            import ray

            ray.shutdown()
            self._owned = False

    def info(self) -> dict:
        return {"executor": self.name, "jobs": None, "intra_op": self.cpus_per_unit, "inter_op": self.cpus_per_unit,
                "address": self.address or "local (127.0.0.1)"}


def _calls(units: Sequence[Unit], workers: int) -> list[list[Unit]]:
    """The calls the actors get: the units of a stacking engine cut into one share per actor
    (the largest first, each to the lightest share; by splits x epochs), then each other unit
    on its own."""
    stacked = [unit for unit in units if stacks(unit)]
    shares: list[list[Unit]] = [[] for _ in range(min(workers, len(stacked)))]
    loads = [0] * len(shares)
    for unit in sorted(stacked, key=_weight, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(unit)
        loads[lightest] += _weight(unit)
    return [sorted(share, key=lambda u: u.index) for share in shares] + [[u] for u in units if not stacks(u)]


def _weight(unit: Unit) -> int:
    return len(unit.splits) * unit.cfg.training.epochs
