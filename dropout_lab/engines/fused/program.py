"""The fused engine's compiled program: the stacked forward pass and the training loop,
then the final predictions, as one ``tf.function`` per architecture (:func:`build`).

:mod:`.prepare` makes its arguments, :mod:`.group` runs it and reads what it returns;
the package's docstring says what is reproduced from Keras and why each model's numbers
do not depend on what it is stacked with.
"""

from __future__ import annotations

import functools
import logging

import tensorflow as tf

from ...layers import LAYERS
from . import optimizers as optim
from .forward import ACTIVATIONS, ARRAYS, STOCHASTIC, WEIGHT_ARRAYS, forward, states
from .heads import HEADS, Head
from .noise import NOISE, order
from .stacking import bc as _bc
from .stacking import lanes as _lanes

_log = logging.getLogger(__name__)

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): MaxNorm's
__all__ = ["ACTIVATIONS", "MC_KINDS", "STOCHASTIC", "build", "forward", "kernels", "max_norm", "trace_count"]

# the noise layers Monte Carlo dropout keeps on: the layer registry's mc_dropout kinds
MC_KINDS = tuple(kind for kind in NOISE if LAYERS[kind].mc_dropout)
_U32 = tf.uint32


def max_norm(w: tf.Tensor, on: tf.Tensor, max_value: tf.Tensor) -> tf.Tensor:
    """``keras.constraints.MaxNorm(max_value, axis=0)`` on each model's kernel; a kernel of
    more axes (a convolution's ``[*window, in, out]``) as Keras constrains it
    (``axis=[0, ..., -2]``): each output's weights together."""
    if len(w.shape) != 3:
        return tf.reshape(max_norm(tf.reshape(w, [tf.shape(w)[0], -1, w.shape[-1]]), on, max_value), tf.shape(w))
    # reduced along the last axis: a reduction over a middle axis rounds differently
    # depending on how many models are stacked
    norms = tf.sqrt(tf.reduce_sum(tf.square(tf.transpose(w, [0, 2, 1])), axis=2))[:, None, :]
    desired = tf.clip_by_value(norms, 0.0, _bc(max_value, norms))
    return tf.where(_bc(on, w), w * (desired / (KERAS_EPSILON + norms)), w)


def kernels(layers: tuple) -> dict[int, tuple[int, object]]:
    """Where each weighted layer's kernel is in the flat list of weights: ``{index: (the
    layer's number among the weighted layers, its plan entry)}``."""
    found, j = {}, 0
    for entry in layers:
        if entry[0] in WEIGHT_ARRAYS:
            found[j] = (len(found), entry)
        j += ARRAYS.get(entry[0], 0)
    return found


def _penalty(layers: tuple, weights, penalties) -> tf.Tensor | None:
    """Each model's kernel penalties ``[models]``: sum over penalized weighted layers of
    ``l1 * sum(|kernel|) + l2 * sum(kernel**2)`` (``keras.regularizers.L1L2``); None
    when no layer is penalized."""
    total = None
    for j, (k, entry) in kernels(layers).items():
        if entry[2]:
            kernel = tf.reshape(weights[j], [tf.shape(weights[j])[0], -1])  # per model, one row
            l1, l2 = penalties[k]
            term = l1 * tf.reduce_sum(tf.abs(kernel), 1) + l2 * tf.reduce_sum(tf.square(kernel), 1)
            total = term if total is None else total + term
    return total


def _scores(head: Head, logits, y, valid):
    """Per model: the summed loss (from logits, as Keras) and hits over the valid rows."""
    loss = tf.reduce_sum(head.loss(y, logits) * valid, 1)
    hits = tf.reduce_sum(head.hits(logits, y) * valid, 1)
    return loss, hits


_traces = 0  # programs traced (and, with XLA, compiled) in this process: see trace_count


def trace_count() -> int:
    """How many programs this process has traced so far (each trace is a compile; with XLA
    the slow one).  A program is built once per architecture (:func:`.grouping.architecture_key`
    without the epochs, which are an argument) and traced again only for new array shapes:
    the cells of a sweep over rates, penalties, optimizer settings or seeds share one."""
    return _traces


