"""A fused engine: many small models of one architecture trained as one stacked model.

Every :class:`Task` is one model to train (one fold of one repeat of one sweep cell).
Tasks whose configs share an :func:`architecture_key` and whose data share a feature
count are stacked: a dense layer holds a kernel of shape ``[models, in, out]`` and a bias
of shape ``[models, out]``, and the whole run (every epoch and every step, plus the
evaluation) is one compiled ``tf.function`` with the loops inside it.

What is reproduced from Keras 3 (``keras.Sequential`` + ``fit(shuffle=True)``):

* initial weights from the config's ``kernel_initializer`` (a Keras initializer seeded
  per model and layer) and zero biases;
* every epoch, each model's own training rows in a fresh per-model permutation, cut into
  batches of ``batch_size`` with a final partial batch.  Models may have different
  training sizes: rows are padded to a common length and masked out of the loss, and a
  model with no rows in a step is not touched by that step (weights, optimizer slots and
  Adam's step counter all keep their values);
* the output layer and loss (:data:`~dropout_lab.engines.heads.HEADS`): a ``dense(1, sigmoid)`` output with binary
  cross-entropy, or a ``dense(K, softmax)`` output with categorical or sparse categorical
  cross-entropy; the mean loss over the batch's rows is computed from the output layer's
  logits (``tf.nn.sigmoid_cross_entropy_with_logits``,
  ``tf.nn.softmax_cross_entropy_with_logits`` on one-hot labels,
  ``tf.nn.sparse_softmax_cross_entropy_with_logits``) as Keras 3 does: its sigmoid and
  softmax outputs carry their logits (``_keras_logits``), which its losses use instead of
  clipped probabilities; accuracy as Keras' binary (p > 0.5) or categorical (argmax of the
  probabilities) accuracy;
* dropout as ``keras.layers.Dropout`` (inverted: kept units scaled by ``1/(1-rate)``),
  with a per-model mask and a per-model rate; likewise ``GaussianDropout`` (times noise
  from N(1, rate/(1-rate))), ``GaussianNoise`` (plus noise from N(0, stddev**2)) and
  ``AlphaDropout`` (dropped units set to selu's saturation value, then Keras' affine
  map); ``flatten`` is the identity on the flat rows the engine trains on;
* ``kernel_regularizer`` (L1/L2) penalties added to each model's loss, as Keras adds the
  layers' losses to the compiled loss (and to the loss it reports, validation included);
* the update rules of ``keras.optimizers.SGD`` (momentum, Nesterov), ``Adam`` (bias
  correction folded into the step size, epsilon outside the square root), ``RMSprop``
  (plain, with momentum), ``Nadam`` and ``AdamW``, and the learning-rate schedules of
  ``keras.optimizers.schedules``, with per-model hyper-parameters and per-model step
  counts (:mod:`.optimizers`), followed by ``keras.constraints.MaxNorm`` (axis 0, Keras'
  epsilon 1e-7) on constrained kernels;
* ``StandardScaler`` fitted per model on its own training part when
  ``evaluation.standardize``;
* Monte Carlo dropout (``evaluation.inference.mode: mc_dropout``): after training, the
  test rows go through ``samples`` forward passes with the dropout layers
  (``dropout``, ``gaussian_dropout``, ``alpha_dropout``; not ``gaussian_noise``) drawing
  fresh masks from a per-model key derived from the seed, and the mean probability is the
  prediction (``mc_test_proba``).

Early stopping (``training.early_stopping``) is refused: the SciKeras engine does it.

What is not reproduced: Keras' random streams.  Initial weights come from the Keras
initializers seeded from the task's ``seed``; shuffles and dropout masks from this
module's own counter-based generator keyed by it.  Each model's streams depend only on
its own seed and its own step count, and every array is laid out so that each model's
numbers are computed by the same kernels whatever else is stacked (see :func:`.stacking.lanes`):
a task gives the same bits run to run and alone or in any group (checked on x86 CPUs with
AVX2), though not the numbers of the SciKeras engine.

Use::

    tasks = [Task(cfg, X[tr], y[tr], X[te], y[te], seed=fold_seed(cfg.seed, k))
             for k, (tr, te) in enumerate(splits(cfg, y), start=1)]
    rows = train_tasks(tasks)            # one dict of scores per task, in order

or, as an engine (:mod:`dropout_lab.engines.base`), ``train(cfg, dataset, splits)``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from sklearn.preprocessing import StandardScaler

from .. import scoring
from ..config import Experiment
from ..data import Dataset
from ..errors import ConfigError
from ..folds import FoldResult, Split, fold_result
from . import optimizers as optim
from .base import supports_of
from .heads import HEADS
from .program import ACTIVATIONS, NOISE, SELU_ALPHA, SELU_SCALE, trace_count  # noqa: F401  (public here too)
from .program import build as _program
from .stacking import lanes as _lanes
from .xla_cache import enable as _enable_xla_cache

NAME = "fused"
_log = logging.getLogger(__name__)
STACKS = True  # trains many splits as one program: train_runs takes a whole command's runs

tf.config.experimental.enable_op_determinism()
_enable_xla_cache()  # before this process's first XLA compile (see .xla_cache)

HISTORY_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]

_INITIALIZERS = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal")
# What the engine implements, section by section; keys beyond these must hold their
# schema default (a feature left off), otherwise the config is refused.
_FIELDS = {
    "dense": {"type", "units", "activation", "max_norm", "kernel_initializer", "kernel_regularizer"},
    "dropout": {"type", "rate"},
    "gaussian_dropout": {"type", "rate"},
    "alpha_dropout": {"type", "rate"},
    "gaussian_noise": {"type", "stddev"},
    "flatten": {"type"},
    "training": {"optimizer", "loss", "epochs", "batch_size", "engine", "xla"},
}
_LAYER_KINDS = ("dense", *NOISE, "flatten")


@dataclass(frozen=True, eq=False)
class Task:
    """One model to train: a config, its train/test rows (labels: class indices 0..K-1,
    K the output layer's units, 2 for a sigmoid output) and a seed.

    ``seed`` (any non-negative integer) fixes the model's initial weights, shuffles and
    dropout masks.  Features are used as given, standardized first when
    ``cfg.evaluation.standardize``.
    """

    cfg: Experiment
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    seed: int


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


def check_supported(cfg: Experiment) -> None:
    """Raise :class:`ConfigError` naming the first part of ``cfg`` this engine cannot train."""
    layers = cfg.model.layers
    for i, layer in enumerate(layers):
        where = f"model.layers[{i}]"
        if layer.type not in _LAYER_KINDS:
            _refuse(f"{where}.type", layer.type, f" (it trains {', '.join(_LAYER_KINDS)})")
        _check_fields(layer, _FIELDS[layer.type], where)
        if layer.type == "dense":
            if layer.activation not in ACTIVATIONS:
                _refuse(f"{where}.activation", layer.activation)
            if layer.kernel_initializer not in _INITIALIZERS:
                _refuse(f"{where}.kernel_initializer", layer.kernel_initializer)
    last = layers[-1] if layers else None
    if last is None or last.type != "dense" or not (
            (last.units == 1 and last.activation == "sigmoid") or (last.units > 1 and last.activation == "softmax")):
        _refuse("model.layers[-1] =", last and last.model_dump(),
                " (the output must be dense: 1 unit with sigmoid, or K units with softmax)")
    training = cfg.training
    _check_fields(training, _FIELDS["training"], "training")
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
    ``cfg`` (see :func:`check_supported`), or samples that are not flat rows."""
    check_supported(cfg)
    if len(dataset.input_shape) != 1:
        _refuse("data input_shape", dataset.input_shape, " (dense nets on flat rows only)")


supports = supports_of(check)  # whether check(cfg, dataset) passes


def train(cfg: Experiment, dataset: Dataset, splits: Sequence[Split], jobs: int = 1) -> Iterator[FoldResult]:
    """Every split as one model of one stacked program (or a few, see :func:`train_runs`;
    ``jobs`` is not used: the program uses TensorFlow's threads); each program's folds come
    when it is done."""
    for _, folds in train_runs([(cfg, dataset, splits)]):
        yield from folds


def train_runs(runs: Sequence[tuple[Experiment, Dataset, Sequence[Split]]]) -> Iterator[tuple[int, list[FoldResult]]]:
    """Train the splits of many runs (configs, sweep cells) at once: every split whose run
    shares an :func:`architecture_key`, a feature count, an XLA mode (:func:`use_xla`, per
    run) and whether it records history is one model of one program, whatever run it
    belongs to (a group too big for one program, see :data:`MAX_PROGRAM_BYTES` and
    :data:`MAX_PROGRAM_WORK`, is cut into a few).  Yields ``(index of the run in runs,
    folds)`` for each run with folds in a program, as each program finishes, folds in
    (repeat, fold) order.  A run's folds are the ones it would get trained alone."""
    tasks, owners, modes = [], [], []
    for r, (cfg, dataset, splits) in enumerate(runs):
        check(cfg, dataset)
        X, y = dataset.X.astype("float32"), dataset.y
        jit = use_xla(cfg, dataset)
        # XLA compiles a program for its padded widths, and its rounding depends on them: an
        # XLA run keeps the widths it has alone and is stacked only with runs of the same widths
        rows = _run_rows(cfg, dataset) if jit and splits else None
        mode = (jit, cfg.evaluation.history, rows)
        for s in splits:
            tasks.append(Task(cfg, X[s.train], y[s.train], X[s.test], y[s.test], s.model_seed))
            owners.append((r, s))
            modes.append(mode)
    for r, (_, _, splits) in enumerate(runs):
        if not splits:
            yield r, []
    for members, rows in _grouped(tasks, modes):
        folds: dict[int, list[FoldResult]] = {}
        for i, out in zip(members, rows, strict=True):
            r, split = owners[i]
            folds.setdefault(r, []).append(_fold_result(split, runs[r][1], tasks[i].cfg, out))
        for r, done in folds.items():
            yield r, sorted(done, key=lambda f: f.key)


def _run_rows(cfg: Experiment, dataset: Dataset) -> tuple[int, int]:
    """The rows a run's program pads its parts to, from its whole plan (so that a resumed
    run or a repeat trained on its own keeps them): (steps x batch, test rows)."""
    from ..splits import plan

    splits = plan(cfg, dataset.y)
    return _rows_needed([len(s.train) for s in splits], [len(s.test) for s in splits], cfg.training.batch_size)


def _rows_needed(n_train, n_test, batch: int) -> tuple[int, int]:
    """The rows parts of these sizes are padded to: the longest training part in whole
    batches (steps x batch), and the longest test part."""
    return -(-int(max(n_train)) // batch) * batch, int(max(n_test))


def _fold_result(split: Split, dataset: Dataset, cfg: Experiment, out: dict) -> FoldResult:
    history = None
    if cfg.evaluation.history:
        history = out["history"].rename(columns=_HISTORY_NAMES).assign(repeat=split.repeat, fold=split.fold)
    return fold_result(split, dataset, out["train_proba"], out["test_proba"], out["fit_seconds"], history,
                       bins=cfg.evaluation.calibration_bins, mc_proba_test=out.get("mc_test_proba"))


# ``training.xla: auto`` compiles with XLA when a run's work (models x training rows x
# epochs x weights per model) reaches this; measured on 2 cores (README, "XLA").
XLA_AUTO_WORK = 1e9


def program_work(cfg: Experiment, dataset: Dataset) -> float:
    """A run's training work as ``auto`` weighs it: models (every planned split) x training
    rows per model x epochs x weights per model."""
    from ..splits import plan

    return _work(cfg, sum(len(s.train) for s in plan(cfg, dataset.y)), dataset.n_features)


def _work(cfg: Experiment, rows: int, n_in: int) -> float:
    """Training rows (summed over models) x epochs x weights per model."""
    return float(rows * cfg.training.epochs * _n_weights(cfg, n_in))


def _n_weights(cfg: Experiment, n_in: int) -> int:
    total = 0
    for layer in cfg.model.layers:
        if layer.type == "dense":
            total += (n_in + 1) * layer.units
            n_in = layer.units
    return total


def use_xla(cfg: Experiment, dataset: Dataset) -> bool:
    """Whether a run of ``cfg`` on ``dataset`` compiles with XLA: ``training.xla``, with
    ``auto`` resolved by the run's whole plan (so a resumed run keeps its mode)."""
    xla = cfg.training.xla
    if xla == "auto":
        return program_work(cfg, dataset) >= XLA_AUTO_WORK
    return bool(xla)


_HISTORY_NAMES = {"loss": "train_loss", "accuracy": "train_accuracy", "val_loss": "test_loss",
                  "val_accuracy": "test_accuracy"}


def n_classes(cfg: Experiment) -> int:
    """The number of classes the output layer predicts: 2 for one sigmoid unit, else its units."""
    units = cfg.model.layers[-1].units
    return 2 if units == 1 else units


def architecture_key(cfg: Experiment) -> tuple:
    """Tasks with equal keys (and equal feature counts) can be trained as one stack.

    The key holds what shapes the program: layer kinds, units, activations and whether
    a kernel is penalized, the loss, the optimizer's kind and its learning-rate schedule's
    kind (or constant), epochs and batch size.  Dropout rates, noise levels, penalty
    factors, max-norm values (or none), initializers, optimizer and schedule
    hyper-parameters, standardization, seeds and data may differ.
    """
    layers = tuple(
        ("dense", layer.units, layer.activation, layer.kernel_regularizer is not None) if layer.type == "dense"
        else (layer.type,)
        for layer in cfg.model.layers
    )
    t = cfg.training
    return (layers, t.loss, optim.kind(cfg), t.epochs, t.batch_size, _mc_samples(cfg))


def _mc_samples(cfg: Experiment) -> int:
    """Monte Carlo dropout's passes over the test rows; 0 for standard inference."""
    inference = cfg.evaluation.inference
    return inference.samples if inference.mc else 0


def train_tasks(tasks: Sequence[Task], history: bool = False, jit: bool = False) -> list[dict]:
    """Train every task and score it; one dict per task, in the order given.

    Tasks are grouped by :func:`architecture_key` and feature count; each group is one
    compiled program (or a few, see :data:`MAX_PROGRAM_WORK`).  Each dict holds the
    scores of :func:`dropout_lab.scoring.score_split` (``train_accuracy`` on the whole
    training part, dropout off, ``test_accuracy``, ``test_loss``, ...), ``train_proba``
    and ``test_proba`` (``(n, K)`` predicted probabilities), with Monte Carlo dropout
    ``mc_test_proba`` (the mean over its passes), ``n_train``, ``n_test``, ``fit_seconds``
    (its program's training time divided by its size; ``group_seconds`` is the whole) and, when
    ``history``, a ``history`` DataFrame of :data:`HISTORY_COLUMNS`: per epoch the mean
    training loss and accuracy over its batches (training mode, before each update, as
    ``fit`` reports them) and the test part's loss and accuracy after the epoch (as
    ``fit``'s ``validation_data``).  A task's numbers depend on its config, data and seed
    only: the same run to run, and the same alone or with any other tasks.

    ``jit`` compiles each group with XLA: seconds of compiling, then about twice as fast
    (worth it for long runs and big groups).  XLA rounds differently, so its numbers are
    their own: equal to ``jit=False`` ones to float rounding, which long runs amplify.
    """
    rows: list[dict | None] = [None] * len(tasks)
    for members, out in _grouped(tasks, [(jit, history, None)] * len(tasks)):
        for i, row in zip(members, out, strict=True):
            rows[i] = row
    return rows


# A group is cut into programs (chunks of about equal size; a model's numbers do not
# depend on the chunk it is in) so that each program's arrays stay under MAX_PROGRAM_BYTES
# and its work (see program_work) under MAX_PROGRAM_WORK: about 15 s with XLA and 45 s in
# graph mode on 2 cores, so Ctrl-C and the journal see every program's folds soon.
MAX_PROGRAM_BYTES = 2**30
MAX_PROGRAM_WORK = 5e10
_calls = 0  # programs run in this process: see call_count


def call_count() -> int:
    """How many stacked programs this process has run (one per group or chunk of models)."""
    return _calls


def _grouped(tasks: Sequence[Task], modes: Sequence[tuple]) -> Iterator[tuple[list[int], list[dict]]]:
    """Train ``tasks`` group by group (``modes``: each task's (jit, history, padded rows or
    None)); yields each group's (or chunk's) task indices with their result dicts, groups
    in order of first task."""
    for cfg in {id(task.cfg): task.cfg for task in tasks}.values():  # once per config, not per split
        check_supported(cfg)
    for i, task in enumerate(tasks):
        _check_data(task, i)
    groups: dict[tuple, list[int]] = {}
    for i, task in enumerate(tasks):
        groups.setdefault((architecture_key(task.cfg), task.X_train.shape[1], *modes[i]), []).append(i)
    for (*_, jit, history, rows), members in groups.items():
        for chunk in _chunks(members, [tasks[i] for i in members]):
            yield chunk, _train_group([tasks[i] for i in chunk], history, jit=jit, rows=rows)[0]


def _chunks(members: list[int], tasks: Sequence[Task]) -> list[list[int]]:
    """``members`` cut into the fewest chunks of about equal size (two sizes at most: two
    traced shapes) whose bytes and work stay under the limits."""
    per_model = max(max(_task_bytes(t) / MAX_PROGRAM_BYTES,
                        _work(t.cfg, len(t.y_train), t.X_train.shape[1]) / MAX_PROGRAM_WORK) for t in tasks)
    n = min(len(members), max(1, math.ceil(len(members) * per_model)))
    size = math.ceil(len(members) / n)
    return [members[start : start + size] for start in range(0, len(members), size)]


def _task_bytes(task: Task) -> int:
    """About what one model adds to its program's arrays: its rows (padded) with the
    activations of a forward pass over them, its weights with their gradients and
    optimizer slots."""
    n_in = task.X_train.shape[1]
    rows = _lanes(len(task.y_train) + task.cfg.training.batch_size) + _lanes(len(task.y_test))
    units = sum(layer.units for layer in task.cfg.model.layers if layer.type == "dense")
    return 4 * (rows * (n_in + 1 + units) + 6 * _n_weights(task.cfg, n_in))


# --- preparing a group ---

def _check_data(task: Task, i: int) -> None:
    for part, X, y in (("train", task.X_train, task.y_train), ("test", task.X_test, task.y_test)):
        if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
            raise ValueError(f"task {i}: X_{part} must be 2-D and y_{part} 1-D of the same non-zero length; "
                             f"got shapes {X.shape} and {y.shape}")
        K = n_classes(task.cfg)
        if not np.isin(y, np.arange(K)).all():
            raise ValueError(f"task {i}: y_{part} must hold class indices 0..{K - 1} only")
    if task.X_train.shape[1] != task.X_test.shape[1]:
        raise ValueError(f"task {i}: X_train has {task.X_train.shape[1]} features, X_test {task.X_test.shape[1]}")


def _mc_key(seed: int) -> int:
    """Monte Carlo dropout's key, apart from the training streams of :func:`_seeds`."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(2,)).generate_state(1)[0])


def _seeds(seed: int, n_dense: int) -> tuple[list[int], int, int]:
    """Initializer seeds per dense layer, then the shuffle key and the dropout key."""
    words = np.random.SeedSequence(int(seed)).generate_state(n_dense + 2)
    return [int(w) for w in words[:n_dense]], int(words[-2]), int(words[-1])


def _initial_weights(cfg: Experiment, n_features: int, seeds: list[int]) -> list[np.ndarray]:
    weights, fan_in = [], n_features
    dense = [layer for layer in cfg.model.layers if layer.type == "dense"]
    for layer, seed in zip(dense, seeds, strict=True):
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


def _padded(arrays: list[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(arrays), length, *arrays[0].shape[1:]), "float32")
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


def _layer_plan(cfg: Experiment) -> tuple:
    """The layers as the program sees them: ("dense", activation, penalized) or (kind,)."""
    return tuple(
        ("dense", layer.activation, layer.kernel_regularizer is not None) if layer.type == "dense" else (layer.type,)
        for layer in cfg.model.layers
    )


def _noise_params(layer) -> tuple[float, ...]:
    """A noise layer's per-model numbers, each computed as Keras computes it (Python
    floats, then float32): dropout's scale 1/(1-rate), the Gaussian noises' standard
    deviations, alpha dropout's affine map (a, b)."""
    if layer.type == "dropout":
        return (1 / (1 - layer.rate),)
    if layer.type == "gaussian_dropout":
        return (math.sqrt(layer.rate / (1.0 - layer.rate)),)
    if layer.type == "gaussian_noise":
        return (layer.stddev,)
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - layer.rate) * (1 + layer.rate * alpha_p**2)) ** -0.5
    return (a, -a * alpha_p * layer.rate)


