"""Which models share a program, whether it compiles with XLA, and how big one may be.

Tasks whose configs share an :func:`architecture_key`, whose data share a feature count,
and whose runs share a mode (XLA or not, history or not, the rows XLA pads to) are one
group; a group is cut into chunks (:func:`chunks`) whose arrays and work stay under
:data:`MAX_PROGRAM_BYTES` and :data:`MAX_PROGRAM_WORK`.  ``training.xla: auto`` compiles
with XLA when a run's work reaches :data:`XLA_AUTO_WORK` (:func:`use_xla`), and a run's
program asks for TensorFlow's intra-op threads (:func:`intra_op_threads`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...config import Experiment
from ...data import Dataset
from ...layers import LAYERS
from ...splits import plan
from . import optimizers as optim
from .stacking import lanes
from .task import Task

# ``training.xla: auto`` compiles with XLA when a run's work (models x training rows x
# epochs x weights per model) reaches this; measured on 2 cores (docs/studies/performance.md, "XLA against graph mode").
XLA_AUTO_WORK = 1e9
# ``auto`` keeps a net with these layers in graph mode: on the digits studies graph mode
# trained CNNs (grouped oneDNN convolutions) and LSTMs faster than XLA, compile included
# (docs/studies/fused-cnn-rnn.md)
GRAPH_KINDS = ("conv1d", "conv2d", "lstm", "gru")
# XLA's CPU convolutions run on TensorFlow's intra-op pool: with one thread their steps took
# 1.6-2x as long (digits CNN, 2 cores; docs/studies/fused-cnn-rnn.md, "Threads")
POOL_KINDS = ("conv1d", "conv2d")
# A group is cut into programs (chunks of about equal size; a model's numbers do not
# depend on the chunk it is in) so that each program's arrays stay under MAX_PROGRAM_BYTES
# and its work (see program_work) under MAX_PROGRAM_WORK: about 15 s with XLA and 45 s in
# graph mode on 2 cores, so Ctrl-C and the journal see every program's folds soon.
MAX_PROGRAM_BYTES = 2**30
MAX_PROGRAM_WORK = 5e10
# How much faster than a dense layer's a kind's work goes (its multiply-adds per second in a
# stacked program): one grouped oneDNN convolution for every model runs at ~100 GFLOPS on
# 2 cores, stacked small dense products at ~7-10, so a convolution's work counts a tenth
# (docs/studies/fused-cnn-rnn.md, "Stacking across runs"); every other kind counts in full.
WORK_SPEED = {"conv1d": 10.0, "conv2d": 10.0}


def architecture_key(cfg: Experiment) -> tuple:
    """Tasks with equal keys (and equal feature counts) can be trained as one stack.

    The key holds what shapes the program: layer kinds, units and filters, windows,
    strides and padding, activations, ``return_sequences`` and whether a kernel is
    penalized, the loss, the optimizer's kind and its learning-rate schedule's
    kind (or constant), epochs and batch size, a batch normalization's momentum and
    epsilon.  Dropout rates, noise levels, penalty
    factors, max-norm values (or none), initializers, optimizer and schedule
    hyper-parameters, a recurrent layer's ``dropout`` and ``recurrent_dropout``,
    standardization, seeds and data may differ (samples' shapes may not: the groups
    are per input shape too).
    """
    layers = tuple(
        ("dense", layer.units, layer.activation, layer.kernel_regularizer is not None) if layer.type == "dense"
        else (layer.type, *(_hashable(getattr(layer, name)) for name in _SHAPING if hasattr(layer, name)))
        for layer in cfg.model.layers
    )
    t = cfg.training
    return (layers, t.loss, optim.kind(cfg), t.epochs, t.batch_size, mc_samples(cfg))


# the options of other layer kinds that shape a program (rates, initializers, max-norm
# values and penalty factors do not); a kernel_regularizer counts as set or not
_SHAPING = ("filters", "units", "kernel_size", "pool_size", "strides", "padding", "activation", "return_sequences",
            "momentum", "epsilon")


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _shape(task: Task) -> tuple[int, ...]:
    """One sample's shape: the task's ``input_shape``, or its flat features."""
    return task.input_shape or (task.X_train.shape[1],)


def mc_samples(cfg: Experiment) -> int:
    """Monte Carlo dropout's passes over the test rows; 0 for standard inference."""
    inference = cfg.evaluation.inference
    return inference.samples if inference.mc else 0


def groups(tasks: Sequence[Task], modes: Sequence[tuple]) -> list[tuple[tuple, list[list[int]]]]:
    """The tasks' programs: per group, its mode (``modes``: each task's (jit, history,
    padded rows or None)) and its chunks of task indices; groups in order of first task."""
    found: dict[tuple, list[int]] = {}
    for i, task in enumerate(tasks):
        found.setdefault((architecture_key(task.cfg), _shape(task), *modes[i]), []).append(i)
    return [(tuple(key[2:]), chunks(members, [tasks[i] for i in members])) for key, members in found.items()]


