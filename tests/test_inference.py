"""Inference modes (issue 12): Monte Carlo dropout in both engines, and what a Keras
``Dropout`` layer does in training and at inference, measured on the built model."""

import keras
import numpy as np
import pytest

from dropout_lab.builder import build_model
from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.engines.fused import Task, train_tasks
from dropout_lab.engines.mc_dropout import mc_predict_proba
from dropout_lab.errors import ConfigError
from dropout_lab.evaluation import evaluate

from .conftest import CONFIGS

CIRCLES = CONFIGS / "circles_dropout.yaml"
SMALL = ["training.epochs=20", "evaluation={protocol: kfold, n_splits: 3}",
         "data={dataset: circles, n_samples: 60, noise: 0.2, random_state: 1}",
         "model.layers[0].units=16"]


def _cfg(*overrides):
    return load_config(CIRCLES, overrides=[*SMALL, *overrides])


def _net(layers_yaml: str, seed: int = 3):
    cfg = _cfg(f"model.layers={layers_yaml}")
    keras.utils.set_random_seed(seed)
    return build_model(cfg.model, cfg.training, 2)


X = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")


def test_mc_dropout_repeats_for_a_seed_and_differs_from_standard_inference():
    net = _net("[{type: dense, units: 32}, {type: dropout, rate: 0.5}, {type: dense, units: 1, activation: sigmoid}]")
    first, again = mc_predict_proba(net, X, 30, seed=5), mc_predict_proba(net, X, 30, seed=5)
    other = mc_predict_proba(net, X, 30, seed=6)
    standard = net.predict(X, verbose=0)
    assert np.array_equal(first, again)
    assert not np.allclose(first, other) and not np.allclose(first, standard, atol=1e-4)
    # the mean of T passes is that: one pass at a time gives the same per-pass spread
    assert first.shape == standard.shape and np.all((first > 0) & (first < 1))


def test_mc_dropout_keeps_batch_normalization_in_inference_mode():
    layers = ("[{type: dense, units: 32}, {type: batch_normalization}, {type: dropout, rate: 0.3}, "
              "{type: dense, units: 1, activation: sigmoid}]")
    net = _net(layers)
    bn = net.layers[1]
    bn.moving_mean.assign(np.full(32, 0.7, "float32"))  # a trained-looking state
    before = [w.numpy().copy() for w in bn.weights]
    mc = mc_predict_proba(net, X, 2000, seed=1)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, bn.weights, strict=True))
    # with BN in inference mode the MC mean is close to the standard prediction (dropout's
    # expectation is the identity, up to the non-linear sigmoid); with BN in training mode
    # it would normalize by these 40 rows' statistics and move far away
    training_bn = net(X, training=True).numpy()
    standard = net.predict(X, verbose=0)
    assert np.abs(mc - standard).mean() < np.abs(training_bn - standard).mean()


def test_mc_dropout_without_a_dropout_layer_is_refused():
    net = _net("[{type: dense, units: 8}, {type: gaussian_noise, stddev: 0.5}, "
               "{type: dense, units: 1, activation: sigmoid}]")
    with pytest.raises(ConfigError, match="no dropout layer"):
        mc_predict_proba(net, X, 5, seed=1)


def _fused(cfg):
    data = load_dataset(cfg.data)
    rng = np.random.default_rng(0)
    rows = rng.permutation(len(data.y))
    tr, te = rows[:40], rows[40:]
    return train_tasks([Task(cfg, data.X[tr], data.y[tr], data.X[te], data.y[te], seed=11)])[0]


def test_fused_mc_dropout_repeats_and_differs_from_standard():
    cfg = _cfg("evaluation.inference={mode: mc_dropout, samples: 20}")
    first, again = _fused(cfg), _fused(cfg)
    assert np.array_equal(first["mc_test_proba"], again["mc_test_proba"])
    assert not np.allclose(first["mc_test_proba"], first["test_proba"], atol=1e-4)
    standard = _fused(_cfg())
    assert np.array_equal(standard["test_proba"], first["test_proba"])  # the same trained model


def test_fused_mc_dropout_equals_standard_on_a_model_without_dropout():
    cfg = _cfg("model.layers[1]={type: gaussian_noise, stddev: 0.3}",
               "evaluation.inference={mode: mc_dropout, samples: 5}")
    out = _fused(cfg)  # gaussian noise is not dropout: it stays off in the passes
    np.testing.assert_allclose(out["mc_test_proba"], out["test_proba"], atol=1e-6)  # a mean of 5 equal passes


@pytest.mark.parametrize("engine", ["scikeras", "fused"])
def test_a_run_scores_every_fold_both_ways_on_the_same_model(engine):
    one_split = "evaluation={protocol: holdout, train_fraction: 0.5, shuffle: true, history: false}"
    cfg = _cfg(f"training.engine={engine}", "training.epochs=5", one_split)
    mc = cfg.model_copy(update={"evaluation": cfg.evaluation.model_copy(
        update={"inference": cfg.evaluation.inference.model_copy(update={"mode": "mc_dropout", "samples": 8})})})
    data = load_dataset(cfg.data)
    plain, both = evaluate(cfg, data).folds, evaluate(mc, data).folds
    assert plain["test_accuracy"].tolist() == both["test_accuracy"].tolist()
    assert {"mc_test_accuracy", "mc_test_loss", "mc_test_ece", "mc_test_entropy_wrong"} <= set(both.columns)
    assert "mc_test_accuracy" not in plain.columns
    assert not np.allclose(both["mc_test_loss"], both["test_loss"])


# --- the evaluation-mode facts, on the built Keras model ---

@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_dropout_in_training_zeroes_about_rate_and_scales_the_rest(rate):
    cfg = load_config(CIRCLES, overrides=[f"model.layers=[{{type: dropout, rate: {rate}}}, "
                                          "{type: dense, units: 1, activation: sigmoid}]"])
    net = build_model(cfg.model, cfg.training, 10_000)
    dropout = net.layers[0]
    x = np.random.default_rng(1).uniform(1.0, 2.0, size=(20, 10_000)).astype("float32")
    out = dropout(x, training=True).numpy()
    zeroed = out == 0
    assert abs(zeroed.mean() - rate) < 0.01  # 200,000 inputs: the share is rate to within 0.003 sd
    assert np.allclose(out[~zeroed], x[~zeroed] / (1 - rate), rtol=1e-6)  # kept ones: x / (1 - rate)
    assert abs(out.mean() / x.mean() - 1) < 0.01  # the expected activation is unchanged
    assert np.array_equal(dropout(x, training=False).numpy(), x)  # at inference: the identity
    assert np.array_equal(dropout(x).numpy(), x)  # Keras' default call is inference


def test_inverted_and_original_dropout_agree_in_expectation():
    """Original dropout (Srivastava et al. 2014) keeps units unscaled in training and
    multiplies by (1 - rate) at test time; Keras' inverted dropout scales kept units by
    1/(1 - rate) in training and does nothing at test time.  The two nets differ by the
    constant factor (1 - rate) on the layer's output in both phases, so the next layer's
    expected input in training matches its input at test time either way."""
    rate = 0.4
    x = np.random.default_rng(2).uniform(size=(50, 4000)).astype("float32")
    inverted = keras.layers.Dropout(rate)(x, training=True).numpy()
    original_train = inverted * (1 - rate)  # the same mask, not rescaled
    original_test = x * (1 - rate)
    assert abs(inverted.mean() / x.mean() - 1) < 0.01  # inverted: train expectation = test output (x)
    assert abs(original_train.mean() / original_test.mean() - 1) < 0.01  # original: likewise with (1 - rate) x
