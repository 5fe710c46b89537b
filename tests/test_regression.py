"""Regression end to end (issue 22): the task in the config and the data, plain k-fold, the target
standardized on each training part only, tau chosen on training rows only, both engines."""

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, StratifiedKFold

from dropout_lab import run_all
from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.folds import fold_result
from dropout_lab.scoring import regression as reg
from dropout_lab.splits import Split, kfold, plan

from .conftest import CONFIGS

TINY = ["data.n_samples=60", "training.epochs=2", "evaluation.n_splits=3",
        "evaluation.inference={mode: mc_dropout, samples: 3}"]


def friedman(tmp_path, *overrides: str):
    """A Friedman #1 config (config/regression/friedman1_dropout.yaml, one cell) with ``overrides``."""
    text = (CONFIGS / "regression" / "friedman1_dropout.yaml").read_text().split("sweep:")[0]
    path = tmp_path / "f.yaml"
    path.write_text(text.replace("extends: friedman1_baseline.yaml",
                                 f"extends: {CONFIGS / 'regression' / 'friedman1_baseline.yaml'}"))
    return load_config(path, list(overrides))


def test_built_in_regression_datasets_describe_a_regression_task(tmp_path):
    cfg = friedman(tmp_path, "data.n_samples=50")
    data = load_dataset(cfg.data)
    assert cfg.data.task == "regression" and data.task == "regression" and data.is_regression
    assert data.classes == () and data.y.dtype == np.float64 and data.X.shape == (50, 10)
    assert len(np.unique(data.y)) == 50  # a continuous target, not classes


def test_a_csv_states_its_task_and_classification_configs_keep_their_hash(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3.5\n3,4,2.25\n2,2,1.5\n5,1,0.75\n")
    text = f"extends: {CONFIGS / 'smoke.yaml'}\ndata: {{dataset: csv, path: {tmp_path / 'd.csv'}}}\n"
    (tmp_path / "c.yaml").write_text(text)
    plain = load_config(tmp_path / "c.yaml")
    assert "task" not in plain.to_dict()["data"]  # the default is not written: hashes stay as they were
    data = load_dataset(load_config(tmp_path / "c.yaml", ["data.task=regression"]).data)
    assert data.task == "regression" and data.target == "y" and list(data.y) == [3.5, 2.25, 1.5, 0.75]


def test_regression_folds_are_plain_kfold_not_stratified(tmp_path):
    cfg = friedman(tmp_path, "data.n_samples=60", "evaluation.n_splits=4", "evaluation.repeats=2")
    y = load_dataset(cfg.data).y
    splitter = kfold(cfg, cfg.seed)
    assert type(splitter) is KFold and not isinstance(splitter, StratifiedKFold)
    planned = [s for s in plan(cfg, y) if s.repeat == 1]
    expected = KFold(4, shuffle=True, random_state=cfg.seed).split(np.zeros((60, 1)))
    for split, (train, test) in zip(planned, expected, strict=True):
        assert np.array_equal(split.train, train) and np.array_equal(split.test, test)
    assert len(plan(cfg, y)) == 8  # repeats as for classification


def test_the_fused_engine_scales_the_target_on_the_training_part_only(tmp_path):
    from dropout_lab.engines.fused import Task
    from dropout_lab.engines.fused.prepare import target_scale

    cfg = friedman(tmp_path)
    rng = np.random.default_rng(0)
    X, y_train = rng.random((20, 10)), rng.normal(5.0, 2.0, 20)
    a = Task(cfg, X, y_train, X[:5], np.zeros(5), seed=1)
    b = Task(cfg, X, y_train, X[:5], np.full(5, 1e6), seed=1)  # other test targets: the same scale
    assert target_scale(a) == target_scale(b) == pytest.approx((y_train.mean(), y_train.std()))
    assert target_scale(Task(friedman(tmp_path, "evaluation.standardize_target=false"), X, y_train, X[:5],
                             np.zeros(5), seed=1)) == (0.0, 1.0)


def test_the_scikeras_pipeline_scales_the_target_on_the_training_part_only(tmp_path):
    from dropout_lab.engines.scikeras import _fit_pipeline

    cfg = friedman(tmp_path, "data.n_samples=40", "training.epochs=1")
    data = load_dataset(cfg.data)
    train = np.arange(30)
    target = _fit_pipeline(cfg, data, train, seed=1).named_steps["model"].transformer_
    assert target.mean_[0] == pytest.approx(data.y[train].mean())
    assert target.mean_[0] != pytest.approx(data.y.mean())  # not the whole data's


def _split(train, test):
    return Split(1, 1, 7, 11, np.asarray(train), np.asarray(test))


def test_tau_is_chosen_on_the_validation_rows_never_on_the_test_rows():
    from dropout_lab.data import regression_dataset

    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(0, 1, 16), rng.normal(0, 10, 8)])  # test rows far noisier
    data = regression_dataset("toy", np.zeros((24, 1)), y, "test")
    split, val = _split(np.arange(16), np.arange(16, 24)), np.arange(4)
    passes_val, passes_test = np.zeros((5, 4)), np.zeros((5, 8))
    result = fold_result(split, data, np.zeros(16), np.zeros(8), 0.0, mc_proba_test=passes_test,
                         mc_validation=(val, passes_val))
    assert result.scores["mc_tau"] == pytest.approx(reg.choose_tau(y[val], passes_val))
    assert result.scores["mc_tau"] != pytest.approx(reg.choose_tau(y[16:], passes_test), rel=0.1)
    with pytest.raises(ValueError, match="training part only"):
        fold_result(split, data, np.zeros(16), np.zeros(8), 0.0, mc_proba_test=passes_test,
                    mc_validation=(np.array([15, 16]), np.zeros((5, 2))))


