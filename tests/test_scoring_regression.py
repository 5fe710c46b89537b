"""Regression scores against values worked out by hand on small examples (issue 22)."""

import math

import numpy as np
import pytest

from dropout_lab import scoring
from dropout_lab.scoring import regression as reg

Z90, Z95 = 1.6448536269514722, 1.959963984540054  # the standard normal's 0.95 and 0.975 quantiles
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def test_rmse_mae_r2_by_hand():
    y, pred = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    scores = reg.score_fold(y, pred, y, pred)
    assert scores["test_rmse"] == pytest.approx(math.sqrt(1 / 3))
    assert scores["test_mae"] == pytest.approx(1 / 3)
    assert scores["test_r2"] == pytest.approx(1 - 1 / 2)  # SS_res 1, SS_tot 2
    assert list(scores) == reg.columns()


def test_r2_is_undefined_for_a_constant_target():
    assert math.isnan(reg.score_fold([1.0, 1.0], [1.0, 2.0], [1.0, 1.0], [1.0, 2.0])["test_r2"])


# two passes over two rows: row 0 gets 1 and 3 (y = 2, errors -1 and +1), row 1 gets 2 and 2 (y = 2)
SAMPLES = np.array([[1.0, 2.0], [3.0, 2.0]])
Y = np.array([2.0, 2.0])


@pytest.mark.parametrize("tau, rows", [
    # per row: log(mean_t exp(-tau/2 e_t**2)) - log(2 pi)/2 + log(tau)/2
    (1.0, [-0.5 - HALF_LOG_2PI, 0.0 - HALF_LOG_2PI]),
    (4.0, [-2.0 - HALF_LOG_2PI + math.log(2.0), 0.0 - HALF_LOG_2PI + math.log(2.0)]),
])
def test_gaussian_log_likelihood_by_hand(tau, rows):
    assert reg.gaussian_log_likelihood(Y, SAMPLES, tau) == pytest.approx(np.mean(rows))


def test_predictive_sd_adds_the_inverse_precision_to_the_passes_variance():
    # row 0: passes 1 and 3 have variance 1 (ddof 0); row 1: 0
    assert reg.predictive_sd(SAMPLES, tau=2.0) == pytest.approx([math.sqrt(1.5), math.sqrt(0.5)])


def test_picp_and_width_by_hand():
    y, mean, sd = np.array([0.0, 1.0, 3.0]), np.zeros(3), np.array([1.0, 0.5, 2.0])
    # 90%: half-widths 1.645, 0.822, 3.290 -> rows 0 and 2 inside; 95%: 1.960, 0.980, 3.920 -> the same
    assert reg.coverage(y, mean, sd, 0.9) == pytest.approx(2 / 3)
    assert reg.coverage(y, mean, sd, 0.95) == pytest.approx(2 / 3)
    assert reg.mean_width(sd, 0.9) == pytest.approx(2 * Z90 * 3.5 / 3)
    assert reg.mean_width(sd, 0.95) == pytest.approx(2 * Z95 * 3.5 / 3)
    assert reg.coverage(y, mean, np.full(3, 2.0), 0.9) == pytest.approx(1.0)  # 3 <= 3.29


def test_mc_scores_of_a_fold_by_hand():
    scores = reg.score_fold(Y, Y, Y, SAMPLES.mean(axis=0), SAMPLES, tau=1.0)
    sd = np.array([math.sqrt(2.0), 1.0])  # 1/tau + variance of the passes
    assert scores["mc_test_rmse"] == pytest.approx(0.0)
    assert scores["mc_test_ll"] == pytest.approx(np.mean([-0.5 - HALF_LOG_2PI, -HALF_LOG_2PI]))
    assert scores["mc_test_picp90"] == 1.0 and scores["mc_test_picp95"] == 1.0
    assert scores["mc_test_width90"] == pytest.approx(2 * Z90 * sd.mean())
    assert scores["mc_test_sd"] == pytest.approx(sd.mean())
    assert scores["mc_tau"] == 1.0
    assert list(scores)[len(reg.columns()):] == reg.mc_columns()


def test_choose_tau_maximizes_the_validation_likelihood():
    # one pass at 0: the likelihood -tau/2 mean(r**2) + log(tau)/2 peaks at tau = 1 / mean(r**2)
    residuals = np.array([1.0, -1.0, 2.0, -2.0])
    assert reg.choose_tau(residuals, np.zeros((1, 4))) == pytest.approx(1 / 2.5, rel=1e-4)


def test_the_metric_table_drives_columns_bounds_and_directions():
    assert scoring.higher_is_better("test_rmse") is False and scoring.higher_is_better("mc_test_r2") is True
    assert scoring.higher_is_better("mc_test_picp90") is None  # near nominal is better, not higher
    assert scoring.bounds("test_rmse") == (0.0, math.inf) and scoring.bounds("mc_test_picp95") == (0.0, 1.0)
    assert scoring.bounds("mc_tau") == (0.0, math.inf)
    assert scoring.task_of(reg.columns()) == "regression" and scoring.primary(reg.columns()) == ("test_rmse",
                                                                                                 "train_rmse")
    assert scoring.score_column("rmse") == "test_rmse"
    assert {"test_rmse", "mc_test_ll", "rmse"} <= set(scoring.compare_choices())
