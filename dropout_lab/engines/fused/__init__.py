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
  batches of ``batch_size`` with a final partial batch (as ``fit`` documents it; Keras 3's
  ``fit`` on arrays after a global seed repeats its first epoch's order instead, and so
  does the SciKeras engine: docs/studies/regularizers.md).  Models may have different
  training sizes: rows are padded to a common length and masked out of the loss, and a
  model with no rows in a step is not touched by that step (weights, optimizer slots and
  Adam's step counter all keep their values);
* the output layer and loss (:data:`.heads.HEADS`): a ``dense(1, sigmoid)`` output with binary
  cross-entropy, or a ``dense(K, softmax)`` output with categorical or sparse categorical
  cross-entropy; the mean loss over the batch's rows is computed from the output layer's
  logits (``tf.nn.sigmoid_cross_entropy_with_logits``,
  ``tf.nn.softmax_cross_entropy_with_logits`` on one-hot labels,
  ``tf.nn.sparse_softmax_cross_entropy_with_logits``) as Keras 3 does: its sigmoid and
  softmax outputs carry their logits (``_keras_logits``), which its losses use instead of
  clipped probabilities; accuracy as Keras' binary (p > 0.5) or categorical (argmax of the
  probabilities) accuracy; for a regression target a ``dense(1, linear)`` output with
  ``mse``, ``mae``, ``huber`` or ``log_cosh``, the target standardized per model on its own
  training part (``evaluation.standardize_target``) and predictions turned back into its units;
* dropout as ``keras.layers.Dropout`` (inverted: kept units scaled by ``1/(1-rate)``),
  with a per-model mask and a per-model rate; likewise ``GaussianDropout`` (times noise
  from N(1, rate/(1-rate))), ``GaussianNoise`` (plus noise from N(0, stddev**2)) and
  ``AlphaDropout`` (dropped units set to selu's saturation value, then Keras' affine
  map), ``SpatialDropout1D/2D`` (one draw per sample and channel);
* images and sequences (a dataset's ``input_shape``: the flat rows reshaped as Keras'
  ``Reshape`` does): ``Conv1D``/``Conv2D`` (one grouped convolution, the models folded
  into the channels; under XLA patches times each model's kernel),
  ``MaxPooling``/``AveragePooling`` 1D/2D, ``GlobalAveragePooling`` 1D/2D and
  ``Flatten`` (:mod:`.spatial`); ``LSTM`` and ``GRU`` with ``dropout`` and
  ``recurrent_dropout`` as Keras' cells apply them: masks drawn once per sequence and
  reused at every time step, one per gate when ``recurrent_dropout`` is on (Keras'
  ``implementation=1``) (:mod:`.recurrent`), their initial weights as Keras' (orthogonal
  recurrent kernel, an LSTM's forget-gate bias 1);
* ``BatchNormalization`` (:mod:`.normalization`): each model's own gamma and beta, trained
  like any weight, and moving mean and variance, carried through the training loop; in a
  step each model normalizes with the mean and biased variance of its own valid rows (over
  every axis but the channels) and updates its moving statistics with ``momentum``, a
  model without rows in the step keeping them; predictions, validation and Monte Carlo
  dropout passes use the moving statistics (as the SciKeras engine's ``training=False``);
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
  (the registry's ``mc_dropout`` kinds: ``dropout``, the spatial dropouts,
  ``gaussian_dropout``, ``alpha_dropout``; not ``gaussian_noise``, nor a recurrent
  layer's own dropout, as in the SciKeras engine) drawing
  fresh masks from a per-model key derived from the seed, and the mean probability is the
  prediction (``mc_test_proba``).

What it trains is read from the layer registry (each kind's ``fused`` options) and the
config schema's tables (:mod:`.support`).

Early stopping (``training.early_stopping``) is refused: the SciKeras engine does it.

What is not reproduced: Keras' random streams.  Initial weights come from the Keras
initializers seeded from the task's ``seed``; shuffles and dropout masks from this
module's own counter-based generator keyed by it.  Each model's streams depend only on
its own seed and its own step count, and every array is laid out so that each model's
numbers are computed by the same kernels whatever else is stacked (see :func:`.stacking.lanes`):
a task of dense layers (batch normalization included) gives the same bits run to run and
alone or in any group (checked on x86 CPUs with AVX2), though not the numbers of the
SciKeras engine; a convolutional or recurrent one the same numbers to float rounding.

Use::

    tasks = [Task(cfg, X[tr], y[tr], X[te], y[te], seed=fold_seed(cfg.seed, k))
             for k, (tr, te) in enumerate(splits(cfg, y), start=1)]
    rows = train_tasks(tasks)            # one dict of scores per task, in order

or, as an engine (:mod:`dropout_lab.engines.base`), ``train(cfg, dataset, splits)``.

The package, along its seams: :mod:`.support` (what it trains), :mod:`.grouping` (which
models share a program, XLA's policy, memory chunks), :mod:`.task` and :mod:`.prepare`
(a model's data, seeds, initial weights, padding), :mod:`.program` (the compiled
``tf.function``) with :mod:`.forward` (the stacked forward pass, a function per layer
kind), :mod:`.spatial` (convolutions, pooling), :mod:`.recurrent` (LSTM, GRU),
:mod:`.normalization` (batch normalization) and
:mod:`.noise` (random streams and noise layers), :mod:`.heads`
(output layers and losses), :mod:`.optimizers` and :mod:`.stacking` (per-model
columns), :mod:`.group` (one program run, its predictions read back) and
:mod:`.adapter` (``train``, ``train_runs``, ``train_tasks``).
"""

from __future__ import annotations

from ..base import supports_of
from .adapter import train, train_runs, train_tasks
from .group import HISTORY_COLUMNS, call_count
from .grouping import (
    MAX_PROGRAM_BYTES,
    MAX_PROGRAM_WORK,
    XLA_AUTO_WORK,
    architecture_key,
    intra_op_threads,
    program_work,
    use_xla,
)
from .program import trace_count
from .support import check, check_supported
from .task import Task, n_classes

NAME = "fused"
STACKS = True  # trains many splits as one program: train_runs takes a whole command's runs

supports = supports_of(check)  # whether check(cfg, dataset) passes

__all__ = [
    "HISTORY_COLUMNS", "MAX_PROGRAM_BYTES", "MAX_PROGRAM_WORK", "NAME", "STACKS", "XLA_AUTO_WORK", "Task",
    "architecture_key", "call_count", "check", "check_supported", "intra_op_threads", "n_classes", "program_work",
    "supports",
    "trace_count", "train", "train_runs", "train_tasks", "use_xla",
]