@pytest.mark.parametrize("engine", ["fused", pytest.param("scikeras", marks=pytest.mark.slow)])  # ~10 s loaded
def test_both_engines_train_a_tiny_regression_run_choosing_tau_on_training_rows(tmp_path, monkeypatch, engine):
    seen = []
    real = reg.choose_tau

    def spy(y_val, samples_val):
        seen.append(np.asarray(y_val))
        return real(y_val, samples_val)

    monkeypatch.setattr(reg, "choose_tau", spy)
    cfg_file = tmp_path / "f.yaml"
    friedman(tmp_path)  # writes f.yaml
    run_all([cfg_file], tmp_path / "out", overrides=[*TINY, f"training.engine={engine}"], plots=False,
            observers=[])
    folds = pd.read_csv(tmp_path / "out" / "friedman1_dropout" / "folds.csv")
    assert len(folds) == 3 and np.isfinite(folds[["test_rmse", "mc_test_ll", "mc_tau"]].to_numpy()).all()
    assert (folds[["mc_test_picp90", "mc_test_picp95"]].to_numpy() <= 1).all()
    y = load_dataset(load_config(cfg_file, TINY).data).y  # 60 distinct values: each names its row
    splits = plan(load_config(cfg_file, TINY), y)
    assert len(seen) == 3
    for split, chosen_on in zip(splits, seen, strict=True):
        assert set(chosen_on) <= set(y[split.train]) and not set(chosen_on) & set(y[split.test])
    predictions = pd.read_csv(tmp_path / "out" / "friedman1_dropout" / "predictions.csv")
    assert list(predictions.columns) == ["row", "repeat", "fold", "true", "predicted", "mc_mean", "mc_sd"]
    assert (predictions["mc_sd"] > 0).all()


def test_a_fixed_tau_trains_no_validation_model(tmp_path, monkeypatch):
    def refuse(*args):
        raise AssertionError("tau was chosen although the config fixes it")

    monkeypatch.setattr(reg, "choose_tau", refuse)
    friedman(tmp_path)
    overrides = [*TINY[:-1], "evaluation.inference={mode: mc_dropout, samples: 3, tau: 5.0}", "training.engine=fused"]
    run_all([tmp_path / "f.yaml"], tmp_path / "out", overrides=overrides, observers=[])
    run = tmp_path / "out" / "friedman1_dropout"
    folds = pd.read_csv(run / "folds.csv")
    assert (folds["mc_tau"] == 5.0).all() and np.isfinite(folds["mc_test_ll"]).all()
    written = {p.name for p in run.iterdir()}
    assert {"predicted.png", "residuals.png", "coverage.png", "coverage.csv", "test_rmse.png"} <= written
    assert not {"confusion.csv", "reliability.csv", "band.png"} & written  # classes' files; band: 1 feature only
    coverage = pd.read_csv(run / "coverage.csv")
    assert list(coverage["expected"]) == pytest.approx([0.05 * k for k in range(1, 20)])


@pytest.mark.slow
def test_the_two_engines_agree_on_a_small_study(tmp_path):
    """Friedman #1 (300 rows), 10-fold, the shipped baseline: each engine's mean test RMSE lies in
    the other's 95% interval."""
    from dropout_lab.results import summarize

    config = CONFIGS / "regression" / "friedman1_baseline.yaml"
    rows = {}
    for engine in ("fused", "scikeras"):
        run_all([config], tmp_path / engine, overrides=[f"training.engine={engine}"], plots=False, observers=[])
        rows[engine] = summarize(pd.read_csv(tmp_path / engine / "friedman1_baseline" / "folds.csv")).loc["test_rmse"]
    for a, b in (("fused", "scikeras"), ("scikeras", "fused")):
        assert rows[b]["ci95_low"] <= rows[a]["mean"] <= rows[b]["ci95_high"], rows
