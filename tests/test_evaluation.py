import numpy as np
import pandas as pd
import pytest

from dropout_lab.config import load_config
from dropout_lab.data import Dataset, load_dataset
from dropout_lab.evaluation import FOLD_COLUMNS, evaluate, run_experiment
from dropout_lab.splits import derive_seed

from .conftest import CONFIGS

TINY = ["training.epochs=2", "evaluation.n_splits=2"]
ACCURACY = ["train_accuracy", "test_accuracy", "test_loss"]
HOLDOUT = "evaluation={protocol: holdout, train_fraction: 0.5, shuffle: true, history: false}"  # one training


@pytest.fixture(scope="module")
def sonar(sonar_dir):
    return load_dataset(load_config(CONFIGS / "smoke.yaml").data, sonar_dir)


@pytest.fixture(scope="module")
def smoke(sonar):
    """The smoke config on TINY settings, trained once for the tests that read it: the config,
    its RunResult and the FoldResults passed to on_fold."""
    cfg = load_config(CONFIGS / "smoke.yaml", TINY)
    seen = []
    return cfg, run_experiment(cfg, sonar, on_fold=seen.append), seen


def cross_validate(cfg, dataset):
    return evaluate(cfg, dataset).folds


def test_cross_validate_rows_and_determinism(sonar, smoke):
    cfg, result, _ = smoke
    first = result.folds
    assert list(first.columns) == FOLD_COLUMNS and list(first["fold"]) == [1, 2]
    assert (first["n_train"] + first["n_test"] == 208).all() and first["n_test"].sum() == 208
    assert first[["train_accuracy", "test_accuracy"]].apply(lambda c: c.between(0, 1)).all().all()
    assert (first["test_loss"] > 0).all() and (first["fit_seconds"] > 0).all()
    again = cross_validate(cfg, sonar)
    assert first[ACCURACY].equals(again[ACCURACY])


def test_another_seed_gives_other_folds_and_numbers(sonar, smoke):
    a = smoke[1].folds
    b = cross_validate(load_config(CONFIGS / "smoke.yaml", [*TINY, "seed=8"]), sonar)
    assert list(b["model_seed"]) == [derive_seed(8, k) for k in (1, 2)] != list(a["model_seed"])
    assert not a[ACCURACY].equals(b[ACCURACY])


