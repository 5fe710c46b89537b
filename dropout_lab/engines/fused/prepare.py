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
from . import noise
from . import optimizers as optim
from .grouping import mc_samples, rows_needed
from .program import build
from .stacking import lanes
from .task import Task, is_regression


def seeds(seed: int, n_dense: int) -> tuple[list[int], int, int]:
    """Initializer seeds per dense layer, then the shuffle key and the dropout key."""
    words = np.random.SeedSequence(int(seed)).generate_state(n_dense + 2)
    return [int(w) for w in words[:n_dense]], int(words[-2]), int(words[-1])


def mc_key(seed: int) -> int:
    """Monte Carlo dropout's key, apart from the training streams of :func:`seeds`."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(2,)).generate_state(1)[0])


def initial_weights(cfg: Experiment, n_features: int, layer_seeds: list[int]) -> list[np.ndarray]:
    """Kernel, bias, kernel, bias, ... of the dense layers: each kernel from the layer's
    ``kernel_initializer`` seeded by its seed in ``layer_seeds``, each bias zeros."""
    weights, fan_in = [], n_features
    dense = [layer for layer in cfg.model.layers if layer.type == "dense"]
    for layer, seed in zip(dense, layer_seeds, strict=True):
        init = type(keras.initializers.get(layer.kernel_initializer))(seed=seed)
        weights += [np.asarray(init((fan_in, layer.units), dtype="float32")), np.zeros(layer.units, "float32")]
        fan_in = layer.units
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


def layer_plan(cfg: Experiment) -> tuple:
    """The layers as the program sees them: ("dense", activation, penalized) or (kind,)."""
    return tuple(
        ("dense", layer.activation, layer.kernel_regularizer is not None) if layer.type == "dense" else (layer.type,)
        for layer in cfg.model.layers
    )


def _penalty_factors(cfg: Experiment) -> list[tuple[float, float]]:
    """(l1, l2) of each dense layer; (0, 0) without a kernel_regularizer."""
    return [(layer.kernel_regularizer.l1, layer.kernel_regularizer.l2) if layer.kernel_regularizer else (0.0, 0.0)
            for layer in cfg.model.layers if layer.type == "dense"]


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
    dense = [i for i, layer in enumerate(cfg0.model.layers) if layer.type == "dense"]
    drops = [i for i, layer in enumerate(cfg0.model.layers) if layer.type in noise.NOISE]
    n_features = tasks[0].X_train.shape[1]
    scaled = [_scaled(task) for task in tasks]
    n_train = np.array([len(task.y_train) for task in tasks], "int32")
    n_test = np.array([len(task.y_test) for task in tasks], "int32")
    needed = rows_needed(n_train, n_test, batch)
    train_rows, test_rows = rows or needed
    if train_rows < needed[0] or train_rows % batch or test_rows < needed[1]:
        raise ValueError(f"rows {rows} do not hold the group's {needed[0]} training rows in batches of {batch} "
                         f"and {needed[1]} test rows")
    steps = train_rows // batch
    keys = [seeds(task.seed, len(dense)) for task in tasks]
    if initial is None:
        initial = [initial_weights(task.cfg, n_features, k[0]) for task, k in zip(tasks, keys, strict=True)]
    weights = [tf.constant(np.stack([w[j] for w in initial])) for j in range(2 * len(dense))]
    noise_layers = [[task.cfg.model.layers[i] for task in tasks] for i in drops]
    penalties = [_penalty_factors(task.cfg) for task in tasks]
    max_norms = [[task.cfg.model.layers[i].max_norm for task in tasks] for i in dense]
    args = dict(
        weights=weights,
        rates=[_column([noise.level(layer) for layer in ls]) for ls in noise_layers],
        scales=[tuple(_column(c) for c in zip(*(noise.params(layer) for layer in ls), strict=True))
                for ls in noise_layers],
        penalties=[(_column([p[k][0] for p in penalties]), _column([p[k][1] for p in penalties]))
                   for k in range(len(dense))],
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
    program = build(layer_plan(cfg0), t0.loss, optim.kind(cfg0), batch, history, jit, mc_samples(cfg0),
                    is_regression(cfg0))
    return program, args
