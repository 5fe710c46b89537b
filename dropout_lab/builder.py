"""Config → compiled ``keras.Model``.

Layers come from the layer registry (:mod:`dropout_lab.layers`), optimizers and
learning-rate schedules from the lookup tables below; a name missing from a table is an
error that lists the valid ones (the config schema normally catches it first).
"""

from __future__ import annotations

import math

import keras

from .config import LOSSES, ModelConfig, Schedule, TrainingConfig
from .errors import ConfigError
from .layers import LAYERS, build_layer
from .render import format_shape
from .types import Section

OPTIMIZERS = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
    "nadam": keras.optimizers.Nadam,
    "adamw": keras.optimizers.AdamW,
}
SCHEDULES = {
    "exponential_decay": keras.optimizers.schedules.ExponentialDecay,
    "inverse_time_decay": keras.optimizers.schedules.InverseTimeDecay,
    "cosine_decay": keras.optimizers.schedules.CosineDecay,
    "piecewise_constant": keras.optimizers.schedules.PiecewiseConstantDecay,
}

__all__ = ["LAYERS", "OPTIMIZERS", "SCHEDULES", "build_learning_rate", "build_model", "build_optimizer", "layer_table"]


def _lookup(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; valid: {', '.join(table)}") from None


def build_learning_rate(learning_rate: float | Schedule) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """A float, or the ``keras.optimizers.schedules`` object a schedule section names."""
    if not isinstance(learning_rate, Section):
        return float(learning_rate)  # Keras refuses an int
    params = learning_rate.model_dump(mode="json", exclude={"schedule"})
    return _lookup(SCHEDULES, learning_rate.schedule, "learning-rate schedule")(**params)


def build_optimizer(training: TrainingConfig) -> keras.optimizers.Optimizer:
    """The Keras optimizer ``training.optimizer`` names, with its learning rate or schedule."""
    opt = training.optimizer
    # json mode: numbers as the schema types them (Keras refuses `momentum=0`, an int)
    params = opt.model_dump(mode="json", exclude={"name", "learning_rate"})
    return _lookup(OPTIMIZERS, opt.name, "optimizer")(learning_rate=build_learning_rate(opt.learning_rate), **params)


def build_model(model: ModelConfig, training: TrainingConfig, input_shape: tuple[int, ...] | int) -> keras.Model:
    """A compiled ``keras.Sequential`` taking flat rows of ``prod(input_shape)`` features.

    ``input_shape`` is one sample's shape (an int: flat features).  With more than one
    axis (an image or a sequence) the model reshapes each flat row to it first (row-major,
    as ``numpy.reshape``), so that scaling, splits and engines work on 2-D rows alike.
    """
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(int(n) for n in input_shape)
    for layer in model.layers:
        _lookup(LAYERS, layer.type, "layer type")
    head = [keras.Input(shape=(math.prod(shape),))]
    if len(shape) > 1:
        head.append(keras.layers.Reshape(shape))
    net = keras.Sequential([*head, *(build_layer(layer) for layer in model.layers)])
    # a regression loss reports no accuracy (Keras would count exact equalities)
    metrics = [] if LOSSES[training.loss] == "regression" else ["accuracy"]
    net.compile(optimizer=build_optimizer(training), loss=training.loss, metrics=metrics)
    return net


def _rates(layer) -> float | str:
    """A dropout layer's rate; a recurrent layer's two (``dropout=0.2 recurrent_dropout=0.3``)."""
    if hasattr(layer, "rate"):
        return layer.rate
    rates = [f"{name}={getattr(layer, name)}" for name in ("dropout", "recurrent_dropout") if hasattr(layer, name)]
    return " ".join(rates)


def layer_table(net: keras.Model) -> list[dict]:
    """One row per layer: name, kind, output shape (one sample's), output units, dropout
    rate, max-norm, parameters."""
    rows = []
    for layer in net.layers:
        constraint = getattr(layer, "kernel_constraint", None)
        rows.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "output": format_shape(layer.output.shape[1:]),
                "units": getattr(layer, "units", ""),
                "activation": getattr(getattr(layer, "activation", None), "__name__", ""),
                "rate": _rates(layer),
                "max_norm": getattr(constraint, "max_value", ""),
                "params": layer.count_params(),
            }
        )
    return rows

