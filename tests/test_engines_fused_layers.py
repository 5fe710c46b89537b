"""The fused engine's convolution, pooling, spatial dropout and recurrent layers
(engines/fused/spatial.py, recurrent.py, forward.py): the same numbers as Keras, step by
step, from the same weights and with the same masks."""

import numpy as np
import pytest
import tensorflow as tf

from dropout_lab.builder import build_model
from dropout_lab.engines.fused import Task, noise, program
from dropout_lab.engines.fused.forward import STOCHASTIC, streams
from dropout_lab.engines.fused.group import train_group
from dropout_lab.engines.fused.prepare import initial_weights, layer_plan, seeds
from dropout_lab.engines.fused.stacking import lanes

from ._fused import assert_steps_equal_keras, dense, multiclass, seeded_keras  # noqa: F401  (seeded_keras: an autouse fixture)

OUT = dense(3, "softmax")
LOSS = "sparse_categorical_crossentropy"


def conv(kind, filters, kernel_size, **extra):
    return {"type": kind, "filters": filters, "kernel_size": kernel_size, "activation": "relu", **extra}


def rnn(kind, units, **extra):
    return {"type": kind, "units": units, **extra}


# name: (input shape, layers); every dropout rate here is on (> 0): the tests set them
ARCHITECTURES = {
    "conv2d-same-maxpool-spatial": ((4, 4, 2), [
        conv("conv2d", 3, 3, padding="same"), {"type": "spatial_dropout2d", "rate": 0.4},
        {"type": "max_pooling2d", "pool_size": 2}, {"type": "dropout", "rate": 0.3}, {"type": "flatten"}, OUT]),
    "conv2d-valid-strided-avgpool-global": ((5, 5, 1), [
        conv("conv2d", 4, [2, 3], strides=[2, 1], activation="tanh", max_norm=0.5),
        {"type": "average_pooling2d", "pool_size": 2, "strides": 1, "padding": "same"},
        {"type": "global_average_pooling2d"}, OUT]),
    "conv1d-pools-spatial": ((6, 2), [
        conv("conv1d", 3, 3, padding="same"), {"type": "spatial_dropout1d", "rate": 0.5},
        {"type": "max_pooling1d", "pool_size": 2}, conv("conv1d", 2, 2, activation="elu"),
        {"type": "average_pooling1d", "pool_size": 2}, {"type": "flatten"}, OUT]),
    "conv1d-global": ((5, 3), [conv("conv1d", 4, 2, strides=2), {"type": "global_average_pooling1d"}, OUT]),
    "lstm-variational": ((4, 3), [rnn("lstm", 5, dropout=0.3, recurrent_dropout=0.4), OUT]),
    "lstm-input-dropout": ((4, 3), [rnn("lstm", 5, dropout=0.5, max_norm=0.8), {"type": "dropout", "rate": 0.2}, OUT]),
    "gru-stacked": ((4, 3), [rnn("gru", 4, dropout=0.2, recurrent_dropout=0.3, return_sequences=True),
                             rnn("gru", 3, activation="relu"), OUT]),
    "lstm-sequences-flatten": ((3, 2), [{"type": "dropout", "rate": 0.3}, rnn("lstm", 3, return_sequences=True),
                                        {"type": "flatten"}, OUT]),
}
RATES = ("rate", "dropout", "recurrent_dropout")


def config(layers, optimizer=None, epochs=3, batch_size=8, rates_off=False):
    if rates_off:
        layers = [{k: (0.0 if k in RATES else v) for k, v in layer.items()} for layer in layers]
    return multiclass(layers, optimizer or {"name": "adam", "learning_rate": 0.05}, LOSS, epochs, batch_size)


def one_task(cfg, shape, n_train=8, n_test=6, seed=3):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_train + n_test, int(np.prod(shape)))).astype("float32")
    y = (np.arange(n_train + n_test) % 3).astype(np.int64)
    return Task(cfg, X[:n_train], y[:n_train], X[n_train:], y[n_train:], seed, shape)


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_forward_pass_equals_the_keras_model(name):
    """At inference every dropout is the identity: the stacked logits of two models are
    the Keras models' predictions."""
    shape, layers = ARCHITECTURES[name]
    cfg = config(layers)
    one = one_task(cfg, shape, n_train=9)
    nets = [build_model(cfg.model, cfg.training, shape) for _ in range(2)]
    weights = [tf.constant(np.stack(a)) for a in zip(*(net.get_weights() for net in nets), strict=True)]
    logits = program.forward(layer_plan(cfg, shape), weights, tf.constant(np.stack([one.X_train] * 2)))
    for m, net in enumerate(nets):
        np.testing.assert_allclose(tf.nn.softmax(logits[m]).numpy(), net(one.X_train, training=False).numpy(),
                                   rtol=1e-5, atol=1e-6)
    assert not np.allclose(logits[0], logits[1])


