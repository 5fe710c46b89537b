"""The Optuna side of a tune: its storage, sampler and pruner, and how a trial's values are drawn.

The study lives in an RDB storage: a SQLite file in the study's directory
(``OUT/<name>_tune/study.db``) unless ``--storage URL`` names another database.  So a tune
stopped by Ctrl-C or killed resumes where it stopped (finished trials are read back, never
run again), and several ``tune`` processes, on one machine or on machines sharing the
database, can work on one study.  Every running trial sends a heartbeat; a trial whose
process died (no heartbeat for :data:`GRACE_SECONDS`) is marked failed by the next process
that starts a batch, and its values are tried again (Optuna's ``RetryHeartbeatStaleTrialCallback``).

Sampler: TPE (Optuna's default), seeded, with the "constant liar" so that trials asked
together (a batch, or other processes' running trials) are spread out; ``random`` too.
Pruner: Optuna's ``WilcoxonPruner`` on the trial's fold scores (one step per (repeat, fold),
numbered alike in every trial): a trial is stopped when the Wilcoxon signed-rank test says
its scores are worse than the best trial's on the same folds (one-sided p below
:data:`P_THRESHOLD`).
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..config.search_rules import Space
from ..errors import ConfigError
from ..sweep import value_text

P_THRESHOLD = 0.1  # WilcoxonPruner's default: prune when P(as good as the best) < 0.1, one-sided
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 30
MAX_RETRY = 2  # a trial whose process died is tried again at most this often

SAMPLERS: dict[str, Callable[[int, bool], Any]] = {
    "tpe": lambda seed, liar: _optuna().samplers.TPESampler(seed=seed, constant_liar=liar),
    "random": lambda seed, liar: _optuna().samplers.RandomSampler(seed=seed),
}


def _optuna():
    from ..executors import import_extra

    optuna = import_extra("optuna", "tune")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def storage_url(where: Path, storage: str | None) -> str:
    """The user's ``--storage`` URL, else the SQLite file ``where/study.db``."""
    return storage or f"sqlite:///{(where / 'study.db').resolve()}"


def open_study(name: str, url: str | None, *, sampler: str = "tpe", seed: int = 0, prune: bool = True,
               direction: str = "maximize", attrs: Mapping[str, Any] | None = None, fresh: bool = False):
    """The study ``name`` in the storage at ``url`` (None: in memory, for the Python API and tests),
    created if new; ``attrs`` (what the search is: its spaces, config hash, metric) must match
    those of a study already there."""
    optuna = _optuna()
    if sampler not in SAMPLERS:
        raise ConfigError(f"Expected sampler to be one of {', '.join(SAMPLERS)}. Received: sampler={sampler!r}")
    storage = None if url is None else _rdb(optuna, url)
    if fresh and storage is not None:
        with contextlib.suppress(KeyError):
            optuna.delete_study(study_name=name, storage=storage)
    pruner = _quiet(optuna.pruners.WilcoxonPruner, p_threshold=P_THRESHOLD) if prune else optuna.pruners.NopPruner()
    study = optuna.create_study(study_name=name, storage=storage, sampler=SAMPLERS[sampler](seed, True),
                                pruner=pruner, direction=direction, load_if_exists=True)
    saved = study.user_attrs
    for key, value in (attrs or {}).items():
        if key in saved and saved[key] != value:
            raise ConfigError(f"the study {name!r} in {_redact(url)} was started with another {key} "
                              f"({saved[key]!r}, now {value!r}); resume it as it was, or start over with --fresh")
        if key not in saved:
            study.set_user_attr(key, value)
    return study


def _rdb(optuna, url: str):
    """An RDB storage with heartbeats, whose dead trials are tried again."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeats: "experimental" since 2.9
        storage = optuna.storages.RDBStorage(
            url, engine_kwargs={"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None,
            heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS,
            heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY))
    return storage


def suggest(trial, spaces: Mapping[str, Space]) -> dict[str, Any]:
    """The trial's values, drawn from each space (a list's choices as their YAML text, so any value can be one)."""
    values = {}
    for key, space in spaces.items():
        if space.kind == "choice":
            texts = {value_text(choice): choice for choice in space.choices}
            values[key] = texts[trial.suggest_categorical(key, list(texts))]
        elif space.kind == "int":
            values[key] = trial.suggest_int(key, space.low, space.high)
        else:
            values[key] = trial.suggest_float(key, space.low, space.high, log=space.kind == "log")
    return values


def as_params(values: Mapping[str, Any], spaces: Mapping[str, Space]) -> dict[str, Any]:
    """Values as Optuna stores them (a choice as its YAML text), to enqueue a trial."""
    return {key: value_text(value) if spaces[key].kind == "choice" else value for key, value in values.items()}


def ask(study):
    """A new trial (an enqueued one first), with its heartbeat started."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "heartbeat is supposed to be used with optimize": we send it ourselves
        trial = study.ask()
    _beat(study, trial)
    return trial


def _beat(study, trial) -> None:
    from optuna.storages._heartbeat import is_heartbeat_enabled

    if is_heartbeat_enabled(study._storage):
        study._storage.record_heartbeat(trial._trial_id)


@contextlib.contextmanager
def heartbeats(study, trials) -> Iterator[None]:
    """While training: a heartbeat for each of ``trials`` every :data:`HEARTBEAT_SECONDS`."""
    stop = threading.Event()

    def beat():
        while not stop.wait(HEARTBEAT_SECONDS):
            for trial in trials:
                with contextlib.suppress(Exception):  # a trial told meanwhile, a busy database: next beat
                    _beat(study, trial)

    thread = threading.Thread(target=beat, name="dropout-lab-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale(study) -> None:
    """Mark the trials of dead processes failed (their values are enqueued again)."""
    optuna = _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def _quiet(make, **kwargs):
    """An experimental Optuna class without its warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make(**kwargs)


def _redact(url: str | None) -> str:
    from ..tracking import redact

    return redact(url) if url else "memory"
