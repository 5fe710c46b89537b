"""Gal's regression networks, many at once: trained as one stacked program, then scored
by Monte Carlo dropout.  Built on the fused engine's pieces (its stacked forward pass and
dropout streams, its shuffles and its Adam), with the regression head, the L2 weight
decay and the Monte Carlo scoring this protocol needs.

Each :class:`Fit` is one network: input dropout, a hidden ``dense(units, relu)``, dropout,
a ``dense(1)`` output (``net.py`` of the repository), the same rate on both dropout
layers; inputs and target standardized on its training rows (numpy's std, a constant
column's std taken as 1); ``mse`` plus ``weight_decay * sum(kernel**2)`` for both Dense
kernels (Keras' ``l2``); Adam; every epoch its own shuffle cut into batches with a final
partial batch (``fit(shuffle=True)``); Glorot-uniform kernels and zero biases.  Networks
of any training sizes, rates and decays stack; their numbers depend only on their own
seed (the fused engine's counter-based streams).

After training, ``samples`` passes over each fit's evaluation rows with dropout on give,
in the target's units: the MC prediction (the passes' mean), its RMSE, and for each of the
fit's ``taus`` the per-row ``logsumexp_t(-0.5 * tau * (y - y_t)**2)`` accumulated chunk by
chunk (:mod:`.scores`), from which the test log-likelihood follows.  The standard
prediction (dropout off) is scored too.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .scores import log_likelihood_from_lse, rmse

LAYERS = (("dropout",), ("dense", "relu", True), ("dropout",), ("dense", "linear", True))
MAX_PASS_ROWS = 250_000  # stacked rows of one chunk of Monte Carlo passes (memory: rows x hidden units)
_FLOOR = -1e30  # the running maximum before the first pass (every term is finite and <= 0)


@dataclass(frozen=True, eq=False)
class Fit:
    """One network to train on ``X_train, y_train`` and score on ``X_eval, y_eval`` at each
    precision in ``taus``; ``seed`` fixes its initial weights, shuffles and masks."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    rate: float
    weight_decay: float
    taus: tuple[float, ...]
    seed: int


@dataclass(frozen=True)
class FitScores:
    """A fit's scores on its evaluation rows, in the target's units: ``rmse`` of the
    standard prediction, ``mc_rmse`` of the MC prediction, ``ll[j]`` the test
    log-likelihood at ``taus[j]``."""

    rmse: float
    mc_rmse: float
    ll: tuple[float, ...]


