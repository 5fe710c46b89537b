"""A group's program and its arguments: seeds, initial weights, scaled and padded rows,
and every per-model number as a column (see :mod:`.stacking`).

Each task's seed gives, through ``numpy.random.SeedSequence``, its initializer seeds (one
per dense layer), its shuffle key and its dropout key (:func:`seeds`), and apart from
those its Monte Carlo dropout key.  Initial weights come from the config's Keras
initializer seeded per model and layer, biases are zeros.  Rows are padded to a common
length in whole SIMD packets (:func:`.stacking.lanes`) and masked out of the loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
from sklearn.preprocessing import StandardScaler

from ...config import Experiment
from ...layers import LAYERS
from ...layers.options import as_tuple
from . import noise
from . import optimizers as optim
from .forward import WEIGHT_ARRAYS
from .grouping import mc_samples, rows_needed
from .program import build
from .recurrent import GATES
from .stacking import lanes
from .task import Task, is_regression


def seeds(seed: int, n_weighted: int) -> tuple[list[int], int, int]:
    """Initializer seeds per weighted layer (dense, convolution, recurrent), then the
    shuffle key and the dropout key."""
    words = np.random.SeedSequence(int(seed)).generate_state(n_weighted + 2)
    return [int(w) for w in words[:n_weighted]], int(words[-2]), int(words[-1])


def mc_key(seed: int) -> int:
    """Monte Carlo dropout's key, apart from the training streams of :func:`seeds`."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(2,)).generate_state(1)[0])


def _initializer(name: str, seed: int):
    return type(keras.initializers.get(name))(seed=seed)


