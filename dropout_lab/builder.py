"""Config → compiled ``keras.Model``.

Lookup tables map the config's names to Keras objects; a name missing from a table
is an error that lists the valid ones (the config schema normally catches it first).
"""

from __future__ import annotations

import keras

from .config import DenseLayer, DropoutLayer, ModelConfig, TrainingConfig
from .errors import ConfigError

OPTIMIZERS = {
    "sgd": keras.optimizers.SGD,
    "adam": keras.optimizers.Adam,
    "rmsprop": keras.optimizers.RMSprop,
}


def _dense(layer: DenseLayer) -> keras.layers.Layer:
    constraint = keras.constraints.MaxNorm(max_value=layer.max_norm) if layer.max_norm else None
    return keras.layers.Dense(
        layer.units,
        activation=layer.activation,
        kernel_initializer=layer.kernel_initializer,
        kernel_constraint=constraint,
    )


def _dropout(layer: DropoutLayer) -> keras.layers.Layer:
    return keras.layers.Dropout(layer.rate)


LAYERS = {"dense": _dense, "dropout": _dropout}


def _lookup(table: dict, name: str, what: str):
    try:
        return table[name]
    except KeyError:
        raise ConfigError(f"unknown {what} {name!r}; valid: {', '.join(table)}") from None


def build_optimizer(training: TrainingConfig) -> keras.optimizers.Optimizer:
    params = training.optimizer.model_dump(exclude={"name"})
    return _lookup(OPTIMIZERS, training.optimizer.name, "optimizer")(**params)


def build_model(model: ModelConfig, training: TrainingConfig, n_features: int) -> keras.Model:
    """A compiled ``keras.Sequential`` for ``n_features`` inputs and a sigmoid output."""
    layers = [keras.Input(shape=(n_features,))]
    layers += [_lookup(LAYERS, layer.type, "layer type")(layer) for layer in model.layers]
    net = keras.Sequential(layers)
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
