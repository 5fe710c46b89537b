import math

import pytest
from scipy import special, stats

from dropout_lab.errors import StatsError
from dropout_lab.stats import bayesian_correlated_ttest, corrected_resampled_ttest

# The paired differences of test_stats.py: a 10-fold CV on 208 rows, n_train = 187, n_test = 21.
DIFFS = [0.02, -0.01, 0.05, 0.03, 0.00, 0.04, 0.01, 0.02, -0.02, 0.03]
N_TRAIN, N_TEST = 187, 21


def student_cdf(x, df):
    """P(T_df <= x) through the regularized incomplete beta function, independent of scipy.special.stdtr."""
    tail = 0.5 * special.betainc(df / 2, 0.5, df / (df + x * x))
    return tail if x < 0 else 1 - tail


def test_posterior_probabilities_by_hand():
    n, mean, s2 = 10, 0.017, 4410e-6 / 9  # the sum of the diffs is 0.17; squared deviations sum to 4410e-6
    rho = N_TEST / (N_TEST + N_TRAIN)  # Corani & Benavoli: the correlation of the folds' differences
    scale = math.sqrt((1 / n + rho / (1 - rho)) * s2)  # = 0.010200
    left = student_cdf((-0.01 - mean) / scale, n - 1)  # P(mu < -rope): t = -2.647
    right = 1 - student_cdf((0.01 - mean) / scale, n - 1)  # P(mu > rope): t = -0.686
    result = bayesian_correlated_ttest(DIFFS, N_TRAIN, N_TEST, rope=0.01)
    assert (result.n, result.df) == (10, 9)
    assert result.loc == pytest.approx(mean) and result.scale == pytest.approx(scale)
    assert result.p_left == pytest.approx(left) and result.p_right == pytest.approx(right)
    assert result.p_rope == pytest.approx(1 - left - right)
    assert 0.01 < result.p_left < 0.02 and 0.7 < result.p_right < 0.8  # the values the formulas give, roughly
    posterior = stats.t(n - 1, loc=mean, scale=scale)  # and scipy's Student distribution agrees
    assert result.p_rope == pytest.approx(posterior.cdf(0.01) - posterior.cdf(-0.01))


def test_without_a_rope_the_left_mass_is_the_corrected_tests_one_sided_p():
    result = bayesian_correlated_ttest(DIFFS, N_TRAIN, N_TEST, rope=0.0)
    assert result.p_rope == pytest.approx(0.0, abs=1e-12)
    assert result.p_left == pytest.approx(corrected_resampled_ttest(DIFFS, N_TRAIN, N_TEST).p / 2)


@pytest.mark.parametrize("diffs, probabilities", [
    ([0.02] * 5, (0.0, 0.0, 1.0)),  # every difference 0.02 > rope: a point posterior, B better for sure
    ([0.005] * 5, (0.0, 1.0, 0.0)),  # inside the rope
    ([-0.03] * 5, (1.0, 0.0, 0.0)),
])
def test_equal_differences_give_a_point_posterior(diffs, probabilities):
    result = bayesian_correlated_ttest(diffs, N_TRAIN, N_TEST, rope=0.01)
    assert (result.p_left, result.p_rope, result.p_right) == probabilities


@pytest.mark.parametrize("rope", [-0.01, math.nan, "0.01", True])
def test_a_rope_must_be_a_number_at_least_zero(rope):
    with pytest.raises(StatsError, match="Expected rope to be a number >= 0"):
        bayesian_correlated_ttest(DIFFS, N_TRAIN, N_TEST, rope=rope)
