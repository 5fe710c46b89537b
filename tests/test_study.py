"""The study tables (issue 12) from run directories' fold tables."""

from pathlib import Path

import pandas as pd
import pytest

from dropout_lab.compare import compare_runs
from dropout_lab.results import SavedRun
from dropout_lab.study import default_reference, interval, mode_table, regularizer_table


def _run(name, engine, acc, ece, mc_acc=None):
    folds = pd.DataFrame({"repeat": 1, "fold": [1, 2, 3, 4], "split_seed": 7, "n_train": 90, "n_test": 10,
                          "test_accuracy": acc, "test_ece": ece, "test_loss": [0.5, 0.4, 0.6, 0.5]})
    if mc_acc is not None:
        folds = folds.assign(mc_test_accuracy=mc_acc, mc_test_ece=[e - 0.01 for e in ece],
                             mc_test_loss=[0.45, 0.4, 0.55, 0.5])
    return SavedRun(Path(name), name, folds, {"dataset": {"checksum": "abc"}}, {"training": {"engine": engine}})


RUNS = {
    "sonar_none": _run("sonar_none", "fused", [0.8, 0.7, 0.9, 0.8], [0.10, 0.12, 0.08, 0.11]),
    "sonar_dropout": _run("sonar_dropout", "fused", [0.9, 0.8, 0.9, 0.9], [0.05, 0.06, 0.07, 0.05],
                          mc_acc=[0.9, 0.9, 0.9, 0.8]),
    "sonar_none_scikeras": _run("sonar_none_scikeras", "scikeras", [0.8, 0.8, 0.8, 0.7], [0.1] * 4),
    "sonar_batchnorm": _run("sonar_batchnorm", "scikeras", [0.7, 0.8, 0.8, 0.7], [0.2, 0.1, 0.1, 0.2]),
}


def test_each_run_is_compared_with_the_unregularized_run_on_its_engine():
    refs = {name: default_reference(name, RUNS) for name in RUNS}
    assert refs == {"sonar_none": "sonar_none", "sonar_dropout": "sonar_none",
                    "sonar_none_scikeras": "sonar_none_scikeras", "sonar_batchnorm": "sonar_none_scikeras"}
    table = regularizer_table(RUNS, refs).set_index("config")
    expected = compare_runs({"a": RUNS["sonar_none"].folds, "b": RUNS["sonar_dropout"].folds}).iloc[0]
    assert table.loc["sonar_dropout", "accuracy diff"].startswith(f"{expected['diff']:+.3f} [{expected['ci_lo']:+.3f}")
    assert table.loc["sonar_none", "accuracy diff"] == ""
    assert table.loc["sonar_dropout", "test accuracy"].startswith("0.875 [")


def test_the_mode_table_pairs_mc_and_standard_on_the_same_folds():
    table = mode_table({"sonar_dropout": RUNS["sonar_dropout"]}).set_index("metric")
    assert table.loc["ece", "mc - standard"].startswith("-0.010 [-0.010, -0.010]")  # every fold 0.01 lower
    assert table.loc["accuracy", "mc - standard"].startswith("+0.000")
    assert mode_table({"sonar_none": RUNS["sonar_none"]}).iloc[0]["mc dropout"] == ""


def test_intervals_of_a_loss_stay_above_0():
    loss = pd.Series([0.01, 0.02, 1.0])  # the plain t-interval of the mean reaches below 0
    assert interval(loss, "test_loss").startswith("0.343 [0.000, ")
    assert interval(loss, "fit_seconds").startswith("0.343 [-")  # no bounds: not clipped


@pytest.mark.parametrize("name", ["sonar_l2", "circles_l2"])
def test_a_run_without_its_reference_gets_none(name):
    runs = {name: _run(name, "fused", [0.8] * 4, [0.1] * 4)}
    assert default_reference(name, runs) is None
