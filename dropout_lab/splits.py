"""The plan of a run: which models it trains, on which rows, with which seeds.

Repeat 1 splits with ``cfg.seed`` and repeat ``r`` with a seed derived from ``(cfg.seed, r)``;
fold ``k`` trains with a seed derived from ``(split seed, k)``.  The splitter is always explicit, never
scikit-learn's inference: k-fold is a ``StratifiedKFold`` on a classification task and a
plain ``KFold`` on a regression one (the task is the config's ``data.task``: stratification
needs classes); holdout takes the first ``n_train`` rows, or with ``shuffle`` a random split
(stratified for classes).  No TensorFlow here: the checks before training use the same
plan as the engines (see ``preflight``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Experiment, HoldoutConfig


@dataclass(frozen=True, eq=False)
class Split:
    """One model to train: which repeat and fold, its seeds, and its row indices."""

    repeat: int
    fold: int
    split_seed: int
    model_seed: int
    train: np.ndarray
    test: np.ndarray


def derive_seed(seed: int, *keys: int) -> int:
    """A 32-bit seed derived from ``seed`` and a path of keys (numpy's SeedSequence)."""
    return int(np.random.SeedSequence(seed, spawn_key=keys).generate_state(1)[0])


def repeat_seed(seed: int, repeat: int) -> int:
    """The split seed of repeat ``repeat`` (1-based); repeat 1 uses the config's seed itself."""
    return seed if repeat == 1 else derive_seed(seed, 0, repeat)


def splits(cfg: Experiment, y: np.ndarray, split_seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (train, test) index pairs of one repeat of ``cfg``'s protocol.

    k-fold: an explicit ``StratifiedKFold`` (``KFold`` for a regression task) seeded by
    ``split_seed`` (default ``cfg.seed``).  holdout: the first ``n_train`` rows train and the
    rest test, or with ``shuffle`` a random split (stratified for classes) seeded by ``split_seed``.
    """
    from sklearn.model_selection import train_test_split  # scikit-learn: only to split

    ev, seed = cfg.evaluation, cfg.seed if split_seed is None else split_seed
    rows = np.arange(len(y))
    regression = is_regression(cfg)
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not ev.shuffle:
            return [(rows[:n_train], rows[n_train:])]
        train, test = train_test_split(rows, train_size=n_train, stratify=None if regression else y,
                                       random_state=seed)
        return [(np.sort(train), np.sort(test))]
    splitter = kfold(cfg, seed)
    return list(splitter.split(rows.reshape(-1, 1), None if regression else y))


def is_regression(cfg: Experiment) -> bool:
    """Whether ``cfg``'s data poses a regression problem (``data.task``)."""
    return cfg.data.task == "regression"


def kfold(cfg: Experiment, seed: int):
    """The explicit k-fold splitter of ``cfg``: ``StratifiedKFold`` for classes, ``KFold`` for a
    regression target (its splits depend on the row count only)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    ev = cfg.evaluation
    splitter = KFold if is_regression(cfg) else StratifiedKFold
    return splitter(n_splits=ev.n_splits, shuffle=ev.shuffle, random_state=seed if ev.shuffle else None)


def plan(cfg: Experiment, y: np.ndarray) -> list[Split]:
    """Every model a run trains: ``repeats`` x the protocol's splits, each with its seeds."""
    out = []
    for repeat in range(1, cfg.evaluation.repeats + 1):
        split_seed = repeat_seed(cfg.seed, repeat)
        for fold, (train, test) in enumerate(splits(cfg, y, split_seed), start=1):
            out.append(Split(repeat, fold, split_seed, derive_seed(split_seed, fold), train, test))
    return out


def validation_split(train: np.ndarray, y: np.ndarray, fraction: float, seed: int,
                     stratify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Early stopping's (and, for regression with Monte Carlo dropout, tau's) validation rows,
    carved from a split's training rows ``train`` (indices into ``y``): a random ``fraction``
    of them (``ceil(fraction * len(train))`` rows; with ``stratify``, the classes' shares kept
    and at least one row of each class), seeded by ``seed``.  Returns the rows the model fits
    on and the validation rows, each sorted; never a row outside ``train``.  Raises
    ``ValueError`` when the fraction cannot hold a row of each class on both sides."""
    from sklearn.model_selection import train_test_split

    train = np.asarray(train)
    fit, val = train_test_split(train, test_size=fraction, stratify=y[train] if stratify else None,
                                random_state=seed)
    return np.sort(fit), np.sort(val)


def stopping_seed(model_seed: int) -> int:
    """The seed of a fold's early-stopping validation split, derived from its model seed."""
    return derive_seed(model_seed, 1)


def tau_seed(model_seed: int) -> int:
    """The seed of a fold's tau validation split and of the model trained beside it (regression,
    Monte Carlo dropout), derived from its model seed apart from early stopping's."""
    return derive_seed(model_seed, 3)
