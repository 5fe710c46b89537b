"""The checks of a config's model against its data's task (see :mod:`dropout_lab.preflight`).

- :func:`check_output`: the output layer and the loss fit the data's classes, or its
  regression target (``dense(1, linear)`` with ``mse``, ``mae``, ``huber`` or ``log_cosh``);
- :func:`check_inference`: Monte Carlo dropout needs a dropout layer;
- :func:`check_model_size`: the parameters of the model (counted from the config, nothing
  is built) and the memory they need in training must fit the machine (``MAX_TRAINING_BYTES``).

Each raises a ``ConfigError`` naming where the value was written (:mod:`.source`).
"""

from __future__ import annotations

from collections.abc import Callable

from ..config import LOSSES, Experiment
from ..config.inference import MC_DROPOUT_KINDS, mc_dropout_layers
from ..errors import ConfigError
from ..layers import parameter_count
from .source import Source, where

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
            f"{where(source, 'model', 'layers', at)}: model.layers[{at}] must be the output layer "
            f"dense({units}, {activation}) for {data}; got {_show_layer(last)}"
        )
    if last.units != units:
        why = {"binary": "one unit, p(class 1)", "multiclass": "one unit per class",
               "regression": "one unit, the predicted value"}[kind]
        raise ConfigError(f"{where(source, 'model', 'layers', at, 'units')}: model.layers[{at}].units must be "
                          f"{units} ({why}) for {data}; got {last.units}")
    if LOSSES[cfg.training.loss] != kind:
        fitting = " or ".join(name for name, k in LOSSES.items() if k == kind)
        hint = " (a regression target? set data.task: regression)" if LOSSES[cfg.training.loss] == "regression" else ""
        raise ConfigError(f"{where(source, 'training', 'loss')}: training.loss must be {fitting} for {data}; "
                          f"got {cfg.training.loss!r}{hint}")


def check_inference(cfg: Experiment, source: Source, task: str = "classification") -> None:
    """Monte Carlo dropout needs a dropout layer with a rate above 0: without one its
    passes would all equal standard inference (an error, not a warning).  ``tau`` (and
    ``validation_fraction``, where tau is chosen) are for a regression task only."""
    inference = cfg.evaluation.inference
    for key in ("tau", "validation_fraction"):
        if task != "regression" and key in inference.model_fields_set:
            raise ConfigError(f"{where(source, 'evaluation', 'inference', key)}: evaluation.inference.{key} is "
                              f"for a regression task (Monte Carlo dropout's predictive variance); the data holds "
                              f"classes: expected no {key}; got {getattr(inference, key)}")

    if cfg.evaluation.inference.mc and not mc_dropout_layers(cfg.model.layers):
        raise ConfigError(
            f"{where(source, 'evaluation', 'inference', 'mode')}: evaluation.inference.mode mc_dropout needs a "
            f"dropout layer ({', '.join(MC_DROPOUT_KINDS)}) with a rate above 0; the model has none, so "
            f"mc_dropout would equal standard inference; got mode 'mc_dropout'"
        )


def check_model_size(cfg: Experiment, input_shape: tuple[int, ...], models: int, source: Source) -> None:
    """Refuse a model whose training state (``models`` of them at once on the fused engine)
    cannot fit ``MAX_TRAINING_BYTES``."""
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
        f"{where(source, 'model')}: model: {at_least}{params:,} parameters (on {_shape_text(input_shape)} inputs) "
        f"need about {need / 2**30:.1f} GiB to train ({BYTES_PER_VALUE} bytes each for the weights, their "
        f"gradients and {slots} {opt.name} slot{'s' * (slots != 1)}{stacked}), above the "
        f"{MAX_TRAINING_BYTES / 2**30:.0f} GiB this machine allows; use fewer units"
    )


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(shape[0]) if len(shape) == 1 else "x".join(map(str, shape))
