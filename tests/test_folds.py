"""One trained split's result (folds.py): folds.csv's columns, a fold's row, its held-out
predictions, and the one scoring path from predicted probabilities (no training); then each
fold of a real run scored once, in one place, whatever the engine."""

import numpy as np
import pandas as pd
import pytest

from dropout_lab import run_all, scoring
from dropout_lab.data import Dataset
from dropout_lab.folds import ENTROPY_COLUMNS, ID_COLUMNS, STOPPING_COLUMNS, fold_columns, fold_result
from dropout_lab.scoring import columns, mc_columns
from dropout_lab.splits import Split

from .conftest import CONFIGS

Y = np.array([0, 1, 0, 1, 0, 1, 0, 1])
DATA = Dataset("toy", np.zeros((8, 2)), Y, "test", "-", classes=("M", "R"))
SPLIT = Split(1, 2, 7, 11, np.arange(4), np.arange(4, 8))


@pytest.mark.parametrize("mc, stopping", [(False, False), (True, False), (False, True), (True, True)])
def test_the_columns_of_folds_csv(mc, stopping):
    scores = columns()
    expected = [*ID_COLUMNS, *scores[:3], "fit_seconds", *scores[3:],
                *([*mc_columns(), *ENTROPY_COLUMNS] if mc else []), *(STOPPING_COLUMNS if stopping else [])]
    assert fold_columns(mc, stopping) == expected
    assert scores[:3] == ["train_accuracy", "test_accuracy", "test_loss"]  # where folds.csv always had them


def test_a_fold_is_scored_from_its_probabilities_and_keeps_its_predictions():
    train = [0.2, 0.8, 0.4, 0.9]  # all four training rows right
    test = [0.1, 0.7, 0.6, 0.3]  # rows 4 and 5 right, 6 and 7 wrong
    result = fold_result(SPLIT, DATA, train, test, 1.23456, stopping={"stopped_epoch": 5, "best_epoch": 3})
    assert result.key == (1, 2) and (result.n_train, result.n_test) == (4, 4)
    row = result.row()
    assert list(row) == fold_columns(stopping=True)
    assert (row["train_accuracy"], row["test_accuracy"], row["fit_seconds"]) == (1.0, 0.5, 1.235)
    assert (row["stopped_epoch"], row["best_epoch"]) == (5, 3)
    assert row["test_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.7, 0.4, 0.3])), rel=1e-5)
    frame = result.predictions(DATA)
    assert frame["row"].tolist() == [4, 5, 6, 7] and set(frame["fold"]) == {2}
    assert frame["true"].tolist() == ["M", "R", "M", "R"] and frame["predicted"].tolist() == ["M", "R", "R", "M"]
    np.testing.assert_allclose(frame[["p_M", "p_R"]].sum(axis=1), 1.0)


def test_monte_carlo_probabilities_add_their_scores_and_columns():
    result = fold_result(SPLIT, DATA, [0.2, 0.8, 0.4, 0.9], [0.1, 0.7, 0.6, 0.3], 0.5,
                         mc_proba_test=[0.1, 0.7, 0.4, 0.6])  # all four right under MC dropout
    row = result.row()
    assert list(row) == fold_columns(mc=True)
    assert (row["test_accuracy"], row["mc_test_accuracy"]) == (0.5, 1.0)
    assert {"mc_p_M", "mc_p_R"} <= set(result.predictions(DATA).columns)


@pytest.mark.parametrize("engine", ["scikeras", "fused"])
def test_a_run_scores_each_fold_once(sonar_env, tmp_path, monkeypatch, engine):
    """A 2-fold run with Monte Carlo dropout: two calls of each scoring function, one per
    fold (the fused engine scored every fold twice before issue 20)."""
    calls = {"score_split": 0, "score_mc": 0}

    def counted(name):
        real = getattr(scoring.classification, name)

        def count(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return count

    for name in calls:
        monkeypatch.setattr(scoring.classification, name, counted(name))
    overrides = [f"training.engine={engine}", "training.epochs=1", "evaluation.n_splits=2",
                 "evaluation.inference={mode: mc_dropout, samples: 2}"]
    run_all([CONFIGS / "smoke.yaml"], tmp_path, overrides=overrides, plots=False, observers=[])
    folds = pd.read_csv(tmp_path / "smoke" / "folds.csv")
    assert len(folds) == 2 and folds["mc_test_accuracy"].notna().all()
    assert calls == {"score_split": 2, "score_mc": 2}
