"""The fused engine's program (engines/fused/program.py, noise.py, optimizers.py, group.py):
the same numbers as Keras, step by step, from the same weights; its random streams and
noise layers; a model's numbers the same alone or stacked."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dropout_lab import scoring
from dropout_lab.builder import build_learning_rate, build_model
from dropout_lab.engines.fused import Task, architecture_key, noise, optimizers, program, train_tasks
from dropout_lab.engines.fused.group import HISTORY_COLUMNS, train_group
from dropout_lab.engines.fused.heads import HEADS
from dropout_lab.engines.fused.prepare import layer_plan, seeds
from dropout_lab.engines.fused.stacking import lanes

from ._fused import (  # noqa: F401  (seeded_keras: an autouse fixture)
    NOISE_LAYERS,
    OUTPUT,
    SCORES,
    blobs,
    dense,
    experiment,
    multiclass,
    seeded_keras,
    task,
    task_k,
)


def scored(one: Task, row: dict) -> dict:
    """A task's scores from the predictions train_group handed back."""
    K = row["test_proba"].shape[1]
    return scoring.score_fold(one.y_train, row["train_proba"], one.y_test, row["test_proba"], K)


def keras_steps(net, one: Task, steps: int = 3, labels=lambda y: y) -> tuple[list, list]:
    """Keras' own run of ``steps`` full-batch steps on ``one``'s training rows: after each,
    the logs ``train_on_batch`` reports and ``test_on_batch`` on the test rows."""
    logs, val = [], []
    for _ in range(steps):
        net.reset_metrics()
        logs.append(net.train_on_batch(one.X_train, labels(one.y_train)))
        val.append(net.test_on_batch(one.X_test, labels(one.y_test)))
    return logs, val


def fused_from_keras(one: Task, net, initial, keras_logs, keras_val) -> tuple[list, list]:
    """``one`` trained by the fused engine from ``initial`` (Keras' starting weights), checked
    against Keras after :func:`keras_steps`: the same weights, the same training and test
    loss and accuracy after each step.  The fused rows and weights, for further checks."""
    rows, weights = train_group([one], history=True, initial=[initial])
    for ours, theirs in zip(weights[0], net.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    history = rows[0]["history"]
    np.testing.assert_allclose(history[["loss", "accuracy"]].to_numpy(), keras_logs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history[["val_loss", "val_accuracy"]].to_numpy(), keras_val, rtol=1e-5, atol=1e-6)
    return rows, weights


def stacked(arrays):
    return [tf.constant(np.stack(a)) for a in zip(*arrays, strict=True)]


# --- same numbers as Keras ---

@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "linear", "elu", "selu", "softplus", "swish"])
def test_forward_pass_equals_the_keras_model(activation):
    cfg = experiment(
        [{"type": "dropout", "rate": 0.3}, dense(7, activation), {"type": "dropout", "rate": 0.5},
         dense(5, activation, max_norm=2.0), OUTPUT],
        {"name": "sgd"},
    )
    X, _ = blobs(13)
    nets = [build_model(cfg.model, cfg.training, 4) for _ in range(2)]
    weights = stacked([net.get_weights() for net in nets])
    logits = program.forward(layer_plan(cfg), weights, tf.constant(np.stack([X, X])))
    for m, net in enumerate(nets):
        expected = net(X, training=False).numpy()[:, 0]  # dropout is off outside training
        np.testing.assert_allclose(tf.sigmoid(logits[m][:, 0]).numpy(), expected, rtol=1e-6, atol=1e-7)
    assert not np.allclose(logits[0], logits[1])  # two models, two sets of weights


def test_softmax_forward_pass_equals_the_keras_model():
    cfg = experiment([dense(7, "tanh"), {"type": "dropout", "rate": 0.5}, dense(4, "softmax")], {"name": "sgd"})
    cfg = cfg.model_copy(update={"training": cfg.training.model_copy(update={"loss": "categorical_crossentropy"})})
    X, _ = blobs(13)
    nets = [build_model(cfg.model, cfg.training, 4) for _ in range(2)]
    weights = stacked([net.get_weights() for net in nets])
    logits = program.forward(layer_plan(cfg), weights, tf.constant(np.stack([X, X])))
    proba = HEADS["categorical_crossentropy"].proba(logits).numpy()
    assert proba.shape == (2, 13, 4)
    for m, net in enumerate(nets):
        np.testing.assert_allclose(proba[m], net(X, training=False).numpy(), rtol=1e-6, atol=1e-7)


