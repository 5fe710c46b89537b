import math
import warnings

import numpy as np
import pytest
from scipy import special, stats

from dropout_lab.errors import StatsError
from dropout_lab.stats import (
    Summary,
    clip_difference,
    corrected_resampled_ttest,
    format_p,
    mean_ci,
    paired_ttest,
    verdict,
)

# Ten paired fold differences (b - a) of a 10-fold CV on 208 rows: n_train = 187, n_test = 21.
DIFFS = [0.02, -0.01, 0.05, 0.03, 0.00, 0.04, 0.01, 0.02, -0.02, 0.03]
N_TRAIN, N_TEST = 187, 21


def two_sided_p(t, df):
    """P(|T_df| > |t|) through the regularized incomplete beta function, independent of scipy.stats.t."""
    return special.betainc(df / 2, 0.5, df / (df + t * t))


def test_corrected_ttest_matches_the_hand_computation():
    J = 10
    mean = 0.17 / J  # sum of the diffs is 0.17
    # deviations from 0.017, squared, in units of 1e-6: 9 + 729 + 1089 + 169 + 289 + 529 + 49 + 9 + 1369 + 169
    s2 = 4410e-6 / (J - 1)  # = 0.00049
    var = (1 / J + N_TEST / N_TRAIN) * s2  # Nadeau & Bengio: (1/J + n_test/n_train) * s^2 = 1.0403e-4
    t = mean / math.sqrt(var)  # = 1.6668
    result = corrected_resampled_ttest(DIFFS, N_TRAIN, N_TEST)
    assert result.n == J and result.df == J - 1 and result.corrected
    assert result.mean == pytest.approx(mean)
    assert result.std == pytest.approx(math.sqrt(s2))
    assert result.se == pytest.approx(math.sqrt(var))
    assert result.t == pytest.approx(t) and result.t == pytest.approx(1.66677, abs=1e-5)
    assert result.p == pytest.approx(two_sided_p(t, J - 1)) and result.p == pytest.approx(0.1299, abs=1e-4)
    half = stats.t.ppf(0.975, J - 1) * math.sqrt(var)  # t_{9, 0.975} = 2.2622
    assert (result.lo, result.hi) == (pytest.approx(mean - half), pytest.approx(mean + half))
    assert result.lo < 0 < result.hi  # consistent with p > 0.05


def test_uncorrected_ttest_is_scipys_and_more_confident():
    plain = paired_ttest(DIFFS)
    reference = stats.ttest_1samp(DIFFS, 0.0)
    assert plain.t == pytest.approx(reference.statistic) and plain.t == pytest.approx(0.017 / math.sqrt(0.00049 / 10))
    assert plain.p == pytest.approx(reference.pvalue) and plain.p == pytest.approx(0.0381, abs=1e-4)
    assert not plain.corrected
    corrected = corrected_resampled_ttest(DIFFS, N_TRAIN, N_TEST)
    assert corrected.p > plain.p and corrected.se > plain.se
    assert corrected.lo < plain.lo and corrected.hi > plain.hi


def test_repeated_cv_uses_every_repeat_times_fold_difference():
    diffs = DIFFS * 3  # 3 repeats x 10 folds: J = 30
    result = corrected_resampled_ttest(diffs, N_TRAIN, N_TEST)
    s2 = np.var(diffs, ddof=1)
    assert result.n == 30 and result.df == 29
    assert result.se == pytest.approx(math.sqrt((1 / 30 + N_TEST / N_TRAIN) * s2))


@pytest.mark.parametrize("values", [[0.8, 0.9, 0.7, 0.8], DIFFS, [1, 2]])
@pytest.mark.parametrize("confidence", [0.95, 0.9])
def test_mean_ci_against_scipy(values, confidence):
    ci = mean_ci(values, confidence)
    sem = stats.sem(values)
    lo, hi = stats.t.interval(confidence, len(values) - 1, loc=np.mean(values), scale=sem)
    assert ci.n == len(values) and ci.confidence == confidence
    assert ci.mean == pytest.approx(np.mean(values)) and ci.std == pytest.approx(np.std(values, ddof=1))
    assert ci.se == pytest.approx(sem)
    assert (ci.lo, ci.hi) == (pytest.approx(lo), pytest.approx(hi))


@pytest.mark.parametrize("test", [
    lambda d: corrected_resampled_ttest(d, N_TRAIN, N_TEST),
    paired_ttest,
], ids=["corrected", "uncorrected"])
@pytest.mark.parametrize(("diffs", "t", "p"), [
    ([0.0] * 10, 0.0, 1.0),
    ([0.1] * 10, math.inf, 0.0),  # 0.1 is not exact in binary: the mean must still be exactly it
    ([-0.05] * 3, -math.inf, 0.0),
])
def test_zero_variance_is_decided_without_warnings(test, diffs, t, p):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = test(diffs)
    assert (result.t, result.p, result.std, result.se) == (t, p, 0.0, 0.0)
    assert result.lo == result.hi == result.mean == diffs[0]


