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
trains the units and hands back their folds as they finish; the driver alone records them:
it appends each fold to its run's journal, writes each run's directory when its last fold is
in, the comparison of the plain configs and each sweep's files when their runs are done, and
tells the observers (console, tracker; :mod:`dropout_lab.tracking`) at each step.

A unit that fails (after the executor's retries) is reported at the end with its error
(:class:`RunFailed`); the other runs are written and every finished fold stays in its journal.
An interrupt (Ctrl-C) stops at once or at the next fold: :class:`Interrupted` says where the
finished folds are saved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from . import interrupt
from .catalog import resolve_configs
from .config import Experiment, load_config, load_config_sourced
from .data import Dataset, load_dataset
from .errors import ConfigError, DropoutLabError, listing
from .executors import Unit, make_executor
from .journal import Journal
from .preflight import check_against_data
from .results.locks import run_locks
from .shapes import check_shapes
from .tracking import Observer, make_tracker

HINT = "run the same command again to continue from there (--fresh starts over)"


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C; ``message`` says where its finished folds are saved."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RunFailed(DropoutLabError):
    """Some units failed after their retries; the other runs were written."""


@dataclass(eq=False)
class Run:
    """One config or sweep cell of the command and its progress."""

    index: int
    cfg: Experiment
    dataset: Dataset
    out: Path  # the directory that holds its run directory
    sweep: object = None  # its Sweep, for a cell
    journal: Journal | None = None
    done: dict = field(default_factory=dict)  # folds saved by an earlier attempt
    results: dict = field(default_factory=dict)  # folds trained now
    todo: set = field(default_factory=set)  # (repeat, fold) still to come
    reused: object = None  # the finished SavedRun it reuses
    started: datetime | None = None
    clock: float = 0.0
    failed: bool = False
    record: Record | None = None


@dataclass
class Record:
    """A finished run: its fold table, directory, run.json, history; ``reused`` if not trained now."""

    folds: pd.DataFrame
    path: Path
    info: dict
    history: pd.DataFrame | None = None
    reused: bool = False


@dataclass
class Outcome:
    """What :func:`run_all` did: every run's record (in plan order) and whether ``--check`` passed."""

    records: list[Record]
    ok: bool = True


def load_configs(config_files, overrides, data_dir, warn, cache=None) -> list[tuple[Experiment, Dataset]]:
    """Validate every config and load and check its data before any training starts."""
    cache = {} if cache is None else cache
    loaded = []
    for path in config_files:
        cfg, source = load_config_sourced(path, overrides)
        loaded.append((cfg, checked_dataset(cfg, path, cache, data_dir, source, warn)))
    return loaded


def checked_dataset(cfg: Experiment, path: Path, cache: dict, data_dir, source=None, warn=None) -> Dataset:
    """``cfg``'s data (loaded once per data spec), checked against the config, its shapes and its engine."""
    from .engines import get_engine

    key = cfg.data.model_dump_json()
    if key not in cache:
        cache[key] = load_dataset(cfg.data, data_dir)
    dataset = cache[key]
    for text in check_against_data(cfg, dataset, source or path):
        if warn:
            warn(text)
    check_shapes(cfg, dataset.input_shape, source or path)
    try:
        get_engine(cfg.training.engine).check(cfg, dataset)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return dataset


def load_sweeps(config_files, overrides, sweep_items, data_dir, out: Path | None, warn=None,
                replace: bool = False) -> dict:
    """``{config path: (Sweep, each cell's Dataset)}`` for the configs that sweep, every cell
    validated and its data checked before any training.  Names must differ across all
    configs: each owns OUT/<name>/."""
    from .results import check_run_dir
    from .sweep import check_sweep_dir, expand

    found, names, cache = {}, set(), {}
    for path in config_files:
        sweep = expand(path, overrides, sweep_items)
        name = sweep.name if sweep else load_config(path, overrides).name
        if name in names:
            raise ConfigError(f"{path}: name {name!r} is used by more than one config in this run")
        names.add(name)
        if sweep is None:
            continue
        if out is not None:
            check_sweep_dir(out / sweep.name)
            for cell in sweep.cells:
                check_run_dir(out / sweep.name / cell.name, cell.cfg, replace)
        found[path] = (sweep, [checked_dataset(cell.cfg, path, cache, data_dir, cell.source, warn)
                               for cell in sweep.cells])
    return found


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
            sweeps = load_sweeps(configs, overrides, sweep, data_dir, out, warn, replace)
            plain = [path for path in configs if path not in sweeps]
            loaded = load_configs(plain, overrides, data_dir, warn)
            references = _references(check, plain, loaded)
            owned = [cfg.name for cfg, _ in loaded] + [found.name for found, _ in sweeps.values()]
            with run_locks(out, owned):  # another command writing one of these runs: refused here
                pool.start()  # e.g. connect to a Ray cluster: fails fast, before anything is written
                try:
                    if tracker is not None:
                        tracker.start()
                        observers.append(tracker)
                    driver = _Driver(out, pool, observers, fresh, replace, plots)
                    driver.plan(loaded, list(sweeps.values()))
                    driver.execute()
                    interrupt.check()
                    ok = _check_all(out, references, observers)
                finally:
                    pool.close()
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


class _Driver:
    """Plans the runs' units and records their folds as the executor returns them."""

    def __init__(self, out: Path, pool, observers, fresh: bool, replace: bool, plots: bool):
        self.out, self.pool, self.observers = out, pool, observers
        self.fresh, self.replace, self.plots = fresh, replace, plots
        self.runs: list[Run] = []
        self.units: list[Unit] = []
        self.sweeps: list = []  # (sweep, where, its runs)
        self.plain: list[Run] = []
        self.compared = False
        self.failures: list[str] = []

    def _tell(self, event: str, *args) -> None:
        for observer in self.observers:
            getattr(observer, event)(*args)

    def plan(self, loaded, sweeps) -> None:
        from .results import check_run_dir, prepare_out_dir

        prepare_out_dir(self.out, [cfg.name for cfg, _ in loaded])
        for cfg, _ in loaded:
            check_run_dir(self.out / cfg.name, cfg, self.replace)
        self.plain = [self._add(cfg, dataset, self.out) for cfg, dataset in loaded]
        for sweep, datasets in sweeps:
            where = prepare_out_dir(self.out / sweep.name)
            cells = [self._add(cell.cfg, dataset, where, sweep)
                     for cell, dataset in zip(sweep.cells, datasets, strict=True)]
            self.sweeps.append((sweep, where, cells))

    def _add(self, cfg: Experiment, dataset: Dataset, out: Path, sweep=None) -> Run:
        from .engines import get_engine
        from .results import find_done
        from .runner import run_id
        from .splits import plan

        run = Run(len(self.runs), cfg, dataset, out, sweep)
        self.runs.append(run)
        identity = run_id(cfg, dataset)
        run.reused = None if self.fresh else find_done(out / cfg.name, cfg, dataset.checksum, identity)
        if run.reused is not None:
            return run
        run.journal = Journal(out, cfg.name, identity)
        if self.fresh:
            run.journal.discard(every_id=True)
        run.done = run.journal.load()
        todo = [split for split in plan(cfg, dataset.y) if (split.repeat, split.fold) not in run.done]
        run.todo = {(split.repeat, split.fold) for split in todo}
        if getattr(get_engine(cfg.training.engine), "STACKS", False):  # one program: a repeat per unit when spread
            groups = [[s for s in todo if s.repeat == r] for r in dict.fromkeys(s.repeat for s in todo)]
            groups = groups if self.pool.parallel else [todo] if todo else []
        else:
            groups = [[split] for split in todo]
        key = cfg.data.model_dump_json()
        self.units += [Unit(len(self.units), run.index, cfg, key, tuple(group)) for group in groups]
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
        from .results import write_run
        from .runner import assemble, run_info

        interrupt.check()
        if run.reused is not None:
            saved = run.reused
            run.record = Record(saved.folds, saved.path, saved.info, reused=True)
        else:
            self._start(run)
            result = assemble(run.dataset, {**run.done, **run.results})
            info = run_info(run.cfg, run.dataset, len(run.done), self.pool.info(), run.started,
                            time.perf_counter() - run.clock)
            where = write_run(run.out, run.cfg, result.folds, info, result.history, plots=self.plots,
                              predictions=result.predictions, classes=run.dataset.classes)
            run.journal.discard(every_id=True)
            run.record = Record(result.folds, where, info, result.history)
        self._tell("run_finished", run, run.record)
        self._write_groups()

    def _write_groups(self) -> None:
        """The comparison once every plain config is done (none for a command of sweeps only); a
        sweep's files once its cells are."""
        from .results import update_comparison, write_sweep
        from .sweep import sweep_files

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


def _references(ref_dir, config_files, loaded) -> dict:
    """For ``check``: each config's reference run, refused before any training if it is missing or differs."""
    if ref_dir is None:
        return {}
    from .check import reference_for

    return {cfg.name: reference_for(Path(ref_dir), cfg, dataset.checksum, path)
            for path, (cfg, dataset) in zip(config_files, loaded, strict=True)}


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
