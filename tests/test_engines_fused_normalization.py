"""The fused engine's batch normalization (engines/fused/normalization.py): Keras'
predictions from the same weights and moving statistics, Keras' weights (moving
statistics included) and losses after a few steps, each model's statistics over its own
valid rows only."""

import numpy as np
import pytest
import tensorflow as tf

from dropout_lab.builder import build_model
from dropout_lab.engines.fused import Task, noise, program
from dropout_lab.engines.fused.group import train_group
from dropout_lab.engines.fused.grouping import architecture_key
from dropout_lab.engines.fused.normalization import moments, train
from dropout_lab.engines.fused.prepare import initial_weights, layer_plan, prepare, seeds

from ._fused import assert_steps_equal_keras, dense, multiclass, seeded_keras  # noqa: F401  (seeded_keras: an autouse fixture)

OUT = dense(3, "softmax")
LOSS = "sparse_categorical_crossentropy"
BN = {"type": "batch_normalization"}

# name: (input shape, layers)
ARCHITECTURES = {
    "mlp": ((5,), [dense(6), BN, {"type": "dropout", "rate": 0.0}, dense(4, "tanh"),
                   {"type": "batch_normalization", "momentum": 0.9, "epsilon": 0.01}, OUT]),
    "cnn": ((4, 4, 2), [{"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same"}, BN,
                        {"type": "max_pooling2d"}, {"type": "flatten"}, OUT]),
    "lstm-sequences": ((3, 2), [{"type": "lstm", "units": 3, "return_sequences": True}, BN, {"type": "flatten"},
                                OUT]),
}


def config(layers, epochs=3, batch_size=8, optimizer=None):
    return multiclass(layers, optimizer or {"name": "adam", "learning_rate": 0.05}, LOSS, epochs, batch_size)


def one_task(cfg, shape, n_train=8, n_test=6, seed=3, data_seed=0):
    rng = np.random.default_rng(data_seed)
    X = (2 * rng.normal(size=(n_train + n_test, int(np.prod(shape)))) + 1).astype("float32")
    y = (np.arange(n_train + n_test) % 3).astype(np.int64)
    return Task(cfg, X[:n_train], y[:n_train], X[n_train:], y[n_train:], seed, shape)


