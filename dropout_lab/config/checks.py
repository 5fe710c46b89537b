"""Checks of a config that need its data: run before any training starts.

- :func:`check_output`: the output layer and the loss fit the data's classes;
- :func:`check_against_data`: that, and the protocol fits the data (every class in every
  fold; a holdout leaves rows to test on).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .schema import LOSSES, Experiment, HoldoutConfig


def check_against_data(cfg: Experiment, dataset, source: str | Path) -> None:
    """Every check of ``cfg`` against its loaded ``dataset`` (a :class:`~dropout_lab.data.Dataset`)."""
    check_output(cfg, dataset.n_classes, source, dataset.name)
    _check_protocol(cfg, dataset.y, source)


def _output_wanted(n_classes: int) -> tuple[int, str, str]:
    """(units, activation, kind) of the output layer for ``n_classes`` classes."""
    return (1, "sigmoid", "binary") if n_classes == 2 else (n_classes, "softmax", "multiclass")


def _show_layer(layer) -> str:
    if layer.type != "dense":
        return f"a {layer.type} layer"
    return f"dense({layer.units}, {layer.activation})"


def check_output(cfg: Experiment, n_classes: int, source: str | Path, data_name: str = "") -> None:
    """The output layer and the loss must fit ``n_classes``: two classes take
    ``dense(1, sigmoid)`` with ``binary_crossentropy``; K > 2 take ``dense(K, softmax)`` with
    ``categorical_crossentropy`` or ``sparse_categorical_crossentropy``.

    Raises :class:`ConfigError` naming ``source``, the key path, the number of classes in
    the data and what the config has.
    """
    units, activation, kind = _output_wanted(n_classes)
    data = f"the {n_classes} classes in the data" + (f" ({data_name})" if data_name else "")
    layers = cfg.model.layers
    at, last = len(layers) - 1, layers[-1]
    if last.type != "dense" or last.activation != activation:
        raise ConfigError(
            f"{source}: model.layers[{at}] must be the output layer dense({units}, {activation}) for {data}; "
            f"got {_show_layer(last)}"
        )
    if last.units != units:
        why = "one unit, p(class 1)" if n_classes == 2 else "one unit per class"
        raise ConfigError(f"{source}: model.layers[{at}].units must be {units} ({why}) for {data}; got {last.units}")
    if LOSSES[cfg.training.loss] != kind:
        fitting = " or ".join(name for name, k in LOSSES.items() if k == kind)
        raise ConfigError(f"{source}: training.loss must be {fitting} for {data}; got {cfg.training.loss!r}")


def _check_protocol(cfg: Experiment, y, source: str | Path) -> None:
    """k-fold needs every class in every fold; holdout needs a test part."""
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
    smallest = int(min((y == label).sum() for label in set(np.asarray(y).tolist())))
    if ev.n_splits > smallest:
        raise ConfigError(
            f"{source}: evaluation.n_splits must be an integer in [2, {smallest}] "
            f"(the smallest class has {smallest} rows); got {cfg.evaluation.n_splits}"
        )
