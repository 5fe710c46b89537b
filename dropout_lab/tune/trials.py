"""One batch of a tune's trials, asked from the sampler together and trained through the run's driver.

Each trial's values are drawn (:func:`.study.suggest`), its config made and resolved like a
run's (:func:`dropout_lab.planning.resolve_cell`), and the batch planned by the
:class:`~dropout_lab.driver.Driver` into ``OUT/<name>_tune/trials/``: a trial finished earlier
(killed before it was told) is reused, and folds an interrupted attempt saved in its journal
are not trained again.  :class:`Reporter` reports each fold's score to its trial as it comes
back (the step is the fold's place in the protocol) and asks the pruner; with pruning,
:class:`Waves` trains the batch one split of each trial at a time, so that a pruned trial
trains nothing more.  Then each trial is told: complete (the mean score over its folds),
pruned, or failed (with its error).  A batch stopped by Ctrl-C leaves its running trials
failed and their values enqueued again under the same names, so the next attempt trains
them from their journals.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import DropoutLabError


@dataclass
class Batch:
    """The trials of one batch: Optuna's trial, its name, values and resolved spec."""

    trials: dict = field(default_factory=dict)  # name -> optuna Trial
    values: dict = field(default_factory=dict)  # name -> {key: value}
    steps: dict = field(default_factory=dict)  # name -> {(repeat, fold): step}
    reported: dict = field(default_factory=dict)  # name -> {step: score}
    pruned: set = field(default_factory=set)  # names


class Waves:
    """An executor that trains a batch's units in waves, the next split of every trial not
    pruned, so that a pruned trial trains nothing more; everything else is the executor's."""

    def __init__(self, pool, batch: Batch, driver_runs: Callable[[], list]):
        self.pool, self.batch, self._runs = pool, batch, driver_runs

    def __getattr__(self, name):
        return getattr(self.pool, name)

    def run(self, units, datasets, on_start):
        by_run: dict[int, list] = {}
        for unit in units:
            by_run.setdefault(unit.run, []).append(unit)
        runs = self._runs()
        for wave in itertools.zip_longest(*by_run.values()):
            live = [u for u in wave if u is not None and runs[u.run].cfg.name not in self.batch.pruned]
            if live:
                yield from self.pool.run(live, datasets, on_start)


class Reporter:
    """The observer that reports each fold's score to its trial and asks the pruner."""

    def __init__(self, batch: Batch, metric: str, prune: bool):
        self.batch, self.metric, self.prune = batch, metric, prune

    def report(self, name: str, repeat: int, fold: int, score: float) -> None:
        step = self.batch.steps[name][(repeat, fold)]
        if step in self.batch.reported[name]:
            return
        self.batch.reported[name][step] = float(score)
        trial = self.batch.trials[name]
        trial.report(float(score), step)
        if self.prune and name not in self.batch.pruned and trial.should_prune():
            self.batch.pruned.add(name)

    def fold_finished(self, run, fold) -> None:
        self.report(run.cfg.name, fold.repeat, fold.fold, fold.scores[self.metric])

    def __getattr__(self, name):  # every other observer event: nothing to do
        return lambda *args, **kwargs: None


def run_batch(study, plan, size, prune, metric, trials_dir, pool, observers, datasets, data_dir, warn, say):
    """Ask ``size`` trials, train them as one batch and tell each its outcome (see the module docstring)."""
    from optuna.trial import TrialState

    from ..driver import Driver, RunFailed
    from ..planning import Plan, resolve_cell
    from ..results import prepare_out_dir
    from ..results.locks import run_locks
    from .study import ask, heartbeats, suggest

    batch, specs = Batch(), []
    asked = [ask(study) for _ in range(size)]
    try:
        for trial in asked:
            name = trial.user_attrs.get("name") or f"trial_{trial.number:04d}"
            trial.set_user_attr("name", name)
            values = suggest(trial, plan.spaces)
            trial.set_user_attr("values", values)
            try:
                cfg, source = plan.trial(values, name)
                spec = resolve_cell(plan.path, cfg, source, datasets, data_dir, warn)
            except DropoutLabError as exc:
                _fail(study, trial, str(exc), say)
                continue
            specs.append(spec)
            batch.trials[name], batch.values[name] = trial, values
            batch.steps[name] = {(s.repeat, s.fold): i for i, s in enumerate(spec.splits)}
            batch.reported[name] = {}
            trial.set_user_attr("folds_planned", len(spec.splits))
        if not specs:
            return
        prepare_out_dir(trials_dir)
        reporter = Reporter(batch, metric, prune)
        with heartbeats(study, list(batch.trials.values())), run_locks(trials_dir, list(batch.trials)):
            driver = Driver(trials_dir, None, [*observers, reporter], fresh=False, replace=False, plots=False,
                            split_units=prune)
            driver.pool = Waves(pool, batch, lambda: driver.runs)
            driver.plan(Plan(specs, []))
            for run in driver.runs:  # folds an interrupted attempt saved: reported first
                for key, fold in sorted(run.done.items()):
                    reporter.report(run.cfg.name, *key, fold.scores[metric])
            failure = None
            try:
                driver.execute()
            except RunFailed as exc:
                failure = str(exc)
        for run in driver.runs:
            name = run.cfg.name
            trial = batch.trials[name]
            if run.record is not None:
                for row in run.record.folds.itertuples(index=False):  # a reused run's folds, for the pruner
                    reporter.report(name, row.repeat, row.fold, getattr(row, metric))
                value = float(run.record.folds[metric].mean())
                trial.set_user_attr("folds", len(run.record.folds))
                study.tell(trial, value)
                say(_line(plan, name, batch.values[name], f"{value:.4f} ({len(run.record.folds)} folds)"))
            elif name in batch.pruned:
                done = len(batch.reported[name])
                trial.set_user_attr("folds", done)
                study.tell(trial, state=TrialState.PRUNED)
                if run.journal is not None:
                    run.journal.discard(every_id=True)
                scores = list(batch.reported[name].values())
                say(_line(plan, name, batch.values[name], f"pruned after {done} of {len(batch.steps[name])} folds "
                          f"({sum(scores) / len(scores):.4f} so far)"))
            else:
                _fail(study, trial, failure or "no folds came back", say)
    except BaseException:
        _interrupted(study, asked, plan)
        raise


def _fail(study, trial, error: str, say) -> None:
    from optuna.trial import TrialState

    trial.set_user_attr("error", error[:500])
    study.tell(trial, state=TrialState.FAIL)
    say(f"{trial.user_attrs.get('name', trial.number)}: failed: {error}")


def _interrupted(study, asked, plan) -> None:
    """Trials still running when the batch stopped: failed, and their values enqueued again with
    their names, so the next attempt trains them (from the folds their journals saved)."""
    from optuna.trial import TrialState

    for trial in asked:
        frozen = study._storage.get_trial(trial._trial_id)
        if frozen.state != TrialState.RUNNING:
            continue
        with contextlib.suppress(Exception):
            trial.set_user_attr("interrupted", True)
            study.tell(trial, state=TrialState.FAIL)
            study.enqueue_trial(frozen.params, user_attrs={k: v for k, v in frozen.user_attrs.items()
                                                           if k in ("name", "baseline")})


def _line(plan, name: str, values: dict, outcome: str) -> str:
    from ..sweep import value_text
    from .outputs import shown_value

    shown = ", ".join(f"{plan.labels[k]}={value_text(shown_value(v))}" for k, v in values.items())
    return f"{name}  {shown}: {outcome}"
