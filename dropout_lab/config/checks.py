"""Checks of a config that need its data: run before any training starts."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from .schema import Experiment, HoldoutConfig


def check_against_data(cfg: Experiment, y, source: str | Path) -> None:
    """Checks that need the data: k-fold needs every class in every fold; holdout needs a test part."""
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not 1 <= n_train < len(y):
            key, value = ("n_train", ev.n_train) if ev.n_train is not None else ("train_fraction", ev.train_fraction)
            raise ConfigError(
                f"{source}: evaluation.{key} must leave rows to train on and to test on "
                f"(1 to {len(y) - 1} of {len(y)} rows); got {value}"
            )
        return
    smallest = int(min((y == label).sum() for label in set(y.tolist())))
    if ev.n_splits > smallest:
        raise ConfigError(
            f"{source}: evaluation.n_splits must be an integer in [2, {smallest}] "
            f"(the smallest class has {smallest} rows); got {cfg.evaluation.n_splits}"
        )
