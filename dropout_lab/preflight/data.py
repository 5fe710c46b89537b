"""The checks of a config against its data's classes and labels (see :mod:`dropout_lab.preflight`).

Each raises a ``ConfigError`` for what cannot be trained; :func:`check_splits` also returns
warnings (text) for what can but is probably not what was meant:

- :func:`check_output`: the output layer and the loss fit the data's classes, or its
  regression target (``dense(1, linear)`` with ``mse``, ``mae``, ``huber`` or ``log_cosh``);
- :func:`check_inference`: Monte Carlo dropout needs a dropout layer;
- early stopping's validation part (carved from each training part) holds every class;
- the protocol's sizes: k-fold needs at least 2 rows of every class and at most as many
  folds as the smallest class has rows; holdout must leave rows to train and to test on;
- every split the run will train (the same plan the engines use, every repeat): each
  training part must hold every class, each test part at least one row;
- the model's size: the parameters of the model (counted from the config, nothing is
  built) and the memory they need in training must fit the machine (``MAX_TRAINING_BYTES``);
- a regression task: plain k-fold needs at most as many folds as rows; the per-epoch
  history (accuracy curves) and early stopping on ``val_accuracy`` are for classes;
- a warning when ``training.batch_size`` exceeds a training part (each epoch is then one
  full batch; the circles study does this on purpose, as the tutorial does).

:func:`check_splits` is the part that needs only the labels.  Errors name the place that
wrote the value (``source``: a path, or a function of a key path such as
``load_config_sourced`` returns, so that a ``--set`` is blamed, not the file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..config import LOSSES, Experiment, HoldoutConfig
from ..config.inference import MC_DROPOUT_KINDS, mc_dropout_layers
from ..errors import ConfigError, listing
from ..layers import parameter_count
from ..splits import plan, stopping_seed, validation_split

REGRESSION_OUTPUT = (1, "linear")  # the output layer a regression target takes: dense(1, linear)

# Training memory allowed for one config's models at once: a third of a 24 GB, 2-core
# machine, because the machine is shared and Keras needs activations, copies of the data and
# its own bookkeeping beside the weights.  1.5e9 parameters with Adam need ~22 GiB.
MAX_TRAINING_BYTES = 8 * 2**30
BYTES_PER_VALUE = 4  # float32
# values kept per parameter by each optimizer besides the weight and its gradient
_OPTIMIZER_SLOTS: dict[str, Callable] = {
    "sgd": lambda opt: 1 if getattr(opt, "momentum", 0) else 0,
    "adam": lambda opt: 2,
    "rmsprop": lambda opt: 1 + (1 if getattr(opt, "momentum", 0) else 0),
}

Source = str | Path | Callable[[Sequence], str]


def check_splits(cfg: Experiment, y, source: Source, *, classes: Sequence[str] | None = None,
                 input_shape: tuple[int, ...] | None = None) -> list[str]:
    """Check ``cfg``'s protocol, splits and model size against its data's labels ``y`` (class indices).

    Raises ``ConfigError`` (one line naming where the value was written, the key, what was
    expected and what was found); returns warnings.  ``classes`` names the classes in
    messages; ``input_shape`` (one sample's shape) enables the model-size check.
    """
    return planned_splits(cfg, y, source, classes, input_shape)[1]


def planned_splits(cfg: Experiment, y, source: Source, classes=None, input_shape=None,
                   task: str = "classification") -> tuple[list, list[str]]:
    """:func:`check_splits`, also returning the splits the run trains (planned once, here)."""
    y = np.asarray(y)
    if task == "regression":
        split_plan = _regression_splits(cfg, y, source)
    else:
        names = _class_names(y, classes)
        _check_sizes(cfg, y, source, names)
        split_plan = _plan_splits(cfg, y, source)
        for split in split_plan:
            _check_split(cfg, y, split, source, names)
            _check_validation(cfg, y, split, source, names)
    if input_shape is not None:
        _check_model_size(cfg, tuple(input_shape), len(split_plan), source)
    warnings = []
    smallest = min(len(split.train) for split in split_plan)
    if cfg.training.batch_size > smallest:
        warnings.append(
            f"{_where(source, 'training', 'batch_size')}: training.batch_size {cfg.training.batch_size} is larger "
            f"than the smallest training part ({smallest} rows): each epoch is one batch of all its rows"
        )
    return split_plan, warnings


def _regression_splits(cfg: Experiment, y: np.ndarray, source: Source) -> list:
    """The checks of a regression task's protocol (no classes to hold): sizes, then the plan."""
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        _check_sizes(cfg, y, source, {})
    elif ev.n_splits > len(y):
        raise ConfigError(f"{_where(source, 'evaluation', 'n_splits')}: evaluation.n_splits must be an integer in "
                          f"[2, {len(y)}] (the data has {len(y)} rows); got {ev.n_splits}")
    if ev.history:
        raise ConfigError(f"{_where(source, 'evaluation', 'history')}: evaluation.history records accuracy curves, "
                          f"which a regression task has not: expected false; got true")
    stopping = cfg.training.early_stopping
    if stopping is not None and stopping.monitor != "val_loss":
        raise ConfigError(f"{_where(source, 'training', 'early_stopping', 'monitor')}: "
                          f"training.early_stopping.monitor must be val_loss for a regression task; "
                          f"got {stopping.monitor!r}")
    return _plan_splits(cfg, y, source)


def _output_wanted(n_classes: int) -> tuple[int, str, str]:
    """(units, activation, kind) of the output layer for ``n_classes`` classes."""
    return (1, "sigmoid", "binary") if n_classes == 2 else (n_classes, "softmax", "multiclass")


def _show_layer(layer) -> str:
    if layer.type != "dense":
        return f"a {layer.type} layer"
    return f"dense({layer.units}, {layer.activation})"


def check_output(cfg: Experiment, n_classes: int, source: Source, data_name: str = "",
                 task: str = "classification") -> None:
    """The output layer and the loss must fit the data: two classes take ``dense(1, sigmoid)``
    with ``binary_crossentropy``; K > 2 take ``dense(K, softmax)`` with
    ``categorical_crossentropy`` or ``sparse_categorical_crossentropy``; a regression target
    (``task``) takes ``dense(1, linear)`` with ``mse``, ``mae``, ``huber`` or ``log_cosh``.

    Raises :class:`ConfigError` naming ``source``, the key path, the data's classes or
    target and what the config has.
    """
    if task == "regression":
        units, activation, kind = (*REGRESSION_OUTPUT, "regression")
        data = "a regression target" + (f" ({data_name})" if data_name else "")
    else:
        units, activation, kind = _output_wanted(n_classes)
        data = f"the {n_classes} classes in the data" + (f" ({data_name})" if data_name else "")
    layers = cfg.model.layers
    at, last = len(layers) - 1, layers[-1]
    if last.type != "dense" or last.activation != activation:
        raise ConfigError(
            f"{_where(source, 'model', 'layers', at)}: model.layers[{at}] must be the output layer "
            f"dense({units}, {activation}) for {data}; got {_show_layer(last)}"
        )
    if last.units != units:
        why = {"binary": "one unit, p(class 1)", "multiclass": "one unit per class",
               "regression": "one unit, the predicted value"}[kind]
        raise ConfigError(f"{_where(source, 'model', 'layers', at, 'units')}: model.layers[{at}].units must be "
                          f"{units} ({why}) for {data}; got {last.units}")
    if LOSSES[cfg.training.loss] != kind:
        fitting = " or ".join(name for name, k in LOSSES.items() if k == kind)
        hint = " (a regression target? set data.task: regression)" if LOSSES[cfg.training.loss] == "regression" else ""
        raise ConfigError(f"{_where(source, 'training', 'loss')}: training.loss must be {fitting} for {data}; "
                          f"got {cfg.training.loss!r}{hint}")


def _where(source: Source, *loc) -> str:
    return source(list(loc)) if callable(source) else str(source)


def _class_names(y: np.ndarray, classes: Sequence[str] | None) -> dict[int, str]:
    """Each class index present in ``y`` (or named by ``classes``) -> its name."""
    present = sorted({int(v) for v in np.unique(y)} | set(range(len(classes or ()))))
    return {i: (str(classes[i]) if classes is not None and i < len(classes) else str(i)) for i in present}


def _check_sizes(cfg: Experiment, y: np.ndarray, source: Source, names: dict[int, str]) -> None:
    ev = cfg.evaluation
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(len(y))
        if not 1 <= n_train < len(y):
            key, value = ("n_train", ev.n_train) if ev.n_train is not None else ("train_fraction", ev.train_fraction)
            raise ConfigError(
                f"{_where(source, 'evaluation', key)}: evaluation.{key} must leave rows to train on and to test on "
                f"(1 to {len(y) - 1} of {len(y)} rows); got {value}"
            )
        return
    counts = {i: int((y == i).sum()) for i in names}
    smallest = min(counts, key=lambda i: (counts[i], i))
    if counts[smallest] < 2:
        raise ConfigError(
            f"{_where(source, 'data')}: evaluation: k-fold CV needs at least 2 rows of every class; "
            f"class {names[smallest]!r} has {counts[smallest]} (class counts: {_counts_text(counts, names)}); "
            f"use more data or protocol: holdout"
        )
    if ev.n_splits > counts[smallest]:
        raise ConfigError(
            f"{_where(source, 'evaluation', 'n_splits')}: evaluation.n_splits must be an integer in "
            f"[2, {counts[smallest]}] (the smallest class has {counts[smallest]} rows); got {ev.n_splits}"
        )


def _plan_splits(cfg: Experiment, y: np.ndarray, source: Source) -> list:
    """Every split the run of ``cfg`` trains (:func:`dropout_lab.splits.plan`); a protocol the
    labels cannot split is a ``ConfigError`` naming where it was written."""

    try:
        return plan(cfg, y)
    except ValueError as exc:  # e.g. a stratified holdout split with fewer training rows than classes
        raise ConfigError(f"{_where(source, 'evaluation')}: evaluation: {_protocol(cfg, len(y))} cannot be "
                          f"split: {exc}") from None


def _check_split(cfg: Experiment, y: np.ndarray, split, source: Source, names: dict[int, str]) -> None:
    ev = cfg.evaluation
    train = {i: int((y[split.train] == i).sum()) for i in names}
    test = {i: int((y[split.test] == i).sum()) for i in names}
    missing = [names[i] for i, n in train.items() if n == 0]
    if not missing and len(split.test):
        return
    where = f"repeat {split.repeat}" + (f", fold {split.fold}" if ev.protocol != "holdout" else "")
    if missing:
        problem = f"the training part has no rows of class {', '.join(repr(m) for m in missing)}"
    else:
        problem = "the test part has no rows"
    if not ev.shuffle:
        hint = "set evaluation.shuffle: true for a stratified split"
    elif ev.protocol == "holdout":
        hint = "train on more rows (evaluation.n_train or train_fraction)"
    else:
        hint = "use fewer folds (evaluation.n_splits)"
    raise ConfigError(
        f"{_where(source, 'evaluation')}: evaluation: {_protocol(cfg, len(y))}, {where}: {problem} "
        f"(class counts: train {_counts_text(train, names)}; test {_counts_text(test, names)}); "
        f"every training part must hold every class: {hint}"
    )


def _check_validation(cfg: Experiment, y: np.ndarray, split, source: Source, names: dict[int, str]) -> None:
    """Early stopping's validation part must hold a row of every class, and so must the rest."""
    stopping = cfg.training.early_stopping
    if stopping is None:
        return

    try:
        validation_split(split.train, y, stopping.validation_fraction, stopping_seed(split.model_seed))
    except ValueError:
        n = len(split.train)
        k = len({int(v) for v in y[split.train]})
        where = f"repeat {split.repeat}" + (f", fold {split.fold}" if cfg.evaluation.protocol != "holdout" else "")
        raise ConfigError(
            f"{_where(source, 'training', 'early_stopping', 'validation_fraction')}: "
            f"training.early_stopping.validation_fraction must leave at least one row of each of the {k} classes "
            f"in the validation part and in the rest of the training part ({where} trains on {n} rows: "
            f"{stopping.validation_rows(n)} would validate); got {stopping.validation_fraction}"
        ) from None


def check_inference(cfg: Experiment, source: Source, task: str = "classification") -> None:
    """Monte Carlo dropout needs a dropout layer with a rate above 0: without one its
    passes would all equal standard inference (an error, not a warning).  ``tau`` (and
    ``validation_fraction``, where tau is chosen) are for a regression task only."""
    inference = cfg.evaluation.inference
    for key in ("tau", "validation_fraction"):
        if task != "regression" and key in inference.model_fields_set:
            raise ConfigError(f"{_where(source, 'evaluation', 'inference', key)}: evaluation.inference.{key} is "
                              f"for a regression task (Monte Carlo dropout's predictive variance); the data holds "
                              f"classes: expected no {key}; got {getattr(inference, key)}")

    if cfg.evaluation.inference.mc and not mc_dropout_layers(cfg.model.layers):
        raise ConfigError(
            f"{_where(source, 'evaluation', 'inference', 'mode')}: evaluation.inference.mode mc_dropout needs a "
            f"dropout layer ({', '.join(MC_DROPOUT_KINDS)}) with a rate above 0; the model has none, so "
            f"mc_dropout would equal standard inference; got mode 'mc_dropout'"
        )


def _protocol(cfg: Experiment, rows: int) -> str:
    ev = cfg.evaluation
    shuffle = f"shuffle: {'true' if ev.shuffle else 'false'}"
    if isinstance(ev, HoldoutConfig):
        n_train = ev.train_size(rows)
        which = "a stratified random" if ev.shuffle else "the first"
        return f"holdout ({which} {n_train} of {rows} rows train, {shuffle})"
    return f"{ev.n_splits}-fold CV ({shuffle})"


def _counts_text(counts: dict[int, int], names: dict[int, str]) -> str:
    return listing((f"{names[i]} {n}" for i, n in counts.items()), sep=" / ")


def _check_model_size(cfg: Experiment, input_shape: tuple[int, ...], models: int, source: Source) -> None:
    """Refuse a model whose training state cannot fit ``MAX_TRAINING_BYTES``."""
    params, counted = parameter_count(cfg.model.layers, input_shape)
    opt = cfg.training.optimizer
    slots = _OPTIMIZER_SLOTS.get(opt.name, lambda o: 2)(opt)
    at_once = models if cfg.training.engine == "fused" else 1  # the fused engine stacks every model
    need = params * BYTES_PER_VALUE * (2 + slots) * at_once
    if need <= MAX_TRAINING_BYTES:
        return
    at_least = "at least " if counted < len(cfg.model.layers) else ""
    stacked = f" x {at_once} models stacked by the fused engine" if at_once > 1 else ""
    raise ConfigError(
        f"{_where(source, 'model')}: model: {at_least}{params:,} parameters (on {_shape_text(input_shape)} inputs) "
        f"need about {need / 2**30:.1f} GiB to train ({BYTES_PER_VALUE} bytes each for the weights, their "
        f"gradients and {slots} {opt.name} slot{'s' * (slots != 1)}{stacked}), above the "
        f"{MAX_TRAINING_BYTES / 2**30:.0f} GiB this machine allows; use fewer units"
    )


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(shape[0]) if len(shape) == 1 else "x".join(map(str, shape))