@pytest.mark.parametrize("name,jit", [*((name, False) for name in sorted(ARCHITECTURES)),
                                      *(pytest.param(name, True, marks=pytest.mark.slow)  # XLA compiles: ~5 s each
                                        for name in ("conv2d-same-maxpool-spatial", "conv1d-pools-spatial",
                                                     "gru-stacked"))])
def test_steps_equal_keras_train_on_batch(name, jit):
    """Three full-batch steps (rates 0) from Keras' weights: Keras' weights after each
    train_on_batch, its reported loss and accuracy, its test loss and accuracy; with XLA
    too (its convolutions are patches times kernels, its recurrent steps slices)."""
    shape, layers = ARCHITECTURES[name]
    cfg = config(layers, rates_off=True)
    assert_steps_equal_keras(cfg, one_task(cfg, shape), shape, jit)


def _fused_masks(cfg, one: Task, shape) -> tuple[np.ndarray, list[np.ndarray]]:
    """The first step's row order and the masks (kept values scaled) the fused engine
    draws in it for the task's model, in the order Keras' layers ask for them: per dropout
    or spatial dropout layer one; per recurrent layer one per gate for its inputs (one in
    all when its recurrent_dropout is 0), then one per gate for its state."""
    plan = layer_plan(cfg, shape)[1:]
    n_weighted = sum(entry[0] in ("conv1d", "conv2d", "lstm", "gru", "dense") for entry in plan)
    _, shuffle_key, key = seeds(one.seed, n_weighted)
    n, rows = len(one.y_train), lanes(cfg.training.batch_size)
    order = noise.order(tf.constant([shuffle_key], tf.uint32), 0, tf.constant([n]), rows).numpy()[0][:n]
    key = tf.constant([key], tf.uint32)
    masks, d = [], 0
    net = build_model(cfg.model, cfg.training, shape)
    for layer, keras_layer in zip(cfg.model.layers, net.layers[1:], strict=True):
        inner = tuple(keras_layer.input.shape[1:])
        if layer.type in ("dropout", "spatial_dropout1d", "spatial_dropout2d"):
            like = [1, rows, *inner] if layer.type == "dropout" else [1, rows, *[1] * (len(inner) - 1), inner[-1]]
            u = noise.uniform_like(tf.zeros(like), key, tf.constant(d, tf.uint32)).numpy()[0, :n]
            masks.append(np.where(u >= layer.rate, np.float32(1 / (1 - layer.rate)), np.float32(0)))
        elif layer.type in ("lstm", "gru"):
            gates = streams(layer.type) // 2
            for part, (rate, width) in enumerate([(layer.dropout, inner[-1]), (layer.recurrent_dropout, layer.units)]):
                drawn = [noise.dropout(tf.ones([1, rows, width]), tf.constant([rate]), tf.constant([1 / (1 - rate)]),
                                       key, tf.constant(d + part * gates + g, tf.uint32)).numpy()[0, :n]
                         for g in range(gates)]
                if rate > 0:
                    masks += drawn if layer.recurrent_dropout > 0 else drawn[:1]
        d += streams(layer.type)
    return order, masks


def _keras_masks(monkeypatch, masks: list[np.ndarray]) -> list:
    """Keras' dropout draws (``backend.random.dropout``, which Dropout, SpatialDropout and
    the recurrent cells call) replaced by ``masks`` in order (again for each trace of
    Keras' train function); returns the shapes asked for."""
    from keras.src.backend.tensorflow import random as keras_random

    asked = []

    def dropout(inputs, rate, noise_shape=None, seed=None):
        mask = masks[len(asked) % len(masks)]  # in order, again for each trace
        asked.append(tuple(inputs.shape))
        return inputs * tf.constant(mask)  # spatial dropout: the mask has the noise shape

    monkeypatch.setattr(keras_random, "dropout", dropout)
    return asked


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_a_step_with_dropout_equals_keras_with_the_same_masks(monkeypatch, name):
    """One training step with every dropout on: Keras' own layers, given the masks the
    fused engine drew (and the rows in its order), end in the same weights and report the
    same loss; with Keras' own masks the step goes elsewhere."""
    shape, layers = ARCHITECTURES[name]
    cfg = config(layers, {"name": "sgd", "learning_rate": 0.5}, epochs=1)
    one = one_task(cfg, shape)
    net = build_model(cfg.model, cfg.training, shape)
    initial = net.get_weights()
    rows, weights = train_group([one], history=True, initial=[initial])
    order, masks = _fused_masks(cfg, one, shape)
    if not masks:
        pytest.skip("no dropout in this architecture")
    asked = _keras_masks(monkeypatch, masks)
    logs = net.train_on_batch(one.X_train[order], one.y_train[order])
    assert len(asked) % len(masks) == 0 and asked
    for ours, theirs in zip(weights[0], net.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rows[0]["history"][["loss", "accuracy"]].to_numpy()[0], logs, rtol=1e-4, atol=1e-5)
    monkeypatch.undo()
    other = build_model(cfg.model, cfg.training, shape)
    other.set_weights(initial)
    other.train_on_batch(one.X_train[order], one.y_train[order])
    assert max(np.abs(a - b).max() for a, b in zip(other.get_weights(), weights[0], strict=True)) > 1e-4