# schedules that change the rate from the first steps on
EXPONENTIAL = {"schedule": "exponential_decay", "initial_learning_rate": 0.5, "decay_steps": 1, "decay_rate": 0.5}
INVERSE_TIME = {"schedule": "inverse_time_decay", "initial_learning_rate": 0.05, "decay_steps": 1, "decay_rate": 2.0}
COSINE_WARMUP = {"schedule": "cosine_decay", "initial_learning_rate": 0.0, "decay_steps": 4, "alpha": 0.1,
                 "warmup_target": 0.05, "warmup_steps": 1}
PIECEWISE = {"schedule": "piecewise_constant", "boundaries": [0, 1], "values": [0.3, 0.1, 0.02]}

OPTIMIZERS = [
    {"name": "sgd", "learning_rate": 0.1},
    {"name": "sgd", "learning_rate": 0.1, "momentum": 0.9},
    {"name": "sgd", "learning_rate": 0.1, "momentum": 0.8, "nesterov": True},
    {"name": "sgd", "learning_rate": 0.1, "momentum": 0.99},
    {"name": "adam", "learning_rate": 0.01},
    {"name": "adam", "learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
    {"name": "rmsprop", "learning_rate": 0.01},
    {"name": "rmsprop", "learning_rate": 0.01, "rho": 0.8, "momentum": 0.5},
    {"name": "nadam", "learning_rate": 0.01},
    {"name": "nadam", "learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
    {"name": "adamw", "learning_rate": 0.01},
    {"name": "adamw", "learning_rate": 0.02, "weight_decay": 0.5, "beta_1": 0.5, "beta_2": 0.9},
    {"name": "sgd", "learning_rate": EXPONENTIAL, "momentum": 0.9},
    {"name": "rmsprop", "learning_rate": INVERSE_TIME},
    {"name": "adamw", "learning_rate": COSINE_WARMUP, "weight_decay": 0.5},
    {"name": "nadam", "learning_rate": PIECEWISE},
]


def optimizer_id(opt: dict) -> str:
    """``sgd-0.1-0.9``; a schedule by its name: ``sgd-exponential_decay-0.9``."""
    return "-".join(str(v["schedule"] if isinstance(v, dict) else v) for v in opt.values())


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=optimizer_id)
def test_steps_equal_keras_train_on_batch(optimizer):
    """Three steps (one batch holding all rows, three epochs) from the same weights give
    Keras' weights after each train_on_batch, its reported loss and accuracy, and its
    test loss and accuracy after each step: optimizer state, max-norm and history."""
    cfg = experiment(
        [dense(6, max_norm=0.5), {"type": "dropout", "rate": 0.0}, dense(5, "tanh", max_norm=3.0), OUTPUT],
        optimizer, epochs=3, batch_size=8,
    )
    one = task(cfg, n_train=8, n_test=10)
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()
    keras_logs, keras_val = keras_steps(net, one)
    rows, weights = fused_from_keras(one, net, initial, keras_logs, keras_val)
    norms = np.linalg.norm(weights[0][0], axis=0)
    assert norms.max() <= 0.5 + 1e-6 and np.linalg.norm(initial[0], axis=0).max() > 0.5  # max-norm bit
    history = rows[0]["history"]
    assert list(history.columns) == HISTORY_COLUMNS and list(history["epoch"]) == [1, 2, 3]
    scores = scored(one, rows[0])
    assert scores["test_loss"] == pytest.approx(keras_val[-1][0], rel=1e-4)
    assert scores["test_accuracy"] == pytest.approx(keras_val[-1][1])


MULTICLASS_LOSSES = ["categorical_crossentropy", "sparse_categorical_crossentropy"]


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES)
@pytest.mark.parametrize("optimizer", [OPTIMIZERS[1], OPTIMIZERS[5], OPTIMIZERS[7]], ids=["sgd", "adam", "rmsprop"])
def test_softmax_steps_equal_keras_train_on_batch(optimizer, loss):
    """As for the binary case: three steps from the same weights give Keras' weights, its
    reported loss and accuracy, and its test loss and accuracy after each step, for a
    dense(4, softmax) output with either multi-class loss (Keras gets one-hot labels for
    categorical cross-entropy, class indices for the sparse one)."""
    cfg = multiclass([dense(6, max_norm=0.5), {"type": "dropout", "rate": 0.0}, dense(5, "tanh"),
                      dense(4, "softmax")], optimizer, loss)
    one = task_k(cfg, n_train=8, n_test=10)
    assert len(set(one.y_train)) > 2
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()

    def labels(y):
        return np.eye(4, dtype="float32")[y] if loss == "categorical_crossentropy" else y

    keras_logs, keras_val = keras_steps(net, one, labels=labels)
    rows, _ = fused_from_keras(one, net, initial, keras_logs, keras_val)
    scores = scored(one, rows[0])
    assert scores["test_loss"] == pytest.approx(keras_val[-1][0], rel=1e-4)
    assert scores["test_accuracy"] == pytest.approx(keras_val[-1][1])
    np.testing.assert_allclose(rows[0]["test_proba"], net(one.X_test, training=False).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES)