@functools.lru_cache(maxsize=32)
def build(layers: tuple, loss: str, optimizer: tuple[str, str], batch: int, history: bool, jit: bool,
             mc_samples: int = 0, keep_passes: bool = False):
    """The whole training run of one architecture as one ``tf.function``: a loop over
    epochs around a loop over steps, then the final predictions (and, with
    ``mc_samples``, the mean of that many Monte Carlo dropout passes over the test rows;
    with ``keep_passes``, a regression head's, every pass ``[T, models, rows]``).

    ``optimizer`` is :func:`optimizers.kind`: (optimizer name, schedule name).  ``slots``
    holds each variable's optimizer slots, then the optimizer's per-model state (Nadam's
    running product), all kept as they are for a model without rows in a step.
    """
    name = optimizer[0]
    n_slots = optim.N_SLOTS[name]
    head = HEADS[loss]
    kernel_at = kernels(layers)
    state_at = states(layers)  # batch normalization's moving statistics: updated by the forward pass

    def train_step(a, s, rows, weights, slots, step_count, sums):
        lane = tf.range(_lanes(batch))  # the batch's rows, padded to whole SIMD packets
        position = tf.minimum(s * batch + lane, tf.shape(rows)[1] - 1)
        index = tf.gather(rows, position, axis=1)
        valid = tf.cast((lane < batch)[None, :] & (position[None, :] < a["n_train"][:, None]), tf.float32)
        x = tf.gather(a["x_train"], index, batch_dims=1)
        y = tf.gather(a["y_train"], index, batch_dims=1)
        count = tf.reduce_sum(valid, 1)
        with tf.GradientTape() as tape:
            tape.watch(weights)
            counter = tf.cast(step_count, _U32)  # the model's own update count: its dropout stream
            logits, moving = forward(layers, weights, x, (a["rates"], a["scales"], a["dropout_key"], counter),
                                    valid=valid)
            per_row = head.loss(y, logits)
            # the objective: each model's batch mean, with 1/count as a weight per row
            # (the gradient of sum/count would become a Reciprocal op; see _lanes)
            total = tf.reduce_sum(per_row * (valid / tf.maximum(count, 1.0)[:, None]))
            penalty = _penalty(layers, weights, a["penalties"])
            if penalty is not None:  # Keras adds the layers' losses to the compiled loss
                total = total + tf.reduce_sum(penalty)
        grads = tape.gradient(total, weights)
        if history:  # the epoch's training loss and accuracy, as fit reports them
            loss_sum, hits = _scores(head, logits, y, valid)
            loss = loss_sum / tf.maximum(count, 1.0)  # each model's batch mean as Keras reports it
            if penalty is not None:
                loss = loss + penalty
            sums = (sums[0] + loss * count, sums[1] + hits, sums[2] + count)
        active = count > 0  # a model without rows in this step keeps everything
        new_count = step_count + tf.cast(active, tf.int32)
        # the learning rate at the model's own update count, as Keras' schedule(iterations)
        state = slots[len(weights) * n_slots:]
        numbers, new_state = optim.step_numbers(optimizer, a["hyper"], step_count, tuple(state))
        new_weights, new_slots = [], []
        for j, (w, g) in enumerate(zip(weights, grads, strict=True)):
            old = slots[j * n_slots : (j + 1) * n_slots]
            w2, s2 = (moving[j], old) if j in state_at else optim.update(name, w, g, old, numbers)
            if j in kernel_at:
                k = kernel_at[j][0]
                w2 = max_norm(w2, a["norm_on"][k], a["norm_max"][k])
            keep = _bc(active, w)
            new_weights.append(tf.where(keep, w2, w))
            new_slots += [tf.where(keep, n, o) for n, o in zip(s2, old, strict=True)]
        new_slots += [tf.where(active, n, o) for n, o in zip(new_state, state, strict=True)]
        return new_weights, new_slots, new_count, sums

    def epoch_body(a, epoch, weights, slots, step_count, curves):
        rows = order(a["shuffle_key"], epoch, a["n_train"], tf.shape(a["x_train"])[1])
        zeros = tf.zeros_like(a["norm_max"][0])

        def step_body(s, weights, slots, step_count, sums):
            return (s + 1, *train_step(a, s, rows, weights, slots, step_count, sums))

        _, weights, slots, step_count, sums = tf.while_loop(
            lambda s, *_: s < a["steps"], step_body, (0, weights, slots, step_count, (zeros, zeros, zeros))
        )
        if history:  # Keras' epoch means over the batches, then validation on the test part
            seen = tf.maximum(sums[2], 1.0)
            valid = tf.cast(tf.range(tf.shape(a["y_test"])[1])[None, :] < a["n_test"][:, None], tf.float32)
            val_loss, val_hits = _scores(head, forward(layers, weights, a["x_test"]), a["y_test"], valid)
            n_test = tf.cast(a["n_test"], tf.float32)
            val_loss = val_loss / n_test
            penalty = _penalty(layers, weights, a["penalties"])
            if penalty is not None:  # Keras' validation loss holds the penalties too
                val_loss = val_loss + penalty
            row = tf.stack([sums[0] / seen, sums[1] / seen, val_loss, val_hits / n_test], 1)
            curves = curves.write(epoch, row)
        return epoch + 1, weights, slots, step_count, curves

    @tf.function(autograph=False, jit_compile=jit)
    def run(**a):
        global _traces
        _traces += 1  # runs while tracing only
        _log.debug("fused engine: tracing a program for %s (XLA: %s)", layers, jit)
        weights = list(a["weights"])
        slots = [tf.zeros_like(w) for w in weights for _ in range(n_slots)]
        slots += optim.initial_state(name, tf.size(a["n_train"]))
        step_count = tf.zeros_like(a["n_train"])
        curves = tf.TensorArray(tf.float32, size=a["epochs"] if history else 0)
        _, weights, _, _, curves = tf.while_loop(
            lambda e, *_: e < a["epochs"],
            functools.partial(epoch_body, a),
            (0, weights, slots, step_count, curves),
        )
        p_train = head.proba(forward(layers, weights, a["x_train"]))
        p_test = head.proba(forward(layers, weights, a["x_test"]))
        stacked = curves.stack() if history else tf.zeros([0, tf.size(step_count), 4])
        if not mc_samples:
            p_mc = tf.zeros([0])
        elif keep_passes:
            p_mc = _mc_passes(a, weights, mc_samples, p_test)
        else:
            p_mc = _mc_dropout(a, weights, mc_samples, p_test)
        return weights, p_train, p_test, stacked, p_mc

    def _mc_pass(a, weights, t):
        """Pass ``t`` of Monte Carlo dropout over the test rows (stream ``t * n_noise + d``)."""
        draws = (a["rates"], a["scales"], a["mc_key"], tf.cast(tf.fill(tf.shape(a["n_test"]), t), _U32))
        return head.proba(forward(layers, weights, a["x_test"], draws, active=MC_KINDS))

    def _mc_passes(a, weights, samples, like):
        """Every pass of Monte Carlo dropout over the test rows, ``[samples, models, rows]``."""
        def body(t, passes):
            return t + 1, passes.write(t, _mc_pass(a, weights, t))

        _, passes = tf.while_loop(lambda t, _: t < samples, body,
                                  (tf.constant(0), tf.TensorArray(like.dtype, size=samples)))
        return passes.stack()

    def _mc_dropout(a, weights, samples, like):
        """The mean test probabilities of ``samples`` passes, dropout layers drawing masks
        from each model's ``mc_key`` and pass number ``t`` (stream ``t * n_noise + d``)."""
        def body(t, total):
            draws = (a["rates"], a["scales"], a["mc_key"], tf.cast(tf.fill(tf.shape(a["n_test"]), t), _U32))
            logits = forward(layers, weights, a["x_test"], draws, active=MC_KINDS)
            return t + 1, total + head.proba(logits)

        _, total = tf.while_loop(lambda t, _: t < samples, body, (tf.constant(0), tf.zeros_like(like)))
        return total / float(samples)

    return run
