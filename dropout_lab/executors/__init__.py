"""Where work units train: in this process, in local worker processes, or on a Ray cluster.

A :class:`Unit` is one piece of a command's plan (see :mod:`dropout_lab.orchestrate`): some
splits of one config or sweep cell, trained by the config's engine.  An executor takes the
units and yields ``(unit, folds, error)`` as each finishes, in any order; only the driver
that iterates it records anything (journal, run directories, tracking).  Every executor
gives the same numbers: each split's result depends only on (config, data, split).

``local`` (:mod:`.local`)
    one after another in this process (folds streamed as each finishes), except that the
    units of an engine that stacks (fused) are trained by one call: every split of the
    command that shares an architecture is one model of one program;
``processes`` (:mod:`.processes`)
    ``jobs`` loky worker processes (joblib), TensorFlow on one thread in each;
``ray`` (:mod:`.ray_executor`)
    warm Ray actors, one per CPU slot, that import TensorFlow once and train unit after
    unit, each from a fresh Keras session and seeds (:mod:`.ray_worker`); a stacking
    engine's units in one share per actor; the data put into the object store once; a dead
    actor replaced and its units retried.  :mod:`.ray_connect` checks an external cluster's
    address and token before connecting.

:mod:`.base` holds what they share: :class:`Unit`, the errors, and what a worker runs.
"""

from __future__ import annotations

from ..errors import ConfigError
from .base import Event, ExecutorError, ExtraMissing, Unit, cut_units, import_extra, train_unit, train_units
from .local import LocalExecutor
from .processes import ProcessExecutor
from .ray_connect import AUTH_MODE, check_authenticated, check_reachable, use_local_token
from .ray_executor import RayExecutor

# --executor NAME -> what makes it from (jobs, address)
_MAKERS = {
    "local": lambda jobs, address: LocalExecutor(),
    "processes": lambda jobs, address: ProcessExecutor(jobs),
    "ray": lambda jobs, address: RayExecutor(address, num_cpus=jobs if jobs > 1 else None),
}
_EXTRAS = {"ray": "ray"}  # executors that need an optional dependency: the module and its extra
EXECUTORS = tuple(_MAKERS)

__all__ = ["AUTH_MODE", "EXECUTORS", "Event", "ExecutorError", "ExtraMissing", "LocalExecutor", "ProcessExecutor",
           "RayExecutor", "Unit", "check_authenticated", "check_reachable", "cut_units", "import_extra",
           "make_executor", "train_unit", "train_units", "use_local_token"]


def make_executor(name: str | None, jobs: int = 1, address: str | None = None):
    """The executor ``name`` (default: ``processes`` when ``jobs > 1``, else ``local``)."""
    if not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a whole number >= 1; got {jobs!r}")
    name = name or ("processes" if jobs > 1 else "local")
    if name not in _MAKERS:
        raise ConfigError(f"unknown executor {name!r}; valid: {', '.join(EXECUTORS)}")
    if address and name != "ray":
        raise ConfigError(f"--address is a Ray cluster's address: it needs --executor ray (got {name})")
    if name in _EXTRAS:
        import_extra(name, _EXTRAS[name])
    return _MAKERS[name](jobs, address)
