"""Progress of a run on stderr: a bar on a terminal, one line per finished fold elsewhere.

On a terminal, a progress bar per config (elapsed, eta, the last fold's test accuracy).
When stderr is not a terminal (``make``, CI, a log file), a bar cannot redraw, so each
finished fold prints one line instead::

    smoke: repeat 1/1, fold 2/3: test accuracy 0.786, elapsed 0:12

``quiet`` prints nothing.
"""

from __future__ import annotations

import contextlib
import sys
import time

import click

from .config import Experiment
from .data import Dataset


def describe(cfg: Experiment, dataset: Dataset) -> str:
    """``smoke: 3-fold CV, 2 epochs, sonar (208 rows)``."""
    ev = cfg.evaluation
    if ev.protocol == "holdout":
        n_train = ev.train_size(len(dataset.y))
        how = f"holdout ({n_train} train / {len(dataset.y) - n_train} test)"
    else:
        how = f"{ev.n_splits}-fold CV"
    times = f" x {ev.repeats} repeats" if ev.repeats > 1 else ""
    return f"{cfg.name}: {how}{times}, {cfg.training.epochs} epochs, {dataset.name} ({len(dataset.y)} rows)"


def fold_line(cfg: Experiment, row: dict, elapsed: float) -> str:
    """One finished fold: the config's name, where in the run, its test accuracy, the time so far."""
    ev = cfg.evaluation
    per_repeat = 1 if ev.protocol == "holdout" else ev.n_splits
    where = f"repeat {row['repeat']}/{ev.repeats}, fold {row['fold']}/{per_repeat}"
    return f"{cfg.name}: {where}: {_score(row)}, elapsed {_clock(elapsed)}"


def _score(row: dict, short: bool = False) -> str:
    """A fold's headline score: ``test accuracy 0.786`` (``test acc``), or ``test RMSE 52.3``."""
    if "test_accuracy" in row:
        return f"test {'acc' if short else 'accuracy'} {row['test_accuracy']:.3f}"
    return f"test RMSE {row['test_rmse']:.4g}"


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@contextlib.contextmanager
def progress(cfg: Experiment, dataset: Dataset, quiet: bool, done: int = 0, stream=None):
    """Yields ``on_fold(row)`` to call as each fold finishes; see the module docstring."""
    stream = stream or sys.stderr
    if quiet:
        yield lambda row: None
        return
    ev = cfg.evaluation
    per_repeat = 1 if ev.protocol == "holdout" else ev.n_splits
    start = time.monotonic()
    if not _is_terminal(stream):
        click.echo(describe(cfg, dataset) + (f"; {done} folds done before" if done else ""), file=stream)
        yield lambda row: click.echo(fold_line(cfg, row, time.monotonic() - start), file=stream)
        return
    last = {}

    def show(_):
        if not last:
            return ""
        where = f"repeat {last['repeat']}/{ev.repeats} " if ev.repeats > 1 else ""
        where += f"fold {last['fold']}/{per_repeat} " if per_repeat > 1 else ""
        return f"{where}{_score(last, short=True)}, elapsed {_clock(time.monotonic() - start)}"

    with click.progressbar(length=ev.repeats * per_repeat, label=describe(cfg, dataset), file=stream,
                           show_eta=True, show_percent=True, item_show_func=show) as bar:
        bar.update(done)

        def on_fold(row):
            last.update(row)
            bar.update(1)

        yield on_fold


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Console:
    """The observer (see ``tracking.Observer``) that prints a command's course: on stdout each
    run's headline, the comparison, each sweep's table and ``--check`` reports; on stderr
    warnings, resuming notes and progress (one bar or fold line per run, see ``progress``).

    ``quiet`` drops the progress (the CLI's ``-q``); ``results=False`` drops everything on
    stdout as well (the Python API's ``quiet``): a failed ``--check`` report then goes to stderr."""

    def __init__(self, quiet: bool = False, stream=None, results: bool = True):
        self.quiet = quiet
        self.stream = stream
        self.results = results
        self._open: dict[int, tuple[contextlib.ExitStack, object]] = {}

    def warning(self, text: str) -> None:
        click.echo(f"Warning: {text}", err=True)

    def run_started(self, run, resumed: int) -> None:
        if resumed and not self.quiet:
            click.echo(f"{run.cfg.name}: resuming, {resumed} finished folds saved in {run.journal.path}", err=True)
        stack = contextlib.ExitStack()
        show = stack.enter_context(progress(run.cfg, run.dataset, self.quiet, resumed, self.stream))
        self._open[id(run)] = (stack, show)

    def fold_finished(self, run, fold) -> None:
        if id(run) in self._open:
            self._open[id(run)][1](fold.row())

    def run_finished(self, run, record) -> None:
        if id(run) in self._open:
            self._open.pop(id(run))[0].close()
        if not self.results:
            return
        if record.reused:
            click.echo(f"{run.cfg.name}: already done, reusing {record.path}")
        from .results import headline

        click.echo(f"{headline(run.cfg.name, record.summary)}  -> {record.path}")

    def comparison_written(self, path, text: str) -> None:
        if not self.results:
            return
        click.echo("")
        click.echo(text, nl=False)
        click.echo(f"-> {path}")

    def sweep_finished(self, sweep, where, texts) -> None:
        if not self.results:
            return
        click.echo("")
        click.echo(texts["sweep.md"], nl=False)
        click.echo(f"-> {where / 'sweep.md'}")

    def checked(self, report: str, ok: bool) -> None:
        if self.results or not ok:
            click.echo(report, nl=False, err=not self.results)

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1][0].close()