def _randomized_statistics(net, seed):
    """Every batch normalization's gamma, beta, moving mean and variance set away from
    their initial values (a trained-looking state)."""
    rng = np.random.default_rng(seed)
    for layer in net.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            n = layer.gamma.shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(size=n), rng.normal(size=n),
                               rng.uniform(0.5, 2.0, n)])


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_inference_uses_the_moving_statistics_as_keras(name):
    """At inference (and in a Monte Carlo dropout pass) the stacked logits of two models
    are the Keras models' predictions, from their weights and moving statistics."""
    shape, layers = ARCHITECTURES[name]
    cfg = config(layers)
    one = one_task(cfg, shape, n_train=9)
    nets = [build_model(cfg.model, cfg.training, shape) for _ in range(2)]
    for seed, net in enumerate(nets):
        _randomized_statistics(net, seed)
    weights = [tf.constant(np.stack(a)) for a in zip(*(net.get_weights() for net in nets), strict=True)]
    plan = layer_plan(cfg, shape)
    x = tf.constant(np.stack([one.X_train] * 2))
    logits = program.forward(plan, weights, x)
    n_streams = sum(1 for layer in layers if layer["type"] == "dropout")
    draws = ([tf.zeros([2])] * n_streams, [(tf.ones([2]),)] * n_streams, tf.constant([1, 2], tf.uint32),
             tf.zeros([2], tf.uint32))
    mc = program.forward(plan, weights, x, draws, active=program.MC_KINDS)
    for m, net in enumerate(nets):
        expected = net.predict(one.X_train, verbose=0)
        np.testing.assert_allclose(tf.nn.softmax(logits[m]).numpy(), expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(tf.nn.softmax(mc[m]).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(logits[0], logits[1])


@pytest.mark.parametrize("name,jit", [("mlp", False), ("cnn", False),
                                      pytest.param("lstm-sequences", False, marks=pytest.mark.slow),
                                      pytest.param("cnn", True, marks=pytest.mark.slow)])  # XLA compiles: ~5 s
def test_steps_equal_keras_train_on_batch(name, jit):
    """Three full-batch steps (8 rows in a batch padded to 16) from Keras' weights:
    Keras' weights after each train_on_batch, gamma, beta and the moving statistics
    included, its reported loss and accuracy, its test loss and accuracy (inference:
    the moving statistics), its predictions."""
    shape, layers = ARCHITECTURES[name]
    cfg = config(layers)
    assert_steps_equal_keras(cfg, one_task(cfg, shape), shape, jit, every_array_moves=True)  # the moving statistics too


def test_each_model_uses_its_own_rows_and_one_without_rows_keeps_its_state():
    """Two models of 8 and 20 rows, batches of 8: the small one has rows in the first of
    the three steps only and ends as Keras after one step; the big one's steps (8, 8 and
    4 rows, each padded to 16) in its row order end as Keras' three steps."""
    shape, layers = ARCHITECTURES["mlp"]
    cfg = config(layers, epochs=1, optimizer={"name": "sgd", "learning_rate": 0.3, "momentum": 0.5})
    small, big = one_task(cfg, shape, n_train=8, seed=1), one_task(cfg, shape, n_train=20, seed=2, data_seed=1)
    nets = [build_model(cfg.model, cfg.training, shape) for _ in range(2)]
    initial = [net.get_weights() for net in nets]
    _, args = prepare([small, big], history=False, initial=initial)
    rows = noise.order(args["shuffle_key"], 0, args["n_train"], args["x_train"].shape[1]).numpy()
    _, weights = train_group([small, big], history=False, initial=initial)
    for net, one, order, ours in zip(nets, (small, big), rows, weights, strict=True):
        order = order[: len(one.y_train)]
        for start in range(0, len(order), 8):
            batch = order[start : start + 8]
            net.train_on_batch(one.X_train[batch], one.y_train[batch])
        for a, b in zip(ours, net.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_moments_weigh_out_the_padding_rows():
    """Each model's mean and biased variance over its valid rows and every position of a
    feature map, per channel; a model without rows gets zeros (its state is kept)."""
    rng = np.random.default_rng(0)
    h = rng.normal(size=(3, 5, 2, 2, 4)).astype("float32")
    valid = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 0, 0, 0, 0]], "float32")
    mean, variance = moments(tf.constant(h), tf.constant(valid))
    for m, n in ((0, 3), (1, 5)):
        values = h[m, :n].reshape(-1, 4)
        np.testing.assert_allclose(mean[m], values.mean(0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(variance[m], values.var(0), rtol=1e-5, atol=1e-6)
    assert not np.any(mean[2]) and not np.any(variance[2])


def test_initial_weights_are_keras():
    """Seeded initial weights: a batch normalization's are Keras' (gamma 1, beta 0, moving
    mean 0, moving variance 1) and take no seed (the kernels' seeds are those without it)."""
    shape, layers = ARCHITECTURES["cnn"]
    cfg = config(layers)
    ours = initial_weights(cfg, shape, seeds(1, 2)[0])
    theirs = build_model(cfg.model, cfg.training, shape).get_weights()
    assert [w.shape for w in ours] == [w.shape for w in theirs]
    for a, b in zip(ours[2:6], theirs[2:6], strict=True):
        np.testing.assert_array_equal(a, b)
    without = initial_weights(config([layers[0], *layers[2:]]), shape, seeds(1, 2)[0])
    for a, b in zip(ours[:2] + ours[6:], without, strict=True):
        np.testing.assert_array_equal(a, b)


def test_momentum_and_epsilon_are_each_layers_own():
    """The moving statistics move by the layer's momentum (0: the batch's; 0.99: 1% of the
    way), the output is normalized with its epsilon; both shape the program (a sweep over
    them: a program per value)."""
    h = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, size=(2, 16, 4)).astype("float32"))
    valid = tf.ones([2, 16])
    w = [tf.ones([2, 4]), tf.zeros([2, 4]), tf.zeros([2, 4]), tf.ones([2, 4])]
    mean, variance = moments(h, valid)
    for momentum, epsilon in ((0.0, 1e-3), (0.99, 0.5)):
        out, moving = train(("batch_normalization", momentum, epsilon), h, w, valid)
        np.testing.assert_allclose(moving[2], (1 - momentum) * mean, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(moving[3], momentum + (1 - momentum) * variance, rtol=1e-5)
        expected = (h - mean[:, None, :]) / np.sqrt(variance[:, None, :] + epsilon)
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    keys = {architecture_key(config([dense(4), {"type": "batch_normalization", **option}, OUT]))
            for option in ({}, {"momentum": 0.9}, {"epsilon": 0.01})}
    assert len(keys) == 3


def test_a_model_gives_the_same_bits_alone_or_stacked():
    """An MLP with batch normalization: the same weights (moving statistics included) and
    predictions to the bit, trained alone or stacked with models of other sizes and seeds."""
    shape, layers = ARCHITECTURES["mlp"]
    cfg = config([{**layer, "rate": 0.3} if layer["type"] == "dropout" else layer for layer in layers],
                 epochs=2, batch_size=5)
    ours = one_task(cfg, shape, n_train=12, seed=4)
    others = [one_task(cfg, shape, n_train=n, seed=10 + n, data_seed=n) for n in (7, 19, 3)]
    alone_rows, alone = train_group([ours], history=False)
    stacked_rows, stacked = train_group([others[0], ours, *others[1:]], history=False)
    for a, b in zip(alone[0], stacked[1], strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(alone_rows[0]["test_proba"], stacked_rows[1]["test_proba"])