def test_softmax_loss_uses_logits_as_keras_does(loss):
    """Keras 3's softmax output carries its logits, and both multi-class losses use them:
    a confidently wrong prediction (logit margin 30) costs 30, not a clipped -log(1e-7) = 16.1."""
    cfg = multiclass([dense(3, "softmax")], {"name": "sgd", "learning_rate": 1e-9}, loss, epochs=1, batch_size=4)
    X = np.ones((4, 1), "float32")
    y = np.zeros(4, int)
    one = Task(cfg, X, y, X, y, seed=0)
    initial = [np.array([[0.0, 30.0, 0.0]], "float32"), np.zeros(3, "float32")]
    rows, _ = train_group([one], history=True, initial=[initial])
    expected = 30.0 + np.log(1 + 2 * np.exp(-30.0))
    assert rows[0]["history"]["loss"][0] == pytest.approx(expected)
    net = build_model(cfg.model, cfg.training, 1)
    net.set_weights(initial)
    target = np.eye(3, dtype="float32")[y] if loss == "categorical_crossentropy" else y
    assert net.test_on_batch(X, target)[0] == pytest.approx(expected)


@pytest.mark.parametrize("optimizer", [OPTIMIZERS[2], OPTIMIZERS[5], OPTIMIZERS[-2]],
                         ids=["sgd-nesterov", "adam", "adamw-cosine_decay"])
