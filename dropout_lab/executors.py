"""Where work units train: in this process, in local worker processes, or on a Ray cluster.

A :class:`Unit` is one piece of a command's plan (see :mod:`dropout_lab.orchestrate`): some
splits of one config or sweep cell, trained by the config's engine.  An executor takes the
units and yields ``(unit, folds, error)`` as each finishes, in any order; only the driver
that iterates it records anything (journal, run directories, tracking).  Every executor
gives the same numbers: each split's result depends only on (config, data, split).

``local``
    one after another in this process (folds streamed as each finishes), except that the
    units of an engine that stacks (fused) are trained by one call: every split of the
    command that shares an architecture is one model of one program;
``processes``
    ``jobs`` loky worker processes (joblib), TensorFlow on one thread in each;
``ray``
    plain Ray tasks, one per unit, each in a fresh worker process (``max_calls=1``) with
    TensorFlow's threads matched to the task's CPUs; the data put into the object store
    once; results streamed back with ``ray.wait``; a unit whose worker dies is retried by
    Ray (``max_retries``), one that raises is submitted again up to ``retries`` times, then
    reported with its error while the other units go on.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .config import Experiment
from .data import Dataset
from .errors import ConfigError, DropoutLabError
from .folds import FoldResult, Split

EXECUTORS = ("local", "processes", "ray")
KILL_HOOK = "DROPOUT_LAB_TEST_KILL_WORKER"  # tests: a worker that finds this file removes it and kills itself
AUTH_MODE = "RAY_AUTH_MODE"  # Ray's token authentication: "token" or "disabled"
_REJECTED = {  # why a Ray cluster rejected this client, by the client's RAY_AUTH_MODE
    "token": "rejected the authentication token sent from here",
    "disabled": f"needs an authentication token and {AUTH_MODE}=disabled here sends none",
    "": "needs an authentication token and none was found here"}


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


def train_unit(cfg: Experiment, dataset: Dataset, splits: Sequence[Split], threads: int | None = None) -> list:
    """Train ``splits`` with ``cfg``'s engine; with ``threads``, TensorFlow uses that many
    threads (set before its first op: a worker process's first unit decides)."""
    _test_kill_hook()
    if threads is not None:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TensorFlow already ran in this worker: its setting stays
            pass
    from .engines import get_engine

    return list(get_engine(cfg.training.engine).train(cfg, dataset, list(splits), 1))


def _train_stacked(units: Sequence[Unit], datasets: dict[str, Dataset], on_start) -> Iterator[Event]:
    """Units of an engine that stacks (fused) trained by one ``train_runs`` call: every split
    of the command that shares an architecture is one model of one program."""
    from . import interrupt
    from .engines import get_engine

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


def _test_kill_hook() -> None:
    path = os.environ.get(KILL_HOOK)
    if path:
        try:
            os.unlink(path)
        except OSError:
            return
        os.kill(os.getpid(), signal.SIGKILL)


class LocalExecutor:
    """Each unit in this process, one after another, each fold yielded as it finishes; the
    units of a stacking engine together, by one call (see the module docstring)."""

    name = "local"
    parallel = False

    def __init__(self):
        self.threads = None

    def start(self) -> None:
        pass

    def run(self, units: Sequence[Unit], datasets: dict[str, Dataset], on_start: Callable[[Unit], None]
            ) -> Iterator[Event]:
        from .engines import get_engine

        stacked: dict[str, list[Unit]] = {}  # engine -> its units, trained as one call
        for unit in units:
            if getattr(get_engine(unit.cfg.training.engine), "STACKS", False):
                stacked.setdefault(unit.cfg.training.engine, []).append(unit)
        for unit in units:
            batch = stacked.get(unit.cfg.training.engine)
            if batch:
                if unit is batch[0]:
                    yield from _train_stacked(batch, datasets, on_start)
                continue
            on_start(unit)
            engine = get_engine(unit.cfg.training.engine)
            for fold in engine.train(unit.cfg, datasets[unit.data_key], list(unit.splits), 1):
                yield unit, [fold], None

    def close(self) -> None:
        pass

    def info(self) -> dict:
        import tensorflow as tf

        return {"executor": self.name, "jobs": 1, "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}


class ProcessExecutor(LocalExecutor):
    """Units in ``jobs`` loky worker processes (joblib), one TensorFlow thread each."""

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


class RayExecutor(LocalExecutor):
    """Units as Ray tasks on the cluster at ``address`` (or ``RAY_ADDRESS``), else on a local
    Ray started for the run on 127.0.0.1 with ``num_cpus`` CPUs (default: all)."""

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

    def start(self) -> None:
        ray = import_extra("ray", "ray")
        if ray.is_initialized():  # a cluster the caller connected to (e.g. a test's)
            return
        import logging

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
                raise ExecutorError(f"cannot connect to the Ray cluster at {self.address}: {_first_line(exc)}"
                                    ) from None
        else:
            ray.init(address="local", num_cpus=self.num_cpus or os.cpu_count(), _node_ip_address="127.0.0.1",
                     **kwargs)
        self._owned = True

    def run(self, units, datasets, on_start) -> Iterator[Event]:
        import ray
        from ray.exceptions import RayError

        task = ray.remote(max_calls=1, num_cpus=self.cpus_per_unit, max_retries=self.retries)(_ray_unit)
        refs = {key: ray.put(datasets[key]) for key in {unit.data_key for unit in units}}  # once per dataset
        pending: dict = {}

        def submit(unit, attempt):
            pending[task.remote(unit.cfg, refs[unit.data_key], unit.splits, self.cpus_per_unit)] = (unit, attempt)

        for unit in units:
            on_start(unit)
            submit(unit, 0)
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                unit, attempt = pending.pop(ready[0])
                try:
                    folds = ray.get(ready[0])
                except RayError as exc:
                    if attempt < self.retries:
                        submit(unit, attempt + 1)
                    else:
                        yield unit, [], _first_line(exc)
                    continue
                yield unit, folds, None
        finally:
            for ref in pending:  # interrupted, or the driver stopped: stop the rest
                try:
                    ray.cancel(ref, force=True)
                except Exception:  # noqa: BLE001 - a task that has just finished cannot be cancelled
                    pass

    def close(self) -> None:
        if self._owned:
            import ray

            ray.shutdown()
            self._owned = False

    def info(self) -> dict:
        return {"executor": self.name, "jobs": None, "intra_op": self.cpus_per_unit, "inter_op": self.cpus_per_unit,
                "address": self.address or "local (127.0.0.1)"}


def _ray_unit(cfg, dataset, splits, threads):
    return train_unit(cfg, dataset, splits, threads=threads)


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    text = str(cause if cause is not None else exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def check_reachable(address: str, timeout: float) -> None:
    """Fail fast when nothing listens at ``address`` (``HOST:PORT`` or ``ray://HOST:PORT``)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address must be HOST:PORT (e.g. 10.0.0.5:6379); got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"cannot reach a Ray cluster at {address} within {timeout:g} s: "
                            f"{exc.strerror or exc}; start one with `ray start --head` there, "
                            "or leave out --address to run on a local Ray") from None


def use_local_token() -> None:
    """Send this machine's Ray token when ``RAY_AUTH_MODE`` is unset and a token is here
    (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``): ``ray.init()`` does
    so for a cluster it finds itself, not for an address it is given, while ``ray start
    --head`` turns token authentication on whenever a token is there."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # a Ray without token authentication
        return
    if os.environ.get(AUTH_MODE) is None and AuthenticationTokenLoader.instance().has_token(ignore_auth_mode=True):
        os.environ[AUTH_MODE] = "token"  # for this process and the processes it starts
        Config.initialize("")  # Ray reads its settings once: read them again


def check_authenticated(address: str) -> None:
    """Fail at once when the cluster at ``address`` rejects this client (``ray.init`` would
    try 20 times, a second apart, then raise a ``ConnectionError``)."""
    try:
        from ray._raylet import GcsClient
        from ray.exceptions import AuthenticationError, RayError
    except ImportError:  # a Ray without token authentication
        return
    try:
        with _stderr_discarded():  # Ray's C++ client logs each failed attempt there
            GcsClient(address=address)
    except AuthenticationError:
        why = _REJECTED.get(os.environ.get(AUTH_MODE, "").lower(), _REJECTED[""])
        raise ExecutorError(f"the Ray cluster at {address} {why}; "
                            "put the head's token (`ray get-auth-token` on it) in ~/.ray/auth_token or "
                            "RAY_AUTH_TOKEN here") from None
    except RayError as exc:
        raise ExecutorError(f"no Ray cluster answers at {address}: {_first_line(exc)}") from None


@contextlib.contextmanager
def _stderr_discarded():
    """File descriptor 2 to the null device for a moment (C++ code writes there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_extra(module: str, extra: str):
    """``module``, or one error saying which extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ExtraMissing(f"{module} is not installed; install it with: pip install 'dropout-lab[{extra}]'"
                           ) from None


def make_executor(name: str | None, jobs: int = 1, address: str | None = None):
    """The executor ``name`` (default: ``processes`` when ``jobs > 1``, else ``local``)."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a whole number >= 1; got {jobs!r}")
    name = name or ("processes" if jobs > 1 else "local")
    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor {name!r}; valid: {', '.join(EXECUTORS)}")
    if address and name != "ray":
        raise ConfigError(f"--address is a Ray cluster's address: it needs --executor ray (got {name})")
    if name == "local":
        return LocalExecutor()
    if name == "processes":
        return ProcessExecutor(jobs)
    import_extra("ray", "ray")
    return RayExecutor(address, num_cpus=jobs if jobs > 1 else None)