def test_initial_weights_have_the_keras_shapes_and_biases():
    """Seeded initial weights: Keras' shapes, an LSTM's forget-gate bias 1, a GRU's two bias rows."""
    shape = (4, 3)
    cfg = config([rnn("lstm", 5, return_sequences=True), rnn("gru", 2), OUT])
    ours = initial_weights(cfg, shape, seeds(1, 3)[0])
    theirs = build_model(cfg.model, cfg.training, shape).get_weights()
    assert [w.shape for w in ours] == [w.shape for w in theirs]
    np.testing.assert_array_equal(ours[2], np.repeat([0.0, 1.0, 0.0, 0.0], 5))
    np.testing.assert_allclose(ours[1] @ ours[1].T, np.eye(5), atol=1e-5)  # orthogonal rows, as Keras'


def test_spatial_dropout_drops_whole_channels_and_mc_dropout_keeps_it_on():
    """SpatialDropout2D's mask is one draw per row and channel; Monte Carlo dropout keeps
    it (an mc_dropout kind) and leaves a recurrent layer's own dropout off, as the SciKeras
    engine's mc_predict_proba does."""
    h = tf.ones([2, 16, 3, 3, 5])
    out = noise.noise("spatial_dropout2d", h, tf.constant([0.5, 0.5]), (tf.constant([2.0, 2.0]),),
                      tf.constant([1, 2], tf.uint32), tf.constant(0, tf.uint32)).numpy()
    assert set(np.unique(out)) == {0.0, 2.0}
    assert (out == out[:, :, :1, :1, :]).all()  # the same at every position
    assert 0.3 < (out == 0).mean() < 0.7
    assert "spatial_dropout2d" in program.MC_KINDS and "lstm" in STOCHASTIC and "lstm" not in program.MC_KINDS


SWEEPS = {  # an architecture and the rates a sweep sets on it
    "cnn": ((4, 4, 1), [conv("conv2d", 2, 3, padding="same"), {"type": "spatial_dropout2d", "rate": 0.0},
                        {"type": "max_pooling2d"}, {"type": "flatten"}, OUT],
            [{1: {"rate": r}} for r in (0.0, 0.2, 0.5)]),
    "lstm": ((4, 4), [rnn("lstm", 3), OUT],
             [{0: {"dropout": d, "recurrent_dropout": r}} for d, r in ((0.0, 0.0), (0.5, 0.0), (0.3, 0.5))]),
}


@pytest.mark.parametrize("name", sorted(SWEEPS))
def test_a_rate_sweep_is_one_program_and_each_cell_its_own_model(name):
    """The cells of a CNN's or an LSTM's rate sweep (their rates, hence Keras'
    implementation 1 or 2 for an LSTM) are one program; a cell trained alone gives what it
    gives stacked with the others (to float rounding: the stacked products round alike)."""
    shape, layers, cells = SWEEPS[name]
    cfgs = [config([{**layer, **cell.get(i, {})} for i, layer in enumerate(layers)], batch_size=5, epochs=2)
            for cell in cells]
    units = [one_task(cfg, shape, n_train=11 + i, seed=20 + i) for i, cfg in enumerate(cfgs)]
    before = program.trace_count()
    together = train_group(units, history=True)[0]
    assert program.trace_count() - before == 1
    alone = train_group([units[2], units[2]], history=True)[0][0]
    np.testing.assert_allclose(alone["test_proba"], together[2]["test_proba"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(together[0]["test_proba"], together[2]["test_proba"])


def test_the_engine_takes_images_and_sequences_its_layers_take():
    """Samples of more than one axis are trained when every layer takes the shape it gets
    (the registry's ``needs``); a dense layer on an image without a flatten is refused."""
    from dropout_lab.data import Dataset
    from dropout_lab.engines import fused
    from dropout_lab.errors import ConfigError

    X = np.zeros((6, 16), "float32")
    y = np.arange(6) % 3
    image = Dataset("t", X, y, "-", "-", classes=("a", "b", "c"), input_shape=(4, 4, 1))
    sequence = Dataset("t", X, y, "-", "-", classes=("a", "b", "c"), input_shape=(4, 4))
    assert fused.supports(config(ARCHITECTURES["conv2d-same-maxpool-spatial"][1]), image)
    assert fused.supports(config(ARCHITECTURES["lstm-variational"][1]), sequence)
    assert not fused.supports(config(ARCHITECTURES["lstm-variational"][1]), image)
    with pytest.raises(ConfigError, match=r"model.layers\[0\] 'dense' takes a flat input"):
        fused.check(config([dense(4), OUT]), image)
