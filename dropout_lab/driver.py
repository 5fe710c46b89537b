"""The driver of one command: it plans its runs' work units and records their folds.

Given the command's :class:`~dropout_lab.planning.Plan`, the driver checks each run's directory,
reuses a finished run of the same config, data and versions (unless ``fresh``), loads the folds
an interrupted attempt saved in the run's :class:`~dropout_lab.journal.Journal`, and turns
what is left into work units (:class:`~dropout_lab.executors.Unit`).  As the executor returns
folds it alone records them: each fold to its run's journal, each run's directory when its
last fold is in, the comparison of the plain configs and each sweep's files when their runs
are done; and it tells the observers (console, tracker) at each step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import interrupt
from .config import Experiment
from .data import Dataset
from .errors import DropoutLabError, listing
from .executors import Unit, cut_units
from .journal import Journal
from .planning import Plan, RunSpec

HINT = "run the same command again to continue from there (--fresh starts over)"


class RunFailed(DropoutLabError):
    """Some units failed after their retries; the other runs were written."""


@dataclass(eq=False)
class Run:
    """One config or sweep cell of the command (resolved once: ``spec``) and its progress."""

    index: int
    spec: RunSpec
    out: Path  # the directory that holds its run directory
    journal: Journal | None = None
    done: dict = field(default_factory=dict)  # folds saved by an earlier attempt
    results: dict = field(default_factory=dict)  # folds trained now
    todo: set = field(default_factory=set)  # (repeat, fold) still to come
    reused: object = None  # the finished SavedRun it reuses
    started: datetime | None = None
    clock: float = 0.0
    failed: bool = False
    record: Record | None = None

    @property
    def cfg(self) -> Experiment:
        return self.spec.cfg

    @property
    def dataset(self) -> Dataset:
        return self.spec.dataset

    @property
    def sweep(self):
        return self.spec.sweep


@dataclass
class Record:
    """A finished run: its fold table and its summary (``results.summarize``, computed once),
    directory, run.json, history; ``reused`` if not trained now."""

    folds: pd.DataFrame
    summary: pd.DataFrame
    path: Path
    info: dict
    history: pd.DataFrame | None = None
    reused: bool = False


class Driver:
    """Plans the runs' units and records their folds as the executor returns them."""

    def __init__(self, out: Path, pool, observers, fresh: bool, replace: bool, plots: bool, split_units: bool = False):
        self.out, self.pool, self.observers = out, pool, observers
        self.fresh, self.replace, self.plots = fresh, replace, plots
        self.split_units = split_units  # one split per unit for every engine (tune's pruning: folds in waves)
        self.runs: list[Run] = []
        self.units: list[Unit] = []
        self.sweeps: list = []  # (sweep, where, its runs)
        self.plain: list[Run] = []
        self.compared = False
        self.failures: list[str] = []

    def _tell(self, event: str, *args) -> None:
        for observer in self.observers:
            getattr(observer, event)(*args)

    def plan(self, plan: Plan) -> None:
        from .results import check_run_dir, prepare_out_dir
        from .sweep import check_sweep_dir

        prepare_out_dir(self.out, [spec.name for spec in plan.plain])
        for spec in plan.plain:
            check_run_dir(self.out / spec.name, spec.cfg, self.replace)
        for sweep, cells in plan.sweeps:
            check_sweep_dir(self.out / sweep.name)
            for spec in cells:
                check_run_dir(self.out / sweep.name / spec.name, spec.cfg, self.replace)
        self.plain = [self._add(spec, self.out) for spec in plan.plain]
        for sweep, cells in plan.sweeps:
            where = prepare_out_dir(self.out / sweep.name)
            self.sweeps.append((sweep, where, [self._add(spec, where) for spec in cells]))

    def _add(self, spec: RunSpec, out: Path) -> Run:
        from .results import find_done

        run = Run(len(self.runs), spec, out)
        self.runs.append(run)
        run.reused = None if self.fresh else find_done(out / spec.name, spec.cfg, spec.dataset.checksum, spec.run_id)
        if run.reused is not None:
            return run
        run.journal = Journal(out, spec.name, spec.run_id)
        if self.fresh:
            run.journal.discard(every_id=True)
        run.done = run.journal.load()
        todo = [split for split in spec.splits if (split.repeat, split.fold) not in run.done]
        run.todo = {(split.repeat, split.fold) for split in todo}
        key = spec.cfg.data.model_dump_json()
        groups = [[split] for split in todo] if self.split_units else cut_units(spec.cfg, todo, self.pool.parallel)
        self.units += [Unit(len(self.units), run.index, spec.cfg, key, tuple(group)) for group in groups]
        return run

    def execute(self) -> None:
        datasets = {unit.data_key: self.runs[unit.run].dataset for unit in self.units}
        for unit, folds, error in self.pool.run(self.units, datasets, self._on_start):
            run = self.runs[unit.run]
            if error is not None:
                run.failed = True
                self.failures.append(f"{unit.label}: {error}")
                continue
            for fold in folds:
                run.journal.append(fold)
                run.results[fold.key] = fold
                run.todo.discard(fold.key)
                self._tell("fold_finished", run, fold)
            interrupt.check()  # an interrupt swallowed (or deferred) while training stops the run here
            if not run.todo and run.record is None:
                self._finish(run)
        self._reach(len(self.runs))
        if self.failures:
            shown = listing(self.failures, limit=5, sep="; ")
            raise RunFailed(f"{len(self.failures)} unit(s) failed after retries: {shown}. The other runs are written "
                            f"and finished folds are saved; {HINT.split(' (')[0]} to retry the rest")

    def _on_start(self, unit: Unit) -> None:
        self._reach(unit.run)
        self._start(self.runs[unit.run])

    def _start(self, run: Run) -> None:
        if run.started is None:
            run.started, run.clock = datetime.now(UTC), time.perf_counter()
            self._tell("run_started", run, len(run.done))

    def _reach(self, index: int) -> None:
        """Finish the runs before ``index`` that have nothing to train (reused, or all in the journal)."""
        for run in self.runs[:index]:
            if run.record is None and not run.todo and not run.failed:
                self._finish(run)

    def _finish(self, run: Run) -> None:
        from .evaluation import assemble
        from .provenance import run_info
        from .results import summarize, write_run

        interrupt.check()
        if run.reused is not None:
            saved = run.reused
            run.record = Record(saved.folds, summarize(saved.folds), saved.path, saved.info, reused=True)
        else:
            self._start(run)
            result = assemble(run.dataset, {**run.done, **run.results})
            info = run_info(run.cfg, run.dataset, len(run.done), self.pool.info(), run.started,
                            time.perf_counter() - run.clock, run.spec.run_id, run.spec.xla)
            summary = summarize(result.folds)
            where = write_run(run.out, run.cfg, result.folds, info, result.history, plots=self.plots,
                              predictions=result.predictions, classes=run.dataset.classes, summary=summary,
                              dataset=run.dataset if run.dataset.is_regression else None)
            run.journal.discard(every_id=True)
            run.record = Record(result.folds, summary, where, info, result.history)
        self._tell("run_finished", run, run.record)
        self._write_groups()

    def _write_groups(self) -> None:
        """The comparison once every plain config is done (none for a command of sweeps only); a
        sweep's files once its cells are."""
        from .results import update_comparison, write_sweep
        from .sweep_tables import sweep_files

        if self.plain and not self.compared and all(run.record is not None for run in self.plain):
            self.compared = True
            comparison = update_comparison(self.out, [run.cfg.name for run in self.plain], plots=self.plots)
            if comparison:
                self._tell("comparison_written", *comparison)
        for sweep, where, cells in list(self.sweeps):
            if all(run.record is not None for run in cells):
                self.sweeps.remove((sweep, where, cells))
                folds = {run.cfg.name: run.record.folds for run in cells}
                checksums = {run.cfg.name: run.dataset.checksum for run in cells}
                texts, figure = sweep_files(sweep, folds, checksums, plots=self.plots)
                write_sweep(where, texts, figure)
                self._tell("sweep_finished", sweep, where, texts)

    def interrupted_message(self) -> str:
        active = [run for run in self.runs if run.started is not None and run.record is None and run.journal]
        if len(active) == 1:
            run = active[0]
            return (f"Interrupted: {len(run.journal.load())} finished folds of {run.cfg.name} are saved in "
                    f"{run.journal.path}; {HINT}.")
        places = sorted({str(run.journal.path.parent) for run in active}) or [str(self.out / ".journal")]
        return f"Interrupted: finished folds are saved under {', '.join(places)}; {HINT}."