def _penalty_factors(cfg: Experiment) -> list[tuple[float, float]]:
    """(l1, l2) of each dense layer; (0, 0) without a kernel_regularizer."""
    return [(layer.kernel_regularizer.l1, layer.kernel_regularizer.l2) if layer.kernel_regularizer else (0.0, 0.0)
            for layer in cfg.model.layers if layer.type == "dense"]


def _column(values) -> tf.Tensor:
    return tf.constant(np.asarray(values, "float32"))


def _prepare(tasks: Sequence[Task], history: bool, initial: list[list[np.ndarray]] | None = None, jit: bool = False,
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
    drops = [i for i, layer in enumerate(cfg0.model.layers) if layer.type in NOISE]
    n_features = tasks[0].X_train.shape[1]
    scaled = [_scaled(task) for task in tasks]
    n_train = np.array([len(task.y_train) for task in tasks], "int32")
    n_test = np.array([len(task.y_test) for task in tasks], "int32")
    needed = _rows_needed(n_train, n_test, batch)
    train_rows, test_rows = rows or needed
    if train_rows < needed[0] or train_rows % batch or test_rows < needed[1]:
        raise ValueError(f"rows {rows} do not hold the group's {needed[0]} training rows in batches of {batch} "
                         f"and {needed[1]} test rows")
    steps = train_rows // batch
    keys = [_seeds(task.seed, len(dense)) for task in tasks]
    if initial is None:
        initial = [_initial_weights(task.cfg, n_features, k[0]) for task, k in zip(tasks, keys, strict=True)]
    weights = [tf.constant(np.stack([w[j] for w in initial])) for j in range(2 * len(dense))]
    noise = [[task.cfg.model.layers[i] for task in tasks] for i in drops]
    penalties = [_penalty_factors(task.cfg) for task in tasks]
    max_norms = [[task.cfg.model.layers[i].max_norm for task in tasks] for i in dense]
    args = dict(
        weights=weights,
        rates=[_column([layer.stddev if layer.type == "gaussian_noise" else layer.rate for layer in ls])
               for ls in noise],
        scales=[tuple(_column(c) for c in zip(*(_noise_params(layer) for layer in ls), strict=True))
                for ls in noise],
        penalties=[(_column([p[k][0] for p in penalties]), _column([p[k][1] for p in penalties]))
                   for k in range(len(dense))],
        norm_on=[tf.constant([m is not None for m in ms]) for ms in max_norms],
        norm_max=[_column([m or 0.0 for m in ms]) for ms in max_norms],
        hyper=optim.columns([task.cfg for task in tasks]),
        x_train=tf.constant(_padded([s[0] for s in scaled], _lanes(train_rows))),
        y_train=tf.constant(_padded([t.y_train.astype("float32") for t in tasks], _lanes(train_rows))),
        n_train=tf.constant(n_train),
        x_test=tf.constant(_padded([s[1] for s in scaled], _lanes(test_rows))),
        y_test=tf.constant(_padded([t.y_test.astype("float32") for t in tasks], _lanes(test_rows))),
        n_test=tf.constant(n_test),
        shuffle_key=tf.constant(np.array([k[1] for k in keys], "uint32")),
        dropout_key=tf.constant(np.array([k[2] for k in keys], "uint32")),
        mc_key=tf.constant(np.array([_mc_key(task.seed) for task in tasks], "uint32")),
        epochs=tf.constant(t0.epochs),
        steps=tf.constant(steps),
    )
    program = _program(_layer_plan(cfg0), t0.loss, optim.kind(cfg0), batch, history, jit, _mc_samples(cfg0))
    return program, args


def _train_group(
    tasks: Sequence[Task], history: bool, initial: list[list[np.ndarray]] | None = None, jit: bool = False,
    rows: tuple[int, int] | None = None,
):
    """Train one fusable group; returns (result dicts, final weights per task)."""
    if len(tasks) == 1:  # a batched matmul of one model rounds differently: train a twin
        results, weights = _train_group([tasks[0]] * 2, history, initial and initial * 2, jit, rows)
        return results[:1], weights[:1]
    global _calls
    program, args = _prepare(tasks, history, initial, jit, rows)
    _calls += 1
    _log.debug("fused engine: one program of %d models (XLA: %s)", len(tasks), jit)
    n_train, n_test = args["n_train"].numpy(), args["n_test"].numpy()
    epochs = tasks[0].cfg.training.epochs
    start = time.perf_counter()
    final, p_train, p_test, curves, p_mc = program(**args)
    p_train, p_test, p_mc = p_train.numpy(), p_test.numpy(), p_mc.numpy()
    seconds = time.perf_counter() - start
    results = []
    K = n_classes(tasks[0].cfg)
    for m, task in enumerate(tasks):
        proba_train = scoring.as_proba(p_train[m, : n_train[m]], K)
        proba_test = scoring.as_proba(p_test[m, : n_test[m]], K)
        row = {
            "n_train": int(n_train[m]),
            "n_test": int(n_test[m]),
            **scoring.score_split(task.y_train, proba_train, task.y_test, proba_test, K),
            "train_proba": proba_train,
            "test_proba": proba_test,
            "fit_seconds": round(seconds / len(tasks), 3),
            "group_seconds": round(seconds, 3),
        }
        if _mc_samples(task.cfg):
            row["mc_test_proba"] = scoring.as_proba(p_mc[m, : n_test[m]], K)
        if history:
            table = pd.DataFrame(curves.numpy()[:, m, :].astype("float64"), columns=HISTORY_COLUMNS[1:])
            table.insert(0, "epoch", np.arange(1, epochs + 1))
            row["history"] = table
        results.append(row)
    final_weights = [[w.numpy()[m] for w in final] for m in range(len(tasks))]
    return results, final_weights
