"""What the fused engine trains, and the error that names the first thing it does not.

The layer kinds and their options come from the layer registry (each kind's ``fused``
capability, :mod:`dropout_lab.layers.registry`); the activations and initializers are
the config schema's (:mod:`dropout_lab.types`), each activation computed with Keras'
own op (:data:`.program.ACTIVATIONS`); the output layers and losses are
:data:`.heads.HEADS`, the optimizers and schedules :mod:`.optimizers`.  An option the
engine does not implement is accepted while it holds its schema default (a feature left
off), so a schema that grows does not silently change what the engine trains.
"""

from __future__ import annotations

from ...config import Experiment
from ...data import Dataset
from ...errors import ConfigError
from ...layers import LAYERS, kinds_with
from ...types import INITIALIZERS
from . import optimizers as optim
from .heads import HEADS
from .program import ACTIVATIONS

LAYER_KINDS = kinds_with("fused")  # the layer kinds it trains, in registry order
REFUSED_KINDS = tuple(kind for kind in LAYERS if kind not in LAYER_KINDS)


def _trains() -> str:
    """What it trains, in the shorter of the two lists."""
    if len(REFUSED_KINDS) < len(LAYER_KINDS):
        return f" (it trains every layer type but {', '.join(REFUSED_KINDS)})"
    return f" (it trains {', '.join(LAYER_KINDS)})"
TRAINING_FIELDS = {"optimizer", "loss", "epochs", "batch_size", "engine", "xla"}  # of the training section


def _refuse(where: str, what, why: str = "") -> None:
    raise ConfigError(
        f"{where} {what!r} is not supported by the fused engine{why}; "
        "use the SciKeras engine (`training.engine: scikeras`)"
    )


def _check_fields(section, known: set[str], where: str) -> None:
    for name, info in type(section).model_fields.items():
        value = getattr(section, name)
        if name not in known and value != info.default:
            _refuse(f"{where}.{name} =", value)


def _check_layers(layers) -> None:
    for i, layer in enumerate(layers):
        where = f"model.layers[{i}]"
        if layer.type not in LAYER_KINDS:
            _refuse(f"{where}.type", layer.type, _trains())
        _check_fields(layer, {"type", *LAYERS[layer.type].fused}, where)
        if getattr(layer, "activation", None) is not None and layer.activation not in ACTIVATIONS:
            _refuse(f"{where}.activation", layer.activation)
        if getattr(layer, "kernel_initializer", None) is not None and layer.kernel_initializer not in INITIALIZERS:
            _refuse(f"{where}.kernel_initializer", layer.kernel_initializer)


def check_supported(cfg: Experiment) -> None:
    """Raise :class:`ConfigError` naming the first part of ``cfg`` this engine cannot train."""
    layers = cfg.model.layers
    _check_layers(layers)
    last = layers[-1] if layers else None
    if last is None or last.type != "dense" or not (
            (last.units == 1 and last.activation in ("sigmoid", "linear"))
            or (last.units > 1 and last.activation == "softmax")):
        _refuse("model.layers[-1] =", last and last.model_dump(),
                " (the output must be dense: 1 unit with sigmoid, or K units with softmax; or 1 linear unit "
                "for a regression target)")
    training = cfg.training
    _check_fields(training, TRAINING_FIELDS, "training")
    if training.loss not in HEADS or HEADS[training.loss].activation != last.activation:
        _refuse("training.loss", training.loss, f" with a {last.activation} output")
    opt = training.optimizer
    if opt.name not in optim.FIELDS:
        _refuse("training.optimizer.name", opt.name)
    _check_fields(opt, optim.FIELDS[opt.name], "training.optimizer")
    schedule = optim.kind(cfg)[1]
    if schedule != optim.CONSTANT:
        if schedule not in optim.SCHEDULE_FIELDS:
            _refuse("training.optimizer.learning_rate.schedule", schedule)
        _check_fields(opt.learning_rate, optim.SCHEDULE_FIELDS[schedule], "training.optimizer.learning_rate")


def check(cfg: Experiment, dataset: Dataset) -> None:
    """Raise :class:`ConfigError` naming the first thing this engine cannot train: a part of
    ``cfg`` (see :func:`check_supported`), or samples whose shape a layer does not take
    (each kind's ``needs`` in the layer registry: a dense layer flat rows, a convolution
    images or sequences, ...)."""
    check_supported(cfg)
    shape = tuple(dataset.input_shape)
    for i, layer in enumerate(cfg.model.layers):
        kind = LAYERS[layer.type]
        if kind.needs is not None and len(shape) != len(kind.needs.axes):
            _refuse("data input_shape", tuple(dataset.input_shape),
                    f" (model.layers[{i}] {layer.type!r} takes {kind.needs.describe()}, it would get {shape})")
        shape = kind.params(layer, shape)[1]
