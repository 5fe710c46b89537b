"""``dropout-lab tune``: a search over one config's values with Optuna, trial by trial or a batch at a time.

Every trial is a config cell (:mod:`.search`) resolved and checked like a run's, trained
through the same driver, executor and engine as ``dropout-lab run``, and written as a run
directory (``OUT/<name>_tune/trials/trial_NNNN/``).  A trial's folds are reported to
Optuna one by one (the step is the fold's place in the protocol, the same in every trial),
so a pruner can stop a trial whose paired fold scores are worse than the best trial's.

Which lever pays depends on the engine (:data:`ENGINE_DEFAULTS`):

``scikeras``
    one model per fold, trained one after another (or ``--jobs`` at a time): a pruned trial
    trains no more folds, so pruning is on, and trials are asked one at a time (``--jobs``
    at a time with a parallel executor), each fold of a batch in one wave;
``fused``
    a batch of trials asked from the sampler together trains as one stacked program, every
    fold of every trial at once: batching is the lever (8 trials a batch) and pruning is off,
    since no fold would be spared.  With ``--prune`` the batch trains in waves, one fold of
    each trial per program, and pruned trials leave the later waves.

After the search the winner is re-evaluated honestly (:mod:`.confirm`) and the outputs
written (:mod:`.outputs`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import interrupt
from ..errors import ConfigError, DropoutLabError

# engine -> (trials asked together; 0: the executor's --jobs, and whether pruning is on by default
ENGINE_DEFAULTS = {"scikeras": (0, True), "fused": (8, False)}
TRIALS_DIR = "trials"


class TuneInterrupted(DropoutLabError):
    """A tune stopped by Ctrl-C; ``message`` says how to resume."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def whole(value, what: str, low: int) -> int:
    """``value`` as a whole number >= ``low``, or one error line."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"Expected {what} to be a whole number >= {low}. Received: {what}={value!r}")
    return value


def tune(config: str | Path, out: str | Path = "results", *, search: Sequence[str] = (), trials: int = 20,
         overrides: Sequence[str] = (), seed: int = 0, sampler: str = "tpe", storage: str | None = None,
         batch: int | None = None, prune: bool | None = None, metric: str = "test_accuracy",
         engine: str | None = None, xla: bool | None = None, executor: str | None = None, jobs: int = 1,
         address: str | None = None, data_dir=None, track: str | None = None, tracking_uri: str | None = None,
         experiment: str | None = None, tracking_strict: bool = False, confirm_repeats: int = 3,
         fresh: bool = False, plots: bool = True, quiet: bool = False, echo: Callable[[str], None] | None = None):
    """Search the spaces of ``config`` (its ``search`` section and ``search`` items, ``KEY=SPACE``)
    for ``trials`` trials in all, then re-evaluate the best against the config as written.

    The keywords are ``dropout-lab tune``'s options; ``echo`` receives one line per trial and
    the closing lines (the CLI prints them).  Returns :class:`~dropout_lab.tune.outputs.TuneResult`.
    Raises a ``DropoutLabError`` for bad input before anything trains, :class:`TuneInterrupted`
    on Ctrl-C (the finished trials are in the study; the same command resumes).
    """
    from ..catalog import resolve_configs
    from ..engines.xla_cache import enable as enable_xla_cache
    from ..executors import make_executor
    from ..planning import resolve_cell
    from ..results import prepare_out_dir
    from ..scoring import compare_choices, higher_is_better, score_column
    from ..tracking import make_tracker
    from .search import check_points, plan_search, point_values
    from .study import open_study, storage_url

    say = echo or (lambda text: None)
    whole(trials, "trials", 1)
    whole(confirm_repeats, "confirm_repeats", 0)
    if batch is not None:
        whole(batch, "batch", 1)
    column = score_column(metric)
    if column not in compare_choices():
        raise ConfigError(f"Expected metric to be a score column such as test_accuracy. Received: metric={metric!r}")
    enable_xla_cache()
    path = resolve_configs([config])[0]
    overrides = (*overrides, *([f"training.engine={engine}"] if engine is not None else []),
                 *([f"training.xla={str(xla).lower()}"] if xla is not None else []))
    plan = plan_search(path, overrides, search)
    warnings_seen: set = set()

    def warn(text: str) -> None:
        if text not in warnings_seen:
            warnings_seen.add(text)
            say(f"Warning: {text}")

    datasets: dict = {}
    base_spec = resolve_cell(path, plan.base, plan.trial({}, plan.name)[1], datasets, data_dir, warn)
    for key, values in check_points(plan).items():  # every space's ends on the data too, before training
        for value in values:
            cfg, source = plan.trial(point_values(plan, key, value), "trial_check")
            resolve_cell(path, cfg, source, datasets, data_dir, warn)
    default_batch, default_prune = ENGINE_DEFAULTS[plan.base.training.engine]
    prune = default_prune if prune is None else prune
    batch = batch or default_batch or jobs
    out = Path(out)
    where = prepare_out_dir(out) / f"{plan.name}_tune"
    if fresh:
        import shutil

        shutil.rmtree(where / TRIALS_DIR, ignore_errors=True)
        shutil.rmtree(where / "confirm", ignore_errors=True)
    where.mkdir(exist_ok=True)
    attrs = {"search": plan.spec(), "config_hash": plan.base.config_hash(), "metric": column}
    study = open_study(plan.name, storage_url(where, storage), sampler=sampler, seed=seed, prune=prune,
                       direction="maximize" if higher_is_better(column) else "minimize", attrs=attrs, fresh=fresh)
    _enqueue_baseline(study, plan)
    say(f"{plan.name}: {trials} trials of {', '.join(f'{plan.labels[k]}={s.text()}' for k, s in plan.spaces.items())}"
        f" on the {plan.base.training.engine} engine, {batch} at a time, pruning {'on' if prune else 'off'}; "
        f"study in {where}")
    pool = make_executor(executor, jobs, address)
    tracker = make_tracker(track, tracking_uri, experiment, tracking_strict, warn)
    started = time.perf_counter()
    with interrupt.stop_on_interrupt():
        pool.start()
        if tracker is not None:
            tracker.start()  # strict and unreachable: an error before anything trains
        with contextlib.ExitStack() as stack:
            stack.callback(pool.close)
            observers = _observers(quiet, tracker)
            try:
                _search(study, plan, trials, batch, prune, column, where / TRIALS_DIR, pool, observers, datasets,
                        data_dir, warn, say)
            except (KeyboardInterrupt, Exception) as exc:
                if not (isinstance(exc, KeyboardInterrupt) or interrupt.interrupted()):
                    raise
                interrupt.ignore_further()
                raise TuneInterrupted(f"Interrupted: the finished trials are saved in {storage_url(where, storage)}; "
                                      "run the same command again to continue (--fresh starts over).") from None
            finally:
                for observer in observers:
                    observer.close()
    from .outputs import finish

    return finish(study, plan, base_spec, where, column, time.perf_counter() - started, say, plots=plots,
                  confirm_repeats=confirm_repeats,
                  run_options=dict(executor=executor, jobs=jobs, address=address, data_dir=data_dir, track=track,
                                   tracking_uri=tracking_uri, experiment=experiment,
                                   tracking_strict=tracking_strict, quiet=quiet))


def _observers(quiet: bool, tracker) -> list:
    from ..progress import Console

    return [Console(quiet=True, results=False) if quiet else Console(quiet=False, results=False),
            *([tracker] if tracker is not None else [])]


def _enqueue_baseline(study, plan) -> None:
    """A new study's first trial: the config as written, when its values lie in the spaces."""
    from .study import as_params

    values = plan.baseline_values()
    if values is not None and not study.trials:
        study.enqueue_trial(as_params(values, plan.spaces), user_attrs={"baseline": True})


def counted(study) -> int:
    """Trials that count towards ``--trials``: complete, pruned, or failed for good (not interrupted, not dead)."""
    from optuna.trial import TrialState

    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
               or (t.state == TrialState.FAIL and "error" in t.user_attrs))


def _search(study, plan, trials, batch_size, prune, metric, trials_dir, pool, observers, datasets, data_dir,
            warn, say) -> None:
    from .study import fail_stale
    from .trials import run_batch

    while True:
        fail_stale(study)
        left = trials - counted(study)
        if left <= 0:
            return
        run_batch(study, plan, min(batch_size, left), prune, metric, trials_dir, pool, observers, datasets,
                  data_dir, warn, say)
        interrupt.check()


__all__ = ["ENGINE_DEFAULTS", "TuneInterrupted", "tune"]