def train_fits(fits: Sequence[Fit], hidden: int, epochs: int, batch_size: int, learning_rate: float,
               samples: int, jit: bool = True, timings: dict | None = None) -> list[FitScores]:
    """Train every fit as one stacked program and score it (see the module docstring).

    ``timings``, when given, receives the wall seconds of ``train`` and ``score``."""
    from ..engines.tf_setup import configure

    configure()
    import tensorflow as tf

    if not fits:
        return []
    n_features = fits[0].X_train.shape[1]
    if any(f.X_train.shape[1] != n_features or f.X_eval.shape[1] != n_features for f in fits):
        raise ValueError("Expected every fit to have the same features. Received: "
                         f"{sorted({f.X_train.shape[1] for f in fits} | {f.X_eval.shape[1] for f in fits})}")
    n_taus = max(len(f.taus) for f in fits)
    scaled = [_standardized(f) for f in fits]
    n_train = np.array([len(f.y_train) for f in fits], "int32")
    n_eval = np.array([len(f.y_eval) for f in fits], "int32")
    steps = -(-int(n_train.max()) // batch_size)
    keys = [np.random.SeedSequence(int(f.seed)).generate_state(4) for f in fits]
    weights = [tf.constant(np.stack(w)) for w in zip(*(_initial(n_features, hidden, int(k[0])) for k in keys),
                                                     strict=True)]
    rate = np.array([f.rate for f in fits], "float32")
    rates = [tf.constant(rate)] * 2
    scales = [(tf.constant((1 / (1 - rate.astype(np.float64))).astype("float32")),)] * 2
    hp = {"lr": learning_rate, "beta_1": 0.9, "beta_2": 0.999, "one_minus_beta_1": 1 - 0.9,
          "one_minus_beta_2": 1 - 0.999, "epsilon": 1e-7}  # keras.optimizers.Adam's defaults
    hp = {name: tf.constant(np.full(len(fits), value, "float32")) for name, value in hp.items()}
    start = time.perf_counter()
    trained = _trainer(batch_size, jit)(
        weights=weights,
        x=tf.constant(_padded([s[0] for s in scaled], steps * batch_size)),
        y=tf.constant(_padded([s[1] for s in scaled], steps * batch_size)),
        n_train=tf.constant(n_train),
        rates=rates, scales=scales,
        decay=tf.constant(np.array([f.weight_decay for f in fits], "float32")),
        hp=hp,
        shuffle_key=tf.constant(np.array([k[1] for k in keys], "uint32")),
        dropout_key=tf.constant(np.array([k[2] for k in keys], "uint32")),
        epochs=tf.constant(int(epochs)), steps=tf.constant(steps),
    )
    trained = [w.numpy() for w in trained]  # the training is done here, not in the scoring
    seconds = {"train": time.perf_counter() - start}
    width = int(n_eval.max())
    reps = max(1, min(samples, MAX_PASS_ROWS // (len(fits) * width)))
    taus = np.array([list(f.taus) + [f.taus[-1]] * (n_taus - len(f.taus)) for f in fits], "float32")
    mean_y = np.array([s[3] for s in scaled], "float32")
    std_y = np.array([s[4] for s in scaled], "float32")
    standard, mc_mean, lse = _evaluator(jit)(
        weights=[tf.constant(w) for w in trained],
        x=tf.constant(_padded([s[2] for s in scaled], width)),
        y=tf.constant(_padded([f.y_eval.astype("float32") for f in fits], width)),
        rates=rates, scales=scales,
        mc_key=tf.constant(np.array([k[3] for k in keys], "uint32")),
        taus=tf.constant(taus), mean_y=tf.constant(mean_y), std_y=tf.constant(std_y),
        samples=tf.constant(int(samples)), chunks=tf.constant(-(-samples // reps)), reps=reps,
    )
    standard, mc_mean, lse = standard.numpy(), mc_mean.numpy(), lse.numpy().astype(np.float64)
    seconds["score"] = time.perf_counter() - start - seconds["train"]
    if timings is not None:
        timings.update(seconds)
    out = []
    for i, fit in enumerate(fits):
        n, y = n_eval[i], fit.y_eval.astype(np.float64)
        out.append(FitScores(rmse(standard[i, :n], y), rmse(mc_mean[i, :n], y),
                             tuple(log_likelihood_from_lse(lse[i, j, :n], samples, tau)
                                   for j, tau in enumerate(fit.taus))))
    return out


def _standardized(fit: Fit):
    """Training-part statistics (numpy's std, ddof 0; a constant column's std is 1):
    scaled X_train, y_train, X_eval, and the target's mean and std."""
    mean_x, std_x = fit.X_train.mean(axis=0), fit.X_train.std(axis=0)
    std_x[std_x == 0] = 1
    mean_y, std_y = float(np.mean(fit.y_train)), float(np.std(fit.y_train))
    if std_y == 0:
        raise ValueError("Expected a training target that varies. Received: a constant target")
    return ((fit.X_train - mean_x) / std_x, (fit.y_train - mean_y) / std_y, (fit.X_eval - mean_x) / std_x,
            mean_y, std_y)


def _initial(n_features: int, hidden: int, seed: int) -> list[np.ndarray]:
    """Glorot-uniform kernels (Keras' Dense default) and zero biases."""
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in ((n_features, hidden), (hidden, 1)):
        limit = math.sqrt(6 / (fan_in + fan_out))
        out += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype("float32"), np.zeros(fan_out, "float32")]
    return out


def _padded(arrays: list[np.ndarray], length: int) -> np.ndarray:
    out = np.zeros((len(arrays), length, *arrays[0].shape[1:]), "float32")
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out


@functools.lru_cache(maxsize=8)
def _trainer(batch: int, jit: bool):
    """The training program: epochs around steps, each step every model's own batch."""
    import tensorflow as tf

    from ..engines.fused import optimizers as optim
    from ..engines.fused.noise import order
    from ..engines.fused.program import forward
    from ..engines.fused.stacking import bc

    def train_step(a, s, rows, weights, slots, count_):
        width = tf.shape(a["x"])[1]
        position = tf.minimum(s * batch + tf.range(batch), width - 1)
        index = tf.gather(rows, position, axis=1)
        valid = tf.cast(position[None, :] < a["n_train"][:, None], tf.float32)
        x = tf.gather(a["x"], index, batch_dims=1)
        y = tf.gather(a["y"], index, batch_dims=1)
        count = tf.reduce_sum(valid, 1)
        with tf.GradientTape() as tape:
            tape.watch(weights)
            out = forward(LAYERS, weights, x, (a["rates"], a["scales"], a["dropout_key"], tf.cast(count_, tf.uint32)))
            mse = tf.reduce_sum(tf.square(out[..., 0] - y) * (valid / tf.maximum(count, 1.0)[:, None]))
            l2 = sum(tf.reduce_sum(tf.square(weights[k]), [1, 2]) for k in (0, 2))
            total = mse + tf.reduce_sum(a["decay"] * l2)
        grads = tape.gradient(total, weights)
        active = count > 0  # a model without rows in this step keeps everything
        numbers, _ = optim.step_numbers(("adam", "constant"), a["hp"], count_, ())
        new_weights, new_slots = [], []
        for j, (w, g) in enumerate(zip(weights, grads, strict=True)):
            old = tuple(slots[2 * j: 2 * j + 2])
            w2, s2 = optim.update("adam", w, g, old, numbers)
            keep = bc(active, w)
            new_weights.append(tf.where(keep, w2, w))
            new_slots += [tf.where(keep, n, o) for n, o in zip(s2, old, strict=True)]
        return new_weights, new_slots, count_ + tf.cast(active, tf.int32)

    def epoch_body(a, epoch, weights, slots, count_):
        rows = order(a["shuffle_key"], epoch, a["n_train"], tf.shape(a["x"])[1])

        def step_body(s, weights, slots, count_):
            return (s + 1, *train_step(a, s, rows, weights, slots, count_))

        _, weights, slots, count_ = tf.while_loop(lambda s, *_: s < a["steps"], step_body,
                                                  (0, weights, slots, count_))
        return epoch + 1, weights, slots, count_

    @tf.function(autograph=False, jit_compile=jit)
    def run(**a):
        weights = list(a["weights"])
        slots = [tf.zeros_like(w) for w in weights for _ in range(2)]
        _, weights, _, _ = tf.while_loop(lambda e, *_: e < a["epochs"], functools.partial(epoch_body, a),
                                         (0, weights, slots, tf.zeros_like(a["n_train"])))
        return weights

    return run


@functools.lru_cache(maxsize=8)
def _evaluator(jit: bool):
    """The scoring program: the standard prediction, then ``chunks`` chunks of ``reps``
    Monte Carlo passes (each copy of the rows draws its own masks), accumulating the MC
    mean and the running log-sum-exp per tau."""
    import tensorflow as tf

    from ..engines.fused.program import MC_KINDS, forward

    @tf.function(autograph=False, jit_compile=jit, reduce_retracing=True)
    def run(weights, x, y, rates, scales, mc_key, taus, mean_y, std_y, samples, chunks, reps):
        models, width = tf.shape(x)[0], tf.shape(x)[1]
        weights = list(weights)

        def units(h):  # [models, rows] in the target's units
            return h[..., 0] * std_y[:, None] + mean_y[:, None]

        standard = units(forward(LAYERS, weights, x))
        tiled = tf.tile(x, [1, reps, 1])

        def body(c, total, top, acc):
            counter = tf.fill([models], tf.cast(c, tf.uint32))
            h = forward(LAYERS, weights, tiled, (rates, scales, mc_key, counter), active=MC_KINDS)
            passes = tf.ensure_shape(tf.reshape(units(h), [models, reps, width]), [x.shape[0], reps, x.shape[1]])
            real = tf.range(reps) < samples - c * reps  # the last chunk's copies beyond T do not count
            total = total + tf.reduce_sum(tf.where(real[None, :, None], passes, 0.0), 1)
            terms = -0.5 * taus[:, :, None, None] * tf.square(y[:, None, None, :] - passes[:, None, :, :])
            terms = tf.where(real[None, None, :, None], terms, -np.inf)
            new_top = tf.maximum(top, tf.reduce_max(terms, 2))
            acc = acc * tf.exp(top - new_top) + tf.reduce_sum(tf.exp(terms - new_top[:, :, None, :]), 2)
            return c + 1, total, new_top, acc

        shape = [models, tf.shape(taus)[1], width]
        _, total, top, acc = tf.while_loop(
            lambda c, *_: c < chunks, body,
            (tf.constant(0), tf.zeros([models, width]), tf.fill(shape, _FLOOR), tf.zeros(shape)))
        return standard, total / tf.cast(samples, tf.float32), top + tf.math.log(acc)

    return run