@pytest.mark.parametrize("call", [
    lambda: corrected_resampled_ttest([0.02], N_TRAIN, N_TEST),
    lambda: corrected_resampled_ttest([], N_TRAIN, N_TEST),
    lambda: paired_ttest([0.02]),
    lambda: mean_ci([0.8]),
], ids=["corrected J=1", "corrected J=0", "uncorrected J=1", "mean_ci n=1"])
def test_fewer_than_two_values_is_a_clear_error(call):
    with pytest.raises(StatsError, match=r"need at least 2 values"):
        call()


# log-losses of three folds, one far off: the plain t-interval of their mean reaches below 0
LOSSES = [0.01, 0.02, 1.0]


@pytest.mark.parametrize("bounds, clipped_low, clipped_high", [
    ((0.0, math.inf), True, False),  # a loss: cut at 0 only
    ((0.0, 1.0), True, True),  # a proportion: cut at both ends
    ((-math.inf, math.inf), False, False),  # the default: as scipy's
])
def test_mean_ci_is_clipped_to_the_bounds(bounds, clipped_low, clipped_high):
    plain = mean_ci(LOSSES)
    assert plain.lo < 0.0 and plain.hi > 1.0  # what there is to clip
    ci = mean_ci(LOSSES, bounds=bounds)
    assert (ci.mean, ci.se) == (plain.mean, plain.se)
    assert ci.lo == (bounds[0] if clipped_low else plain.lo)
    assert ci.hi == (bounds[1] if clipped_high else plain.hi)


@pytest.mark.parametrize("bounds, expected", [
    ((0.0, 1.0), (-1.0, 1.0)), ((0.0, 2.0), (-1.5, 2.0)), ((0.0, math.inf), (-1.5, 2.5)),
])
def test_a_difference_is_clipped_to_where_differences_of_bounded_values_lie(bounds, expected):
    assert clip_difference(-1.5, 2.5, bounds) == expected


@pytest.mark.parametrize(("call", "message"), [
    (lambda: mean_ci(LOSSES, bounds=(1.0, 0.0)), "bounds must be two numbers with low < high"),
    (lambda: mean_ci(LOSSES, bounds=(0.0,)), r"bounds must be two numbers \(low, high\)"),
    (lambda: corrected_resampled_ttest(DIFFS, 0, N_TEST), "n_train and n_test must be numbers > 0"),
    (lambda: corrected_resampled_ttest([0.1, float("nan")], N_TRAIN, N_TEST), "must be finite"),
    (lambda: paired_ttest([[0.1, 0.2]]), "flat sequence"),
    (lambda: mean_ci(DIFFS, confidence=95), r"confidence must be a number in \(0, 1\)"),
])
def test_bad_inputs_are_refused(call, message):
    with pytest.raises(ValueError, match=message):  # StatsError is a ValueError too
        call()


def test_verdict_in_words():
    corrected = corrected_resampled_ttest(DIFFS, N_TRAIN, N_TEST)
    plain = paired_ttest(DIFFS)
    assert verdict("sonar_baseline", "sonar_input", corrected, plain) == (
        "sonar_input is not significantly different from sonar_baseline (corrected p = 0.13); "
        "the uncorrected test would say p = 0.0381")
    better = corrected_resampled_ttest([0.1] * 5, N_TRAIN, N_TEST)
    assert verdict("a", "b", better, better).startswith("b is significantly better than a (corrected p < 0.001)")
    worse = corrected_resampled_ttest([-0.1, -0.11, -0.12, -0.1, -0.13], N_TRAIN, N_TEST)
    assert verdict("a", "b", worse, worse).startswith("b is significantly worse than a")


@pytest.mark.parametrize(("p", "text"), [(0.41234, "p = 0.412"), (0.0499, "p = 0.0499"), (1.0, "p = 1"),
                                          (0.00099, "p < 0.001"), (0.0, "p < 0.001")])
def test_format_p(p, text):
    assert format_p(p) == text


@pytest.mark.parametrize("a, b", [
    ([0.80, 0.85, 0.90, 0.85], [0.70, 0.75, 0.72]),
    ([0.1, 0.4, 0.2, 0.9, 0.5], [0.3, 0.3, 0.31, 0.29]),
    (list(range(10)), [3.5, 4.0, 6.0]),
])
def test_welch_ttest_equals_scipy_on_values_and_on_summaries(a, b):
    import scipy.stats

    from dropout_lab.stats import welch_ttest

    expected = scipy.stats.ttest_ind(a, b, equal_var=False)
    t, p = welch_ttest(a, b)
    assert t == pytest.approx(expected.statistic, rel=1e-12) and p == pytest.approx(expected.pvalue, rel=1e-10)
    summary = Summary(float(np.mean(b)), float(np.std(b, ddof=1)), np.int64(len(b)))
    assert welch_ttest(a, summary) == pytest.approx((t, p), rel=1e-10)
    assert welch_ttest(a, tuple(b)) == (t, p)  # a tuple is values, never a summary


def test_welch_ttest_refuses_a_bad_summary():
    from dropout_lab.stats import welch_ttest

    with pytest.raises(StatsError, match=r"b: a Summary needs a finite mean, a std >= 0 and n >= 2; got "
                                         r"Summary\(mean=0.8, std=-1.0, n=10\)"):
        welch_ttest([0.1, 0.2], Summary(0.8, -1.0, 10))