def test_learns_a_separable_problem():
    """A real outcome, not just shapes: a trivially separable set is learned."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    cfg = load_config(CONFIGS / "smoke.yaml", ["training.epochs=15", HOLDOUT])
    folds = cross_validate(cfg, Dataset("toy", X, y, "test", "-"))
    assert list(folds["n_test"]) == [100] and folds["test_accuracy"].mean() > 0.9


def test_run_experiment_records_provenance(sonar, smoke):
    cfg, result, seen = smoke
    assert len(seen) == 2 and seen[0].fold == 1
    info = result.info
    assert info["config_hash"] == cfg.config_hash() and info["seed"] == 7
    assert info["dataset"]["checksum"] == sonar.checksum
    assert {"python", "tensorflow", "keras", "scikeras", "scikit-learn", "numpy"} <= set(info["versions"])
    assert info["threads"]["op_determinism"] is True and info["wall_seconds"] > 0


@pytest.mark.slow  # fast cover: test_orchestrate's processes executor (jobs=2) gives the numbers of one process
def test_parallel_folds_give_the_same_numbers(sonar):
    cfg = load_config(CONFIGS / "smoke.yaml", [*TINY, "evaluation.repeats=2"])
    one, two = evaluate(cfg, sonar, jobs=1).folds, evaluate(cfg, sonar, jobs=2).folds
    assert list(two["repeat"]) == [1, 1, 2, 2] and list(two["fold"]) == [1, 2, 1, 2]  # ordered, whatever finished first
    pd.testing.assert_frame_equal(one.drop(columns="fit_seconds"), two.drop(columns="fit_seconds"), check_exact=True)


def test_resumed_folds_are_not_trained_again(sonar, smoke):
    cfg, full, kept = smoke
    done = {(1, 1): next(r for r in kept if r.fold == 1)}
    trained = []
    resumed = evaluate(cfg, sonar, on_fold=lambda result: trained.append(result.fold), done=done)
    assert trained == [2]
    pd.testing.assert_frame_equal(resumed.folds.drop(columns="fit_seconds"), full.folds.drop(columns="fit_seconds"))
    pd.testing.assert_frame_equal(resumed.predictions, full.predictions)


@pytest.mark.parametrize("kind", ["cnn", "lstm"])
def test_the_scikeras_engine_trains_image_and_sequence_models_on_flat_rows(kind):
    """The model gets the dataset's input_shape and reshapes the (scaled, split) flat rows
    itself; a CNN and an LSTM learn a problem that lives in one region of the sample."""
    from dropout_lab.config import Experiment
    from dropout_lab.data import checksum

    shape = (4, 4, 1) if kind == "cnn" else (4, 4)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 16))
    signal = X.reshape(120, 4, 4)[:, :2, :2].sum(axis=(1, 2))  # the top-left corner / first two steps
    y = (signal > np.median(signal)).astype(np.int64)
    layers = {
        "cnn": [{"type": "conv2d", "filters": 4, "kernel_size": 2, "padding": "same"},
                {"type": "spatial_dropout2d", "rate": 0.1}, {"type": "flatten"}],
        "lstm": [{"type": "lstm", "units": 8, "dropout": 0.1, "recurrent_dropout": 0.1}],
    }[kind]
    cfg = Experiment.model_validate({
        "name": kind, "data": {"dataset": "circles"},
        "model": {"layers": [*layers, {"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "training": {"optimizer": {"name": "adam", "learning_rate": 0.05}, "epochs": 30, "batch_size": 16},
        "evaluation": {"protocol": "holdout", "train_fraction": 0.5, "shuffle": True, "history": False},
    })
    folds = evaluate(cfg, Dataset(kind, X, y, "memory", checksum(X, y), input_shape=shape)).folds
    assert list(folds["n_test"]) == [60]
    assert folds["test_accuracy"].mean() > 0.75, folds


@pytest.mark.parametrize("engine", ["scikeras", "fused"])
def test_a_multiclass_run_scores_predicts_and_keeps_every_held_out_row(engine):
    """Three classes with class names out of sorted order: every row is predicted once per
    repeat, the scores come from those predictions, and the model learns."""
    rng = np.random.default_rng(0)
    y = np.arange(150) % 3
    X = rng.normal(size=(150, 4)) * 0.3
    X[:, 0] += 3.0 * y
    data = Dataset("toy3", X, y.astype(np.int64), "test", "-", classes=("c", "a", "b"))
    cfg = load_config(CONFIGS / "random_5class.yaml", [
        "model.layers[4].units=3", "training.epochs=15", "training.optimizer.learning_rate=0.01",
        f"training.engine={engine}", "evaluation={protocol: kfold, n_splits: 2, repeats: 2}",
    ])
    result = evaluate(cfg, data)
    folds, predictions = result.folds, result.predictions
    assert list(folds.columns) == FOLD_COLUMNS and len(folds) == 4
    assert folds["test_accuracy"].mean() > 0.9 and folds["test_auc"].min() > 0.9
    assert list(predictions.columns) == ["row", "repeat", "fold", "true", "predicted", "p_c", "p_a", "p_b"]
    for repeat in (1, 2):
        rows = predictions[predictions["repeat"] == repeat]["row"]
        assert sorted(rows) == list(range(150))  # each row held out exactly once per repeat
    assert (predictions["true"] == np.array(["c", "a", "b"])[y[predictions["row"]]]).all()
    # folds.csv's test accuracy is the accuracy of the kept predictions
    for (repeat, fold), part in predictions.groupby(["repeat", "fold"]):
        row = folds[(folds["repeat"] == repeat) & (folds["fold"] == fold)].iloc[0]
        assert row["test_accuracy"] == pytest.approx((part["true"] == part["predicted"]).mean())
        assert row["n_test"] == len(part)