def chunks(members: list[int], tasks: Sequence[Task]) -> list[list[int]]:
    """``members`` cut into the fewest chunks of about equal size (two sizes at most: two
    traced shapes) whose bytes and work stay under the limits."""
    per_model = max(max(_task_bytes(t) / MAX_PROGRAM_BYTES,
                        _work(t.cfg, len(t.y_train), _shape(t)) / MAX_PROGRAM_WORK) for t in tasks)
    n = min(len(members), max(1, math.ceil(len(members) * per_model)))
    size = math.ceil(len(members) / n)
    return [members[start : start + size] for start in range(0, len(members), size)]


def _task_bytes(task: Task) -> int:
    """About what one model adds to its program's arrays: its rows (padded) with the
    activations of a forward pass over them, its weights with their gradients and
    optimizer slots."""
    shape = _shape(task)
    rows = lanes(len(task.y_train) + task.cfg.training.batch_size) + lanes(len(task.y_test))
    return 4 * (rows * (math.prod(shape) + 1 + _activations(task.cfg, shape)) + 6 * _n_weights(task.cfg, shape))


def rows_needed(n_train, n_test, batch: int) -> tuple[int, int]:
    """The rows parts of these sizes are padded to: the longest training part in whole
    batches (steps x batch), and the longest test part."""
    return -(-int(max(n_train)) // batch) * batch, int(max(n_test))


def run_rows(cfg: Experiment, dataset: Dataset) -> tuple[int, int]:
    """The rows a run's program pads its parts to, from its whole plan (so that a resumed
    run or a repeat trained on its own keeps them): (steps x batch, test rows)."""
    splits = plan(cfg, dataset.y)
    return rows_needed([len(s.train) for s in splits], [len(s.test) for s in splits], cfg.training.batch_size)


def program_work(cfg: Experiment, dataset: Dataset) -> float:
    """A run's training work as ``auto`` weighs it: models (every planned split) x training
    rows per model x epochs x weights per model (see :func:`_work`)."""
    return _work(cfg, sum(len(s.train) for s in plan(cfg, dataset.y)), tuple(dataset.input_shape))


def _work(cfg: Experiment, rows: int, shape: tuple[int, ...]) -> float:
    """Training rows (summed over models) x epochs x weights per model (each used once
    per position of its input: a convolution's per pixel, a recurrent layer's per step;
    a kind of :data:`WORK_SPEED` divided by its speed)."""
    return float(rows * cfg.training.epochs * _n_weights(cfg, shape, WORK_SPEED))


def _walk(cfg: Experiment, shape: tuple[int, ...]):
    """Each layer's (parameter count, input shape, output shape), from the layer registry."""
    for layer in cfg.model.layers:
        count, out = LAYERS[layer.type].params(layer, shape)
        yield count, shape, out
        shape = out


def _n_weights(cfg: Experiment, shape: tuple[int, ...], speeds: dict[str, float] | None = None) -> float:
    """Weights used per row: a dense layer's (in + 1) x units, a convolution's or a
    recurrent layer's times the positions of its input; with ``speeds``, a kind's divided
    by its speed (:data:`WORK_SPEED`)."""
    speeds = speeds or {}
    return sum(count * math.prod(inputs[:-1]) / speeds.get(layer.type, 1.0)
               for layer, (count, inputs, _) in zip(cfg.model.layers, _walk(cfg, shape), strict=True))


def _activations(cfg: Experiment, shape: tuple[int, ...]) -> int:
    """Values per row in a forward pass: the weighted layers' outputs."""
    return sum(math.prod(out) for count, _, out in _walk(cfg, shape) if count)


def use_xla(cfg: Experiment, dataset: Dataset) -> bool:
    """Whether a run of ``cfg`` on ``dataset`` compiles with XLA: ``training.xla``, with
    ``auto`` resolved by the run's whole plan (so a resumed run keeps its mode): XLA for
    work of at least :data:`XLA_AUTO_WORK`, unless a layer is one of :data:`GRAPH_KINDS`."""
    xla = cfg.training.xla
    if xla == "auto":
        return program_work(cfg, dataset) >= XLA_AUTO_WORK and not any(
            layer.type in GRAPH_KINDS for layer in cfg.model.layers)
    return bool(xla)


def threads_for(cfg: Experiment, xla: bool) -> int | None:
    """The intra-op threads a program of ``cfg`` wants (see :mod:`..tf_setup`): one, as its
    many small ops run best a thread each with independent ones side by side, but
    TensorFlow's default (None) for convolutions compiled by XLA (:data:`POOL_KINDS`)."""
    return None if xla and any(layer.type in POOL_KINDS for layer in cfg.model.layers) else 1


def intra_op_threads(cfg: Experiment, dataset: Dataset) -> int | None:
    """:func:`threads_for` a run of ``cfg`` on ``dataset`` (its XLA mode resolved by :func:`use_xla`)."""
    return threads_for(cfg, use_xla(cfg, dataset))
