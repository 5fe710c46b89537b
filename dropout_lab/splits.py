"""The plan of a run: which models it trains, on which rows, with which seeds.

Repeat 1 splits with ``cfg.seed`` and repeat ``r`` with a seed derived from ``(cfg.seed, r)``;
fold ``k`` trains with a seed derived from ``(split seed, k)``.  k-fold is always an
explicit ``StratifiedKFold``; holdout takes the first ``n_train`` rows, or with ``shuffle``
a stratified random split.  No TensorFlow here: the checks before training use the same
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

    k-fold: an explicit ``StratifiedKFold`` seeded by ``split_seed`` (default ``cfg.seed``).
    holdout: the first ``n_train`` rows train and the rest test, or with ``shuffle`` a
    stratified random split seeded by ``split_seed``.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split  # scikit-learn: only to split

    ev, seed = cfg.evaluation, cfg.seed if split_seed is None else split_seed
    rows = np.arange(len(y))
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not ev.shuffle:
            return [(rows[:n_train], rows[n_train:])]
        train, test = train_test_split(rows, train_size=n_train, stratify=y, random_state=seed)
        return [(np.sort(train), np.sort(test))]
    splitter = StratifiedKFold(n_splits=ev.n_splits, shuffle=ev.shuffle, random_state=seed if ev.shuffle else None)
    return list(splitter.split(rows.reshape(-1, 1), y))


def plan(cfg: Experiment, y: np.ndarray) -> list[Split]:
    """Every model a run trains: ``repeats`` x the protocol's splits, each with its seeds."""
    out = []
    for repeat in range(1, cfg.evaluation.repeats + 1):
        split_seed = repeat_seed(cfg.seed, repeat)
        for fold, (train, test) in enumerate(splits(cfg, y, split_seed), start=1):
            out.append(Split(repeat, fold, split_seed, derive_seed(split_seed, fold), train, test))
    return out


def validation_split(train: np.ndarray, y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Early stopping's validation rows, carved from a split's training rows ``train``
    (indices into ``y``): a stratified random ``fraction`` of them (at least one row of each
    class, ``ceil(fraction * len(train))`` rows), seeded by ``seed``.  Returns the rows the
    model fits on and the validation rows, each sorted; never a row outside ``train``.
    Raises ``ValueError`` when the fraction cannot hold a row of each class on both sides."""
    from sklearn.model_selection import train_test_split

    train = np.asarray(train)
    fit, val = train_test_split(train, test_size=fraction, stratify=y[train], random_state=seed)
    return np.sort(fit), np.sort(val)


def stopping_seed(model_seed: int) -> int:
    """The seed of a fold's early-stopping validation split, derived from its model seed."""
    return derive_seed(model_seed, 1)
