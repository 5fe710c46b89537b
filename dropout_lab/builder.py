"""Config → compiled ``keras.Model``.

Layers come from the layer registry (:mod:`dropout_lab.layers`), optimizers from the
lookup table below; a name missing from a table is an error that lists the valid ones
(the config schema normally catches it first).
"""

from __future__ import annotations

import math

import keras

from .config import ModelConfig, TrainingConfig
from .errors import ConfigError
from .layers import LAYERS, build_layer

OPTIMIZERS = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
}

__all__ = ["LAYERS", "OPTIMIZERS", "build_model", "build_optimizer", "layer_table"]


def _lookup(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; valid: {', '.join(table)}") from None


def build_optimizer(training: TrainingConfig) -> keras.optimizers.Optimizer:
    params = training.optimizer.model_dump(exclude={"name"})
    return _lookup(OPTIMIZERS, training.optimizer.name, "optimizer")(**params)


def build_model(model: ModelConfig, training: TrainingConfig, input_shape: tuple[int, ...] | int) -> keras.Model:
    """A compiled ``keras.Sequential`` for samples of ``input_shape`` (an int: flat features).

    The model takes the flat rows a :class:`~dropout_lab.data.Dataset` holds; for samples
    of more than one axis (images, sequences) its first layer reshapes each row to
    ``input_shape``.
    """
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    for layer in model.layers:
        _lookup(LAYERS, layer.type, "layer type")
    head = [keras.Input(shape=shape)]
    if len(shape) > 1:
        head = [keras.Input(shape=(math.prod(shape),)), keras.layers.Reshape(shape)]
    net = keras.Sequential([*head, *(build_layer(layer) for layer in model.layers)])
    net.compile(optimizer=build_optimizer(training), loss=training.loss, metrics=["accuracy"])
    return net


def layer_table(net: keras.Model) -> list[dict]:
    """One row per layer: name, kind, output units, dropout rate, max-norm, parameters."""
    rows = []
    for layer in net.layers:
        constraint = getattr(layer, "kernel_constraint", None)
        rows.append(
            {
                "layer": layer.name,
                "type": type(layer).__name__,
                "units": getattr(layer, "units", ""),
                "activation": getattr(getattr(layer, "activation", None), "__name__", ""),
                "rate": getattr(layer, "rate", ""),
                "max_norm": getattr(constraint, "max_value", ""),
                "params": layer.count_params(),
            }
        )
    return rows
