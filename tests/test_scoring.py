"""Calibration scores (issue 12) against values computed by hand on small examples."""

import math

import numpy as np
import pandas as pd
import pytest

from dropout_lab import scoring
from dropout_lab.predictions import predictions_frame, reliability_over_folds
from dropout_lab.results import summarize

# binary: y, p(positive); rows [0.8, 0.2], [0.1, 0.9], [0.6, 0.4], [0.3, 0.7]
# predicted 0, 1, 0, 1 -> right, right, wrong, wrong; confidences 0.8, 0.9, 0.6, 0.7
BINARY_Y = np.array([0, 1, 1, 0])
BINARY_P = np.array([0.2, 0.9, 0.4, 0.7])
# three classes: predicted 0, 2, 0 -> right, right, wrong; confidences 0.55, 0.72, 0.45
MULTI_Y = np.array([0, 2, 1])
MULTI_P = np.array([[0.55, 0.25, 0.20], [0.10, 0.18, 0.72], [0.45, 0.35, 0.20]])


@pytest.mark.parametrize("y, proba, k, expected", [
    # (0.04 + 0.04) + (0.01 + 0.01) + (0.36 + 0.36) + (0.49 + 0.49) = 1.8, over 4 rows
    (BINARY_Y, BINARY_P, 2, 0.45),
    # (0.2025 + 0.0625 + 0.04) + (0.01 + 0.0324 + 0.0784) + (0.2025 + 0.4225 + 0.04) = 1.0908, over 3 rows
    (MULTI_Y, MULTI_P, 3, 1.0908 / 3),
])
def test_brier_is_the_mean_squared_distance_to_the_one_hot_label(y, proba, k, expected):
    assert scoring.score(y, proba, k, "test")["test_brier"] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("y, proba, k, bins, expected", [
    # bins of width 0.2: (0.4, 0.6] {0.6 wrong}: 1/4 * 0.6; (0.6, 0.8] {0.8 right, 0.7 wrong}: 2/4 * |0.5 - 0.75|;
    # (0.8, 1] {0.9 right}: 1/4 * 0.1
    (BINARY_Y, BINARY_P, 2, 5, 0.15 + 0.125 + 0.025),
    # one bin: |accuracy - mean confidence| = |0.5 - 0.75|
    (BINARY_Y, BINARY_P, 2, 1, 0.25),
    # bins of width 0.1, one row in each: (0.45 + 0.28 + 0.45) / 3
    (MULTI_Y, MULTI_P, 3, 10, 1.18 / 3),
])
def test_ece_over_equal_width_bins_of_the_top_class_confidence(y, proba, k, bins, expected):
    assert scoring.score(y, proba, k, "test", bins=bins)["test_ece"] == pytest.approx(expected, abs=1e-12)


def test_reliability_table_counts_rows_per_bin():
    table = scoring.reliability(BINARY_Y, scoring.as_proba(BINARY_P, 2), bins=5)
    assert list(table["count"]) == [0, 0, 1, 2, 1]
    assert table.loc[3, "accuracy"] == 0.5 and table.loc[3, "confidence"] == pytest.approx(0.75)
    assert np.isnan(table.loc[0, "accuracy"])


def test_reliability_over_folds_averages_folds_and_sums_counts():
    frame = pd.concat([
        predictions_frame([0, 1], 1, 1, [0, 1], [0.05, 0.95], ["a", "b"]),  # both right, conf 0.95
        predictions_frame([2, 3], 1, 2, [0, 1], [0.95, 0.95], ["a", "b"]),  # one right, conf 0.95
    ])
    table = reliability_over_folds(frame, ["a", "b"], bins=2)
    last = table.iloc[-1]
    assert last["count"] == 4 and last["accuracy"] == pytest.approx(0.75) and last["confidence"] == pytest.approx(0.95)


def test_nll_is_the_log_loss_of_the_true_class():
    expected = -np.mean(np.log([0.8, 0.9, 0.4, 0.3]))
    assert scoring.score(BINARY_Y, BINARY_P, 2, "test")["test_loss"] == pytest.approx(expected, rel=1e-12)


def test_entropy_of_right_and_wrong_predictions():
    values = scoring.entropy_split(BINARY_Y, scoring.as_proba(BINARY_P, 2))
    h = [-(p * np.log(p) + (1 - p) * np.log(1 - p)) for p in (0.2, 0.9, 0.4, 0.7)]
    assert values["entropy_correct"] == pytest.approx((h[0] + h[1]) / 2)
    assert values["entropy_wrong"] == pytest.approx((h[2] + h[3]) / 2)


@pytest.mark.parametrize("column, higher, bounds", [
    ("test_ece", False, (0, 1)), ("mc_test_ece", False, (0, 1)), ("test_brier", False, (0, 2)),
    ("mc_test_loss", False, (0, math.inf)), ("train_loss", False, (0, math.inf)),
    ("mc_test_accuracy", True, (0, 1)), ("train_ece", False, (0, 1)), ("test_auc", True, (0, 1)),
])
def test_score_columns_say_which_way_is_better_and_where_they_lie(column, higher, bounds):
    assert scoring.higher_is_better(column) is higher and scoring.bounds(column) == bounds


@pytest.mark.parametrize("column, bounds", [
    ("test_entropy_wrong", (0, math.inf)), ("mc_test_entropy_correct", (0, math.inf)),
    ("best_epoch", (1, math.inf)), ("fit_seconds", (-math.inf, math.inf)), ("n_test", (-math.inf, math.inf)),
])
def test_columns_beside_the_metrics_have_bounds_or_none(column, bounds):
    assert scoring.bounds(column) == bounds


@pytest.mark.parametrize("columns, note", [
    (["test_accuracy", "train_accuracy", "test_loss", "test_brier", "train_brier", "test_ece", "mc_test_loss"],
     "Intervals are clipped to their score's range: [0, 1] for accuracy, ece; [0, ∞) for loss; [0, 2] for brier."),
    (["test_accuracy", "test_entropy_wrong", "stopped_epoch", "fit_seconds"],
     "Intervals are clipped to their score's range: [0, 1] for accuracy; [0, ∞) for entropy_wrong; "
     "[1, ∞) for stopped_epoch; not clipped: fit_seconds."),
    (["fit_seconds"], "Intervals are not clipped."),
])
def test_the_bounds_note_says_which_rows_are_clipped_to_what(columns, note):
    assert scoring.bounds_note(columns) == note


def test_a_bare_metric_name_means_its_test_column():
    assert scoring.score_column("ece") == "test_ece" and scoring.score_column("mc_test_ece") == "mc_test_ece"
    assert {"ece", "test_ece", "mc_test_ece", "brier"} <= set(scoring.compare_choices())


def test_mc_scores_and_the_summary_cover_both_modes():
    values = scoring.score_mc(BINARY_Y, BINARY_P, [0.2, 0.9, 0.6, 0.3], 2, bins=5)
    assert values["mc_test_accuracy"] == 1.0 and values["test_entropy_wrong"] > 0
    assert np.isnan(values["mc_test_entropy_wrong"])  # nothing predicted wrong
    folds = pd.DataFrame([{"test_accuracy": 0.5, "train_accuracy": 0.9, "test_ece": 0.3, "mc_test_ece": 0.2},
                          {"test_accuracy": 0.7, "train_accuracy": 0.9, "test_ece": 0.1, "mc_test_ece": 0.1}])
    assert {"test_ece", "mc_test_ece"} <= set(summarize(folds).index)