def _kernel_and_bias(layer, shape: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """A dense or convolution layer: kernel ``[*window, in, out]`` from its initializer, zero bias."""
    out = layer.units if layer.type == "dense" else layer.filters
    window = () if layer.type == "dense" else as_tuple(layer.kernel_size, len(shape) - 1)
    kernel = _initializer(layer.kernel_initializer, seed)((*window, shape[-1], out), dtype="float32")
    return [np.asarray(kernel), np.zeros(out, "float32")]


def _recurrent_weights(layer, shape: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """As Keras builds an LSTM or GRU cell: the kernel from its initializer, the recurrent
    kernel orthogonal, the bias zeros (an LSTM's forget gate ones: ``unit_forget_bias``;
    a GRU's two rows: ``reset_after``)."""
    units, gates = layer.units, GATES[layer.type]
    kernel = _initializer(layer.kernel_initializer, seed)((shape[-1], gates * units), dtype="float32")
    recurrent = keras.initializers.Orthogonal(seed=seed)((units, gates * units), dtype="float32")
    if layer.type == "lstm":
        bias = np.concatenate([np.zeros(units), np.ones(units), np.zeros(2 * units)]).astype("float32")
    else:
        bias = np.zeros((2, gates * units), "float32")
    return [np.asarray(kernel), np.asarray(recurrent), bias]


_INITIAL = {"dense": _kernel_and_bias, "conv1d": _kernel_and_bias, "conv2d": _kernel_and_bias,
            "lstm": _recurrent_weights, "gru": _recurrent_weights}


def _normalization_weights(layer, shape: tuple[int, ...]) -> list[np.ndarray]:
    """As Keras builds ``BatchNormalization``: gamma ones, beta zeros, moving mean zeros,
    moving variance ones (no seed)."""
    ones, zeros = np.ones(shape[-1], "float32"), np.zeros(shape[-1], "float32")
    return [ones, zeros, zeros.copy(), ones.copy()]


_UNSEEDED = {"batch_normalization": _normalization_weights}


def initial_weights(cfg: Experiment, input_shape: int | tuple[int, ...], layer_seeds: list[int]) -> list[np.ndarray]:
    """The weights of the weighted layers in order (kernel, bias; an LSTM's or GRU's
    kernel, recurrent kernel, bias; a batch normalization's gamma, beta, moving mean and
    variance), each kernel layer's from its seed in ``layer_seeds``, for samples of
    ``input_shape`` (an int: flat features)."""
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    weights, layer_seeds = [], iter(layer_seeds)
    for layer in cfg.model.layers:
        if layer.type in _INITIAL:
            weights += _INITIAL[layer.type](layer, shape, next(layer_seeds))
        elif layer.type in _UNSEEDED:
            weights += _UNSEEDED[layer.type](layer, shape)
        shape = LAYERS[layer.type].params(layer, shape)[1]
    return weights


def _scaled(task: Task) -> tuple[np.ndarray, np.ndarray]:
    X_train, X_test = task.X_train.astype("float32"), task.X_test.astype("float32")
    if task.cfg.evaluation.standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train.astype("float32"), X_test.astype("float32")


def target_scale(task: Task) -> tuple[float, float]:
    """``(mean, scale)`` the task's targets are standardized by: a regression task's training
    part's (``evaluation.standardize_target``, scikit-learn's ``StandardScaler``), else ``(0, 1)``."""
    if not (is_regression(task.cfg) and task.cfg.evaluation.standardize_target):
        return 0.0, 1.0
    scaler = StandardScaler().fit(np.asarray(task.y_train, np.float64).reshape(-1, 1))
    return float(scaler.mean_[0]), float(scaler.scale_[0])


def _targets(task: Task, y: np.ndarray) -> np.ndarray:
    mean, scale = target_scale(task)
    return ((np.asarray(y, np.float64) - mean) / scale).astype("float32")


def _padded(arrays: list[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(arrays), length, *arrays[0].shape[1:]), "float32")
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def _sizes(value, n: int) -> tuple[int, ...]:
    return tuple(int(v) for v in as_tuple(value, n))


def _windowed(layer, n: int) -> tuple:
    size = layer.kernel_size if hasattr(layer, "kernel_size") else layer.pool_size
    strides = layer.strides if layer.strides is not None else size
    return _sizes(size, n), _sizes(strides, n), layer.padding


_PLAN = {
    "dense": lambda layer: ("dense", layer.activation, layer.kernel_regularizer is not None),
    "conv1d": lambda layer: ("conv1d", layer.activation, layer.kernel_regularizer is not None, *_windowed(layer, 1)),
    "conv2d": lambda layer: ("conv2d", layer.activation, layer.kernel_regularizer is not None, *_windowed(layer, 2)),
    **{f"{op}_pooling{n}d": (lambda layer, n=n: (layer.type, *_windowed(layer, n)))
       for op in ("max", "average") for n in (1, 2)},
    **{kind: (lambda layer: (layer.type, layer.activation, layer.kernel_regularizer is not None,
                             bool(layer.return_sequences))) for kind in GATES},
    "batch_normalization": lambda layer: (layer.type, float(layer.momentum), float(layer.epsilon)),
}


# the kinds computed one way in graph mode and another under XLA: their entries end with the mode
_BY_MODE = ("conv1d", "conv2d", *(f"{op}_pooling{n}d" for op in ("max", "average") for n in (1, 2)), *GATES)


def layer_plan(cfg: Experiment, input_shape: tuple[int, ...] | None = None, jit: bool = False) -> tuple:
    """The layers as the program sees them (:mod:`.forward`): ("dense", activation,
    penalized), ("conv2d", activation, penalized, window, strides, padding, jit),
    ("max_pooling2d", size, strides, padding, jit), ("lstm", activation, penalized,
    return_sequences, jit), ("batch_normalization", momentum, epsilon),
    ..., or (kind,); first ("reshape", input_shape) when samples have more than one axis."""
    head = (("reshape", tuple(int(n) for n in input_shape)),) if input_shape and len(input_shape) > 1 else ()
    return head + tuple(_PLAN[layer.type](layer) + ((jit,) if layer.type in _BY_MODE else ())
                        if layer.type in _PLAN else (layer.type,) for layer in cfg.model.layers)


def _penalty_factors(cfg: Experiment) -> list[tuple[float, float]]:
    """(l1, l2) of each weighted layer; (0, 0) without a kernel_regularizer."""
    return [(layer.kernel_regularizer.l1, layer.kernel_regularizer.l2) if layer.kernel_regularizer else (0.0, 0.0)
            for layer in cfg.model.layers if layer.type in WEIGHT_ARRAYS]


def _streams(layer) -> list[tuple[float, tuple[float, ...]]]:
    """A layer's random streams as (rate, params) each: a noise layer's level and params;
    a recurrent layer's input dropout per gate, then its recurrent dropout per gate."""
    if layer.type in noise.NOISE:
        return [(noise.level(layer), noise.params(layer))]
    if layer.type not in GATES:
        return []
    gates = GATES[layer.type]
    return [(rate, (1 / (1 - rate),)) for rate in (layer.dropout, layer.recurrent_dropout) for _ in range(gates)]


def _column(values) -> tf.Tensor:
    return tf.constant(np.asarray(values, "float32"))


def prepare(tasks: Sequence[Task], history: bool, initial: list[list[np.ndarray]] | None = None, jit: bool = False,
            rows: tuple[int, int] | None = None):
    """The compiled program of one fusable group and its arguments.

    ``initial`` replaces the seeded initial weights (a list per task of kernel, bias,
    kernel, bias, ...), for tests that compare against Keras from the same weights.
    ``rows`` fixes the rows the training and test parts are padded to (steps x batch, and
    test rows; default: what the group needs).
    """
    cfg0 = tasks[0].cfg
    t0 = cfg0.training
    batch = t0.batch_size
    weighted = [i for i, layer in enumerate(cfg0.model.layers) if layer.type in WEIGHT_ARRAYS]
    input_shape = tasks[0].input_shape or (tasks[0].X_train.shape[1],)
    scaled = [_scaled(task) for task in tasks]
    n_train = np.array([len(task.y_train) for task in tasks], "int32")
    n_test = np.array([len(task.y_test) for task in tasks], "int32")
    needed = rows_needed(n_train, n_test, batch)
    train_rows, test_rows = rows or needed
    if train_rows < needed[0] or train_rows % batch or test_rows < needed[1]:
        raise ValueError(f"rows {rows} do not hold the group's {needed[0]} training rows in batches of {batch} "
                         f"and {needed[1]} test rows")
    steps = train_rows // batch
    keys = [seeds(task.seed, len(weighted)) for task in tasks]
    if initial is None:
        initial = [initial_weights(task.cfg, input_shape, k[0]) for task, k in zip(tasks, keys, strict=True)]
    weights = [tf.constant(np.stack([w[j] for w in initial])) for j in range(len(initial[0]))]
    # per stream, each model's (rate, params): [streams][models]
    streams = list(zip(*([s for layer in task.cfg.model.layers for s in _streams(layer)] for task in tasks),
                       strict=True))
    penalties = [_penalty_factors(task.cfg) for task in tasks]
    max_norms = [[task.cfg.model.layers[i].max_norm for task in tasks] for i in weighted]
    args = dict(
        weights=weights,
        rates=[_column([rate for rate, _ in per_model]) for per_model in streams],
        scales=[tuple(_column(c) for c in zip(*(params for _, params in per_model), strict=True))
                for per_model in streams],
        penalties=[(_column([p[k][0] for p in penalties]), _column([p[k][1] for p in penalties]))
                   for k in range(len(weighted))],
        norm_on=[tf.constant([m is not None for m in ms]) for ms in max_norms],
        norm_max=[_column([m or 0.0 for m in ms]) for ms in max_norms],
        hyper=optim.columns([task.cfg for task in tasks]),
        x_train=tf.constant(_padded([s[0] for s in scaled], lanes(train_rows))),
        y_train=tf.constant(_padded([_targets(t, t.y_train) for t in tasks], lanes(train_rows))),
        n_train=tf.constant(n_train),
        x_test=tf.constant(_padded([s[1] for s in scaled], lanes(test_rows))),
        y_test=tf.constant(_padded([_targets(t, t.y_test) for t in tasks], lanes(test_rows))),
        n_test=tf.constant(n_test),
        shuffle_key=tf.constant(np.array([k[1] for k in keys], "uint32")),
        dropout_key=tf.constant(np.array([k[2] for k in keys], "uint32")),
        mc_key=tf.constant(np.array([mc_key(task.seed) for task in tasks], "uint32")),
        epochs=tf.constant(t0.epochs),
        steps=tf.constant(steps),
    )
    plan = layer_plan(cfg0, input_shape, jit)
    program = build(plan, t0.loss, optim.kind(cfg0), batch, history, jit, mc_samples(cfg0), is_regression(cfg0))
    return program, args