def test_xla_steps_equal_keras_too(optimizer):
    cfg = experiment([dense(6, max_norm=0.5), dense(5, "tanh"), OUTPUT], optimizer, epochs=3, batch_size=8)
    one = task(cfg, n_train=8)
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()
    for _ in range(3):
        net.train_on_batch(one.X_train, one.y_train)
    _, weights = train_group([one], history=False, initial=[initial], jit=True)
    for ours, theirs in zip(weights[0], net.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


# two models per case, stacked: each one's rate at step s must be Keras' schedule(s)
SCHEDULE_PAIRS = {
    "exponential_decay": [
        {"schedule": "exponential_decay", "initial_learning_rate": 1.0, "decay_steps": 12, "decay_rate": 0.99},
        {"schedule": "exponential_decay", "initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5,
         "staircase": True}],
    "inverse_time_decay": [
        {"schedule": "inverse_time_decay", "initial_learning_rate": 1.0, "decay_steps": 12, "decay_rate": 0.5},
        {"schedule": "inverse_time_decay", "initial_learning_rate": 0.3, "decay_steps": 5, "decay_rate": 2.0,
         "staircase": True}],
    "cosine_decay": [
        {"schedule": "cosine_decay", "initial_learning_rate": 1.0, "decay_steps": 3000, "alpha": 0.1},
        {"schedule": "cosine_decay", "initial_learning_rate": 0.0, "decay_steps": 2000, "warmup_target": 0.5,
         "warmup_steps": 300}],
    "piecewise_constant": [  # different numbers of boundaries: padded per model
        {"schedule": "piecewise_constant", "boundaries": [10, 2000], "values": [1.0, 0.5, 0.1]},
        {"schedule": "piecewise_constant", "boundaries": [3], "values": [0.3, 0.03]}],
}
# the first steps, the warm-up's end, the boundaries, and the last step of a 10-fold Sonar
# run (12 steps of 16 rows per epoch x 300 epochs)
STEPS = [*range(40), 299, 300, 301, 1999, 2000, 2001, 2299, 2300, 3000, 3599]


@pytest.mark.parametrize("schedule", sorted(SCHEDULE_PAIRS))
def test_each_models_rate_is_the_keras_schedule_at_its_step(schedule):
    cfgs = [experiment([OUTPUT], {"name": "sgd", "learning_rate": lr}) for lr in SCHEDULE_PAIRS[schedule]]
    assert {optimizers.kind(c) for c in cfgs} == {("sgd", schedule)}
    hp = optimizers.columns(cfgs)
    keras_schedules = [build_learning_rate(c.training.optimizer.learning_rate) for c in cfgs]
    ours = np.stack([optimizers.learning_rate(schedule, hp, tf.constant([s, s])).numpy() for s in STEPS])
    theirs = np.array([[float(k(s)) for k in keras_schedules] for s in STEPS], "float32")
    np.testing.assert_allclose(ours, theirs, rtol=2e-7, atol=0)  # within one float32 rounding
    assert len(np.unique(theirs[:, 0])) >= 3 and len(np.unique(theirs[:, 1])) >= 2  # the rates do change
    # each model's own step: model 1 at step 0 while model 0 is at the last step
    mixed = optimizers.learning_rate(schedule, hp, tf.constant([STEPS[-1], 0])).numpy()
    np.testing.assert_array_equal(mixed, [ours[-1, 0], ours[0, 1]])


MANY_STEPS = [
    {"name": "sgd", "learning_rate": {**EXPONENTIAL, "decay_steps": 20, "decay_rate": 0.3}, "momentum": 0.9},
    {"name": "sgd", "learning_rate": {**INVERSE_TIME, "initial_learning_rate": 0.5, "decay_steps": 10,
                                      "staircase": True}, "momentum": 0.99},
    {"name": "adam", "learning_rate": {**COSINE_WARMUP, "decay_steps": 40, "warmup_steps": 10}},
    {"name": "rmsprop", "learning_rate": {"schedule": "piecewise_constant", "boundaries": [10, 30],
                                          "values": [0.01, 0.003, 0.001]}, "momentum": 0.5},
    {"name": "nadam", "learning_rate": 0.01},
    {"name": "adamw", "learning_rate": 0.01, "weight_decay": 0.2},
]


@pytest.mark.parametrize("optimizer", MANY_STEPS, ids=optimizer_id)
def test_many_steps_equal_keras(optimizer):
    """50 updates (one batch of all 16 rows per epoch) from the same weights give Keras'
    weights: schedules evaluated at every step, Nadam's running product, AdamW's decay."""
    cfg = experiment([dense(6), dense(5, "tanh", max_norm=1.0), OUTPUT], optimizer, epochs=50, batch_size=16)
    one = task(cfg, n_train=16)
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()
    for _ in range(50):
        net.train_on_batch(one.X_train, one.y_train)
    assert int(net.optimizer.iterations) == 50
    _, weights = train_group([one], history=False, initial=[initial])
    for ours, theirs, start in zip(weights[0], net.get_weights(), initial, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        assert not np.allclose(theirs, start, atol=1e-3)  # they did move


def test_xla_is_deterministic_and_close_to_the_graph_engine():
    cfg = experiment([dense(8), {"type": "dropout", "rate": 0.2}, OUTPUT], {"name": "adam", "learning_rate": 0.01},
                     epochs=5, batch_size=8)
    tasks = [task(cfg, 30, seed=s) for s in (1, 2, 3)]
    xla, again, graph = (train_tasks(tasks, history=True, jit=j) for j in (True, True, False))
    for a, b, c in zip(xla, again, graph, strict=True):
        assert a["history"].equals(b["history"]) and a["test_loss"] == b["test_loss"]
        np.testing.assert_allclose(a["history"].to_numpy(), c["history"].to_numpy(), rtol=1e-4)
        assert a["test_loss"] == pytest.approx(c["test_loss"], rel=1e-4)


def test_max_norm_equals_keras_constraint():
    w = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
    ours = program.max_norm(tf.constant(w), tf.constant([True, True, False]), tf.constant([1.0, 3.0, 1.0]))
    for m, limit in ((0, 1.0), (1, 3.0)):
        theirs = keras.constraints.MaxNorm(max_value=limit, axis=0)(w[m])
        np.testing.assert_allclose(ours[m], theirs, rtol=1e-6, atol=0)
    np.testing.assert_array_equal(ours[2], w[2])  # no max-norm for that model


def test_loss_uses_logits_as_keras_does():
    """Keras 3 computes binary cross-entropy of a sigmoid output from its logits: a
    confidently wrong prediction costs its logit, not a clipped -log(1e-7) = 16.1."""
    cfg = experiment([OUTPUT], {"name": "sgd", "learning_rate": 1e-9}, epochs=1, batch_size=4)
    X = np.ones((4, 1), "float32")
    one = Task(cfg, X, np.zeros(4, int), X, np.zeros(4, int), seed=0)
    initial = [np.full((1, 1), 30.0, "float32"), np.zeros(1, "float32")]
    rows, _ = train_group([one], history=True, initial=[initial])
    assert rows[0]["history"]["loss"][0] == pytest.approx(30.0)
    net = build_model(cfg.model, cfg.training, 1)
    net.set_weights(initial)
    assert net.test_on_batch(X, np.zeros(4, int))[0] == pytest.approx(30.0)


# --- shuffles, dropout, padding ---

def test_each_epoch_visits_each_row_once_in_a_new_order():
    n_train = tf.constant([5, 9, 9])
    keys = tf.constant([1, 2, 3], tf.uint32)
    first, second = (noise.order(keys, e, n_train, 12).numpy() for e in (0, 1))
    for order in (first, second):
        for m, n in enumerate((5, 9, 9)):
            assert sorted(order[m, :n]) == list(range(n))  # a permutation of the real rows ...
            assert sorted(order[m, n:]) == list(range(n, 12))  # ... then the padding rows
    assert (first != second).any() and (first[1] != first[2]).any()


def test_dropout_masks_are_per_model_inverted_and_rated():
    h = tf.ones([3, 400, 50])
    rates, scales = tf.constant([0.0, 0.2, 0.5]), tf.constant([1.0, 1.25, 2.0])
    out = noise.dropout(h, rates, scales, tf.constant([7, 8, 9], tf.uint32), tf.constant(0, tf.uint32)).numpy()
    np.testing.assert_array_equal(out[0], 1.0)  # rate 0 is the identity
    for m, rate in ((1, 0.2), (2, 0.5)):
        kept = out[m] != 0
        assert abs(1 - kept.mean() - rate) < 0.01
        np.testing.assert_allclose(out[m][kept], 1 / (1 - rate))
    again = noise.dropout(h, rates, scales, tf.constant([7, 8, 9], tf.uint32), tf.constant(1, tf.uint32)).numpy()
    assert (out[2] != again[2]).mean() > 0.4  # a new mask every step


@pytest.mark.parametrize(
    "optimizer",
    [{"name": "sgd", "momentum": 0.9, "learning_rate": 0.05}, {"name": "adam", "learning_rate": 0.01},
     {"name": "nadam", "learning_rate": {**EXPONENTIAL, "initial_learning_rate": 0.01, "decay_steps": 3}},
     {"name": "sgd", "momentum": 0.9, "learning_rate": {**PIECEWISE, "boundaries": [2, 7]}}],
    ids=optimizer_id,
)
def test_padding_rows_and_empty_batches_change_nothing(optimizer):
    """A model alone equals, bit for bit, the same model stacked with one that has more
    rows: padding rows are out of its loss, and its all-padding steps move neither its
    weights nor its optimizer state (momentum, Adam's moments and step count, Nadam's
    running product, the step its learning-rate schedule is at)."""
    cfg = experiment([dense(6), {"type": "dropout", "rate": 0.3}, OUTPUT], optimizer, epochs=4, batch_size=8)
    small = task(cfg, n_train=20, seed=1)   # 3 steps per epoch: 8, 8, 4 rows
    big = task(cfg, n_train=45, seed=2, data_seed=1)  # 6 steps: the small one idles 3 of them
    alone_rows, alone_weights = train_group([small], history=True)
    rows, weights = train_group([big, small], history=True)
    for ours, theirs in zip(weights[1], alone_weights[0], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    for key in ("train_proba", "test_proba"):
        np.testing.assert_array_equal(rows[1][key], alone_rows[0][key])
    assert rows[1]["n_train"] == alone_rows[0]["n_train"] and rows[1]["n_test"] == alone_rows[0]["n_test"]
    assert rows[1]["history"].equals(alone_rows[0]["history"])
    assert rows[0]["n_train"] == 45 and rows[1]["n_train"] == 20
    assert not np.allclose(weights[0][0], weights[1][0])


@pytest.mark.parametrize("loss", MULTICLASS_LOSSES)
def test_softmax_models_are_the_same_alone_or_stacked(loss):
    cfg = multiclass([dense(6), {"type": "dropout", "rate": 0.3}, dense(4, "softmax")],
                     {"name": "adam", "learning_rate": 0.01}, loss, epochs=4, batch_size=8)
    small = task_k(cfg, n_train=20, seed=1)
    big = task_k(cfg, n_train=45, seed=2, data_seed=1)
    alone_rows, alone_weights = train_group([small], history=True)
    rows, weights = train_group([big, small], history=True)
    for ours, theirs in zip(weights[1], alone_weights[0], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(rows[1]["test_proba"], alone_rows[0]["test_proba"])
    assert rows[1]["history"].equals(alone_rows[0]["history"])


# --- noise layers, kernel penalties, flatten: the same numbers as Keras ---

PENALTIES = [{"l1": 0.01, "l2": 0.02}, {"l2": 0.05}, {"l1": 0.03}]


def test_forward_pass_with_noise_layers_flatten_and_penalties_equals_keras():
    """At inference the noise layers are the identity and flatten (after Keras' reshape
    of the rows to (2, 2)) changes nothing, in Keras and in the stacked program."""
    cfg = experiment(
        [NOISE_LAYERS["gaussian_noise"], {"type": "flatten"}, dense(7, "selu", kernel_regularizer=PENALTIES[0]),
         NOISE_LAYERS["alpha_dropout"], dense(5, "tanh"), NOISE_LAYERS["gaussian_dropout"], OUTPUT],
        {"name": "sgd"},
    )
    X, _ = blobs(13)
    nets = [build_model(cfg.model, cfg.training, (2, 2)) for _ in range(2)]
    assert isinstance(nets[0].layers[0], keras.layers.Reshape)
    weights = stacked([net.get_weights() for net in nets])
    logits = program.forward(layer_plan(cfg), weights, tf.constant(np.stack([X, X])))
    for m, net in enumerate(nets):
        np.testing.assert_allclose(tf.sigmoid(logits[m]).numpy(), net(X, training=False).numpy(), rtol=1e-6, atol=1e-7)


def _keras_draws(monkeypatch, draws: list[np.ndarray]) -> None:
    """Keras' random draws (``backend.random.normal`` and ``uniform``, which its noise
    layers call in layer order) replaced by the fused engine's, in that order."""
    from keras.src.backend.tensorflow import random as keras_random

    calls = iter(range(10**6))

    def next_draw(shape):
        draw = draws[next(calls) % len(draws)]
        assert tuple(draw.shape) == tuple(shape)
        return tf.constant(draw)

    # as tf.random.stateless_normal computes it: deviate * stddev + mean
    monkeypatch.setattr(keras_random, "normal", lambda shape, mean=0.0, stddev=1.0, dtype=None, seed=None:
                        next_draw(shape) * stddev + mean)
    monkeypatch.setattr(keras_random, "uniform", lambda shape, minval=0.0, maxval=1.0, dtype=None, seed=None:
                        next_draw(shape))


def _fused_draws(cfg, one: Task, widths: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The first step's row order and, per noise layer (of ``widths`` values per row), the
    deviates the fused engine draws for the task's model: normal for the Gaussian layers,
    uniform for alpha dropout."""
    n_dense = sum(layer.type == "dense" for layer in cfg.model.layers)
    _, shuffle_key, noise_key = seeds(one.seed, n_dense)
    batch, n = cfg.training.batch_size, len(one.y_train)
    rows = lanes(batch)
    order = noise.order(tf.constant([shuffle_key], tf.uint32), 0, tf.constant([n]), lanes(batch)).numpy()[0]
    kinds = [layer.type for layer in cfg.model.layers if layer.type in noise.NOISE]
    draws = []
    for d, (kind, width) in enumerate(zip(kinds, widths, strict=True)):
        like = tf.zeros([1, rows, width])
        draw = noise.uniform_like if kind == "alpha_dropout" else noise.normal_like
        draws.append(draw(like, tf.constant([noise_key], tf.uint32), tf.constant(d, tf.uint32)).numpy()[0, :n])
    return order[:n], draws


@pytest.mark.parametrize("kind", sorted(NOISE_LAYERS))
def test_a_step_with_noise_equals_keras_train_on_batch_with_the_same_noise(monkeypatch, kind):
    """One training step in which the noise layers act: Keras' own layers, given the
    deviates the fused engine drew (and the rows in its order), end in the same weights
    and report the same loss.  The layer's rate or stddev is on (not 0)."""
    keras.utils.set_random_seed(0)
    cfg = experiment([NOISE_LAYERS[kind], dense(6, "selu"), NOISE_LAYERS[kind], OUTPUT],
                     {"name": "sgd", "learning_rate": 0.5}, epochs=1, batch_size=8)
    one = task(cfg, n_train=8, n_test=10)
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()
    rows, weights = train_group([one], history=True, initial=[initial])
    order, draws = _fused_draws(cfg, one, widths=[4, 6])
    _keras_draws(monkeypatch, draws)
    logs = net.train_on_batch(one.X_train[order], one.y_train[order])
    for ours, theirs, before in zip(weights[0], net.get_weights(), initial, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        assert not np.allclose(ours, before)
    np.testing.assert_allclose(rows[0]["history"][["loss", "accuracy"]].to_numpy()[0], logs, rtol=1e-5, atol=1e-6)
    # with Keras' own draws the step goes elsewhere: the match is the noise's doing
    monkeypatch.undo()
    other = build_model(cfg.model, cfg.training, 4)
    other.set_weights(initial)
    other.train_on_batch(one.X_train[order], one.y_train[order])
    assert max(np.abs(a - b).max() for a, b in zip(other.get_weights(), weights[0], strict=True)) > 1e-3


@pytest.mark.parametrize("optimizer", [OPTIMIZERS[1], OPTIMIZERS[3]], ids=["sgd-momentum", "adam"])
def test_kernel_penalties_equal_keras_regularizers(optimizer):
    """L1/L2 kernel penalties: three steps from the same weights give Keras' weights,
    its reported loss (the batch's loss plus the penalties) and its validation loss."""
    cfg = experiment(
        [dense(6, kernel_regularizer=PENALTIES[0]), dense(5, "tanh", max_norm=3.0, kernel_regularizer=PENALTIES[1]),
         dense(1, "sigmoid", kernel_regularizer=PENALTIES[2])],
        optimizer, epochs=3, batch_size=8,
    )
    one = task(cfg, n_train=8, n_test=10)
    net = build_model(cfg.model, cfg.training, 4)
    initial = net.get_weights()
    keras_logs, keras_val = keras_steps(net, one)
    rows, _ = fused_from_keras(one, net, initial, keras_logs, keras_val)
    history = rows[0]["history"]
    # the penalties are in the reported loss: it exceeds the plain cross-entropy
    predicted = net(one.X_test, training=False).numpy()[:, 0]
    plain = keras.losses.binary_crossentropy(one.y_test.astype("float32"), predicted)
    assert history["val_loss"].iloc[-1] > float(plain) + 0.01
    unpenalized, _ = train_group([Task(experiment(
        [dense(6), dense(5, "tanh", max_norm=3.0), OUTPUT], optimizer, epochs=3, batch_size=8),
        one.X_train, one.y_train, one.X_test, one.y_test, one.seed)], history=True, initial=[initial])
    assert not np.allclose(unpenalized[0]["history"]["loss"], history["loss"])


def test_noise_layers_draw_what_keras_layers_draw():
    """Gaussian dropout: times N(1, rate/(1-rate)); Gaussian noise: plus N(0, stddev**2);
    alpha dropout: a `rate` share set to a*alpha_p + b, and a standard normal input keeps
    mean 0 and variance 1 (what the layer is for).  Rate 0 is the identity."""
    h = tf.constant(np.random.default_rng(0).normal(size=(3, 320, 50)).astype("float32"))
    key, counter = tf.constant([5, 6, 7], tf.uint32), tf.constant(3, tf.uint32)

    def run(kind, rates):
        layers = [{"type": kind, ("stddev" if kind == "gaussian_noise" else "rate"): r} for r in rates]
        specs = [experiment([spec, OUTPUT], {"name": "sgd"}).model.layers[0] for spec in layers]
        params = tuple(tf.constant(np.array(c, "float32")) for c in zip(*map(noise.params, specs), strict=True))
        return noise.noise(kind, h, tf.constant(np.array(rates, "float32")), params, key, counter).numpy()

    x = h.numpy()
    out = run("gaussian_dropout", [0.0, 0.2, 0.5])
    np.testing.assert_array_equal(out[0], x[0])
    for m, rate in ((1, 0.2), (2, 0.5)):
        factor = out[m] / x[m]
        assert abs(factor.mean() - 1) < 0.02 and abs(factor.std() - np.sqrt(rate / (1 - rate))) < 0.02
    out = run("gaussian_noise", [0.0, 0.1, 1.0])
    np.testing.assert_array_equal(out[0], x[0])
    for m, stddev in ((1, 0.1), (2, 1.0)):
        added = out[m] - x[m]
        assert abs(added.mean()) < 0.02 * stddev + 1e-3 and abs(added.std() / stddev - 1) < 0.02
    out = run("alpha_dropout", [0.0, 0.1, 0.3])
    np.testing.assert_array_equal(out[0], x[0])
    for m, rate in ((1, 0.1), (2, 0.3)):
        (a, b), alpha_p = noise.params(experiment(
            [{"type": "alpha_dropout", "rate": rate}, OUTPUT], {"name": "sgd"}).model.layers[0]), -1.7580993408473766
        dropped = np.isclose(out[m], np.float32(a * alpha_p + b))
        assert abs(dropped.mean() - rate) < 0.01
        np.testing.assert_allclose(out[m][~dropped], (a * x[m] + b)[~dropped], rtol=1e-6, atol=1e-6)
        assert abs(out[m].mean()) < 0.02 and abs(out[m].var() - 1) < 0.03
    again = run("gaussian_noise", [0.0, 0.1, 1.0])
    np.testing.assert_array_equal(out[0], again[0])


def test_noise_and_penalties_do_not_depend_on_the_stack():
    """Models with noise layers and penalties (different rates, stddevs and factors in
    one group) give the same bits alone and stacked."""
    def cfg(rate, stddev, l2):
        return experiment(
            [{"type": "gaussian_noise", "stddev": stddev}, dense(6, "selu", kernel_regularizer={"l2": l2}),
             {"type": "alpha_dropout", "rate": rate}, dense(4, kernel_regularizer={"l1": l2}),
             {"type": "gaussian_dropout", "rate": rate}, OUTPUT],
            {"name": "adam", "learning_rate": 0.01}, epochs=4, batch_size=8)

    configs = [cfg(0.2, 0.3, 0.01), cfg(0.0, 0.0, 0.0), cfg(0.4, 0.1, 0.05)]
    assert len({architecture_key(c) for c in configs}) == 1
    tasks = [task(c, 20 + 5 * i, seed=i + 1, data_seed=i) for i, c in enumerate(configs)]
    together = train_tasks(tasks, history=True)
    for t, row in zip(tasks, together, strict=True):
        alone = train_tasks([t], history=True)[0]
        assert {k: row[k] for k in SCORES} == {k: alone[k] for k in SCORES}
        assert row["history"].equals(alone["history"])
    assert together[0]["test_loss"] != together[2]["test_loss"]


def test_the_program_implements_what_the_registry_and_schema_give_the_fused_engine():
    """The layer kinds the registry marks ``fused`` are the program's (its forward pass
    has a function for each, and for the reshape of flat rows to samples); every
    activation of the schema has its Keras op; Monte Carlo dropout keeps on the noise
    layers the registry marks ``mc_dropout``."""
    from dropout_lab.config import MC_DROPOUT_KINDS
    from dropout_lab.engines.fused.forward import LAYER_FORWARD
    from dropout_lab.layers import kinds_with
    from dropout_lab.types import ACTIVATIONS

    assert set(kinds_with("fused")) == set(LAYER_FORWARD) - {"reshape"}
    assert {"dense", "flatten", "conv2d", "lstm", *noise.NOISE} <= set(kinds_with("fused"))
    assert set(program.ACTIVATIONS) == set(ACTIVATIONS)
    assert set(program.MC_KINDS) == set(noise.NOISE) & set(MC_DROPOUT_KINDS)
    assert "gaussian_noise" not in program.MC_KINDS and "dropout" in program.MC_KINDS
