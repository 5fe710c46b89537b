"""What the fused engine's tests share: tiny configs, tiny data, tasks."""

import keras
import numpy as np
import pytest

from dropout_lab.config import Experiment
from dropout_lab.engines.fused import Task

SCORES = ["n_train", "n_test", "train_accuracy", "test_accuracy", "test_loss"]  # the fold columns compared


@pytest.fixture(autouse=True)
def seeded_keras():
    """Keras' initial weights (the comparisons start from them) the same whatever ran before in
    this process: a test's tolerance holds for its weights, not for any draw."""
    keras.utils.set_random_seed(0)


def experiment(layers, optimizer, epochs=3, batch_size=8, standardize=False) -> Experiment:
    return Experiment.model_validate({
        "name": "t",
        "data": {"dataset": "circles"},
        "model": {"layers": layers},
        "training": {"optimizer": optimizer, "epochs": epochs, "batch_size": batch_size},
        "evaluation": {"standardize": standardize},
    })


def dense(units, activation="relu", **extra):
    return {"type": "dense", "units": units, "activation": activation, **extra}


OUTPUT = dense(1, "sigmoid")


def blobs(n, seed=0, d=4):
    """A noisy linearly separable two-class set (labels 0/1)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype("float32")
    y = (X[:, 0] - X[:, 1] + 0.1 * rng.normal(size=n) > 0).astype(np.int64)
    return X, y


def task(cfg, n_train, n_test=10, seed=1, data_seed=0):
    X, y = blobs(n_train + n_test, data_seed)
    return Task(cfg, X[:n_train], y[:n_train], X[n_train:], y[n_train:], seed)


def multiclass(layers, optimizer, loss, epochs=3, batch_size=8, standardize=False):
    cfg = experiment(layers, optimizer, epochs, batch_size, standardize)
    return cfg.model_copy(update={"training": cfg.training.model_copy(update={"loss": loss})})


def blobs_k(n, k=4, seed=0, d=4):
    """A noisy k-class set: the class is the argmax of k fixed projections."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype("float32")
    y = np.argmax(X @ np.random.default_rng(99).normal(size=(d, k)) + 0.1 * rng.normal(size=(n, k)), axis=1)
    return X, y.astype(np.int64)


def task_k(cfg, n_train, n_test=10, seed=1, data_seed=0, k=4):
    X, y = blobs_k(n_train + n_test, k, data_seed)
    return Task(cfg, X[:n_train], y[:n_train], X[n_train:], y[n_train:], seed)


NOISE_LAYERS = {
    "gaussian_dropout": {"type": "gaussian_dropout", "rate": 0.3},
    "gaussian_noise": {"type": "gaussian_noise", "stddev": 0.5},
    "alpha_dropout": {"type": "alpha_dropout", "rate": 0.2},
}


def assert_steps_equal_keras(cfg, one: Task, shape, jit: bool, every_array_moves: bool = False) -> None:
    """Three full-batch steps of one stacked model from Keras' weights equal Keras'
    ``train_on_batch``: its weights after them (each array moved where Keras' moved, or
    every array with ``every_array_moves``), its reported loss and accuracy, its test loss
    and accuracy (``test_on_batch``) and its predictions (calling the model, as predict)."""
    from dropout_lab.builder import build_model
    from dropout_lab.engines.fused.group import train_group

    net = build_model(cfg.model, cfg.training, shape)
    initial = net.get_weights()
    logs, val = [], []
    for _ in range(3):
        net.reset_metrics()
        logs.append(net.train_on_batch(one.X_train, one.y_train))
        val.append(net.test_on_batch(one.X_test, one.y_test))
    rows, weights = train_group([one], history=True, initial=[initial], jit=jit)
    for ours, theirs, before in zip(weights[0], net.get_weights(), initial, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
        assert not np.allclose(theirs, before) if every_array_moves else (
            not np.allclose(ours, before) or np.allclose(theirs, before))
    history = rows[0]["history"]
    np.testing.assert_allclose(history[["loss", "accuracy"]].to_numpy(), logs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(history[["val_loss", "val_accuracy"]].to_numpy(), val, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rows[0]["test_proba"], net(one.X_test, training=False).numpy(), rtol=1e-4, atol=1e-5)
