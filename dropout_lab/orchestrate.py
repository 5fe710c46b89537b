"""One command's work as a library: plan it, check it, run it through an executor, record it.

:func:`run_all` is what ``dropout-lab run`` does.  Every config and every sweep cell is a
*run* (it owns ``OUT/<name>/`` or ``OUT/<sweep>/<cell>/``).  All of them are validated and
their data loaded and checked before anything trains or is written.  A finished run of the
same config, data and versions is reused (unless ``fresh``); folds an interrupted attempt
saved in the run's :class:`~dropout_lab.journal.Journal` are not trained again.  What is left
becomes a flat list of work units (:class:`~dropout_lab.executors.Unit`): one split each for
an engine that trains one model per split (SciKeras), a repeat's splits (or, in this process,
all of a run's) for one that stacks them (fused; the local executor then trains all the
command's fused units in one call, one program per architecture).  An executor (:mod:`dropout_lab.executors`)
trains the units and hands back their folds as they finish; the driver (:mod:`dropout_lab.driver`)
alone records them:
it appends each fold to its run's journal, writes each run's directory when its last fold is
in, the comparison of the plain configs and each sweep's files when their runs are done, and
tells the observers (console, tracker; :mod:`dropout_lab.tracking`) at each step.

A unit that fails (after the executor's retries) is reported at the end with its error
(:class:`RunFailed`); the other runs are written and every finished fold stays in its journal.
An interrupt (Ctrl-C) stops at once or at the next fold: :class:`Interrupted` says where the
finished folds are saved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import interrupt
from .catalog import resolve_configs
from .driver import HINT, Driver, Record, RunFailed
from .executors import make_executor
from .planning import RunSpec, resolve
from .results import prepare_out_dir
from .results.locks import run_locks
from .tracking import Observer, make_tracker

__all__ = ["Interrupted", "Outcome", "Record", "RunFailed", "run_all"]


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C; ``message`` says where its finished folds are saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    """What :func:`run_all` did: every run's record (in plan order) and whether ``--check`` passed."""

    records: list[Record]
    ok: bool = True


def run_all(configs: Sequence[str | Path], out: str | Path = "results", *, overrides: Sequence[str] = (),
            sweep: Sequence[str] = (), repeats: int | None = None, engine: str | None = None,
            xla: bool | None = None, data_dir=None,
            executor: str | None = None, jobs: int = 1, address: str | None = None, fresh: bool = False,
            replace: bool = False, plots: bool = True, quiet: bool = False, check: str | Path | None = None,
            track: str | None = None, tracking_uri: str | None = None, experiment: str | None = None,
            tracking_strict: bool = False, observers: list[Observer] | None = None) -> Outcome:
    """Evaluate each config (and each cell of its sweep) and write its results under ``out``.

    The keywords are ``dropout-lab run``'s options.  ``observers`` replace the console
    (default: progress on stderr and results on stdout as the CLI prints them; with ``quiet``,
    nothing on stdout and no progress).  Raises a
    ``DropoutLabError`` for bad input before anything is written, :class:`RunFailed` when
    units failed, :class:`Interrupted` on Ctrl-C.
    """
    from .engines.xla_cache import enable as enable_xla_cache
    from .progress import Console

    enable_xla_cache()  # before TensorFlow's first op: building a model to check shapes reads XLA's flags
    out, configs = Path(out), resolve_configs(configs)  # a shipped study's name, or a path
    observers = [Console(quiet, results=not quiet)] if observers is None else list(observers)
    warned: set = set()

    def warn(text: str) -> None:
        if text not in warned:
            warned.add(text)
            for observer in observers:
                observer.warning(text)

    driver = None
    with interrupt.stop_on_interrupt():
        try:
            pool = make_executor(executor, jobs, address)
            tracker = make_tracker(track, tracking_uri, experiment, tracking_strict, warn)
            overrides = (*overrides, *([f"evaluation.repeats={repeats}"] if repeats is not None else []),
                         *([f"training.engine={engine}"] if engine is not None else []),
                         *([f"training.xla={str(xla).lower()}"] if xla is not None else []))
            plan = resolve(configs, overrides, sweep, data_dir, warn)  # every run resolved once, here
            references = _references(check, plan.plain)
            pool.start()  # e.g. connect to a Ray cluster: fails fast, before anything is written
            with contextlib.ExitStack() as stack:
                stack.callback(pool.close)
                try:
                    if tracker is not None:
                        tracker.start()  # strict and unreachable: an error before anything is written
                        observers.append(tracker)
                    prepare_out_dir(out)  # a file in the way, or no write access: said before any lock is taken
                    stack.enter_context(run_locks(out, plan.names))  # another command writing these runs: refused
                    driver = Driver(out, pool, observers, fresh, replace, plots)
                    driver.plan(plan)
                    driver.execute()
                    interrupt.check()
                    ok = _check_all(out, references, observers)
                finally:
                    for observer in observers:
                        observer.close()
            interrupt.check()
        except (KeyboardInterrupt, Exception) as exc:  # an interrupt can surface as another error
            if not (isinstance(exc, KeyboardInterrupt) or interrupt.interrupted()):
                raise
            interrupt.ignore_further()
            message = driver.interrupted_message() if driver else \
                f"Interrupted: finished folds are saved under {out / '.journal'}; {HINT}."
            raise Interrupted(message) from None
    return Outcome([run.record for run in driver.runs], ok)


def _references(ref_dir, specs: list[RunSpec]) -> dict:
    """For ``check``: each config's reference run, refused before any training if it is missing or differs."""
    if ref_dir is None:
        return {}
    from .check import reference_for

    return {spec.name: reference_for(Path(ref_dir), spec.cfg, spec.dataset.checksum, spec.path) for spec in specs}


def _check_all(out: Path, references: dict, observers) -> bool:
    from .check import check_run, report
    from .results import read_run

    ok = True
    for name, reference in references.items():
        result = check_run(read_run(out / name), reference)
        for observer in observers:
            observer.checked(report(result), result.ok)
        ok = ok and result.ok
    return ok
