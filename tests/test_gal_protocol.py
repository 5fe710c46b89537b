"""Gal & Ghahramani's protocol: what each stage trains and scores on (tau and the dropout
rate are never chosen on test rows), the stacked training against Keras, the scores of a
model without dropout, the results folder and the table."""

import math

import numpy as np
import pytest

from dropout_lab.data.uci import UciSet
from dropout_lab.gal import protocol as protocol_module
from dropout_lab.gal.config import GalProtocol
from dropout_lab.gal.protocol import run_protocol, write_result
from dropout_lab.gal.table import reproduction_table
from dropout_lab.gal.train import Fit, FitScores, train_fits

from .conftest import SHARED_DATA


def toy_set(rows: int = 40, n_splits: int = 2, seed: int = 0) -> UciSet:
    """A linear target with noise, 8 test rows per split."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=rows)
    splits = []
    for k in range(n_splits):
        order = np.random.default_rng(k).permutation(rows)
        splits.append((order[: rows - 8], order[rows - 8:]))
    return UciSet("toy", X, y, tuple(splits), (0.01, 0.1), (0.5, 1.0), 8, 40, "memory")


def config(**keys) -> GalProtocol:
    return GalProtocol.model_validate({"name": "toy", "data": {"dataset": "uci", "name": "yacht"}, "epochs": 3,
                                       "samples": 4, "hidden_units": 8, "xla": False, **keys})


def test_the_grid_is_chosen_on_validation_rows_and_only_the_final_fit_sees_the_test_rows(monkeypatch):
    uci = toy_set()
    test_rows = {k: set(test.tolist()) for k, (_, test) in enumerate(uci.splits)}
    calls = []

    def fake(fits, **options):
        calls.append((fits, options))
        return [FitScores(1.0, 1.0, (-abs(fit.rate - 0.1) - abs(fit.taus[0] - 0.5),)) for fit in fits]  # best: 0.1, 0.5

    monkeypatch.setattr(protocol_module, "train_fits", fake)
    result = run_protocol(config(), uci=uci)
    (grid, grid_options), (final, final_options) = calls
    assert len(grid) == 2 * 4 and len(final) == 2
    for i, fit in enumerate(grid):
        k = i // 4
        train_rows = uci.splits[k][0]
        cut = int(0.8 * len(train_rows))
        # trained on the first 80% of the training part, validated on the rest: never a test row
        fitted, validated = train_rows[:cut], train_rows[cut:]
        assert np.array_equal(fit.X_train, uci.X[fitted]) and np.array_equal(fit.y_train, uci.y[fitted])
        assert np.array_equal(fit.X_eval, uci.X[validated]) and np.array_equal(fit.y_eval, uci.y[validated])
        assert not set(train_rows.tolist()) & test_rows[k]
        assert fit.weight_decay == pytest.approx(1e-4 * (1 - fit.rate) / (2 * cut * fit.taus[0]))
    for k, fit in enumerate(final):
        train_rows, test = uci.splits[k]
        assert np.array_equal(fit.X_train, uci.X[train_rows]) and np.array_equal(fit.y_eval, uci.y[test])
        assert (fit.rate, fit.taus) == (0.1, (0.5,))
        assert fit.weight_decay == pytest.approx(1e-4 * 0.9 / (2 * len(train_rows) * 0.5))
    assert result.splits[["rate", "tau"]].values.tolist() == [[0.1, 0.5], [0.1, 0.5]]
    assert grid_options["samples"] == final_options["samples"] == 4


def test_a_network_without_dropout_scores_as_one_gaussian():
    """With rate 0 every pass is the standard prediction: MC RMSE = RMSE, and the test
    log-likelihood is the Gaussian log density at the prediction, -tau rmse^2 / 2 - log(2 pi)/2 + log(tau)/2."""
    uci = toy_set()
    X_train, y_train, X_test, y_test = uci.split(0)
    fit = Fit(X_train, y_train, X_test, y_test, 0.0, 1e-5, (0.5, 2.0), seed=3)
    (scores,) = train_fits([fit], hidden=8, epochs=5, batch_size=16, learning_rate=0.01, samples=7, jit=False)
    assert scores.mc_rmse == pytest.approx(scores.rmse, rel=1e-5)
    for tau, ll in zip((0.5, 2.0), scores.ll, strict=True):
        assert ll == pytest.approx(-0.5 * tau * scores.rmse**2 - 0.5 * math.log(2 * math.pi) + 0.5 * math.log(tau),
                                   rel=1e-4)


@pytest.mark.slow  # trains a Keras model too
def test_the_stacked_training_is_keras_mse_with_l2_and_adam(monkeypatch):
    """Full batches (no shuffle matters), no dropout: the same weights as a Keras model with
    kernel_regularizer L2 on both Dense layers, trained by Adam on mse, from the same start."""
    import keras

    from dropout_lab.gal import train as train_module

    uci = toy_set()
    X_train, y_train, X_test, y_test = uci.split(0)
    decay = 1e-3
    start = train_module._initial(3, 8, seed=5)
    monkeypatch.setattr(train_module, "_initial", lambda *args: [w.copy() for w in start])
    fit = Fit(X_train, y_train, X_test, y_test, 0.0, decay, (1.0,), seed=0)
    (ours,) = train_fits([fit], hidden=8, epochs=20, batch_size=64, learning_rate=0.01, samples=1, jit=False)

    Xs, ys, Xe, mean_y, std_y = train_module._standardized(fit)
    model = keras.Sequential([keras.Input((3,)),
                              keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(decay)),
                              keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(decay))])
    model.set_weights(start)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    model.fit(Xs, ys, batch_size=64, epochs=20, shuffle=False, verbose=0)
    theirs = model.predict(Xe, verbose=0)[:, 0] * std_y + mean_y
    assert ours.rmse == pytest.approx(float(np.sqrt(np.mean((theirs - y_test) ** 2))), rel=1e-5)  # 2x decay: 1e-3


@pytest.mark.slow
def test_a_network_scores_the_same_alone_and_stacked_with_others():
    uci = toy_set(rows=60)
    fits = [Fit(*uci.split(k), rate, 1e-4, (1.0,), seed=10 + k) for k, rate in ((0, 0.1), (1, 0.3))]
    # fewer training rows (idle in the later steps), as many evaluation rows (the passes' layout is the stack's)
    short = Fit(uci.X[:20], uci.y[:20], uci.X[40:48], uci.y[40:48], 0.2, 1e-3, (0.5,), seed=99)
    options = dict(hidden=8, epochs=4, batch_size=16, learning_rate=0.01, samples=6, jit=False)
    alone = train_fits(fits[:1], **options)
    stacked = train_fits([short, *fits], **options)
    assert stacked[1].mc_rmse == pytest.approx(alone[0].mc_rmse, rel=1e-5)
    assert stacked[1].ll[0] == pytest.approx(alone[0].ll[0], rel=1e-5)


def test_the_protocol_writes_its_folder_and_the_table_judges_it(tmp_path):
    uci = toy_set()
    result = run_protocol(config(splits=[0, 1]), uci=uci)
    assert list(result.splits.columns) == ["split", "rate", "tau", "val_ll", "test_rmse", "test_mc_rmse", "test_ll"]
    assert len(result.grid) == 8 and np.isfinite(result.splits[["test_mc_rmse", "test_ll"]].values).all()
    folder = write_result(result, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["grid.csv", "run.json", "splits.csv"]
    text = reproduction_table(tmp_path)
    line = next(line for line in text.splitlines() if line.startswith("| yacht |"))
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    rmse, se = result.summary()["mc_rmse"]
    assert cells[1:3] == ["0.67 +- 0.05", f"{rmse:.3f} +- {se:.3f}"]
    assert cells[3].startswith("reproduced" if abs(rmse - 0.67) <= 2 * math.hypot(se, 0.05) else "not reproduced")
    assert cells[7:10] == ["2", "3", "4"]


@pytest.mark.slow
@pytest.mark.skipif(not (SHARED_DATA / "uci" / "yacht" / "data.txt").is_file(), reason="no shared UCI copy")
def test_the_protocol_on_two_real_splits_of_yacht(tmp_path):
    cfg = GalProtocol.model_validate({"name": "yacht", "data": {"dataset": "uci", "name": "yacht"}, "splits": [0, 5],
                                      "epochs": 30, "samples": 50, "xla": False})
    result = run_protocol(cfg, SHARED_DATA)
    assert result.splits.split.tolist() == [0, 5] and len(result.grid) == 2 * 12
    assert set(result.splits.tau) <= {0.25, 0.5, 0.75} and set(result.splits.rate) <= {0.005, 0.01, 0.05, 0.1}
    assert np.isfinite(result.splits[["test_rmse", "test_mc_rmse", "test_ll"]].values).all()
