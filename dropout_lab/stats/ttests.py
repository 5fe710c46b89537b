"""The t-tests over fold scores: confidence intervals, paired t-tests, Welch's test. Pure functions, no I/O.

Paired differences ``d_1 .. d_J`` are one score minus another on the same fold (``J`` =
repeats x folds).  With ``m`` their mean and ``s^2 = sum((d_j - m)^2) / (J - 1)`` their
sample variance (ddof=1), both tests compute

    t = m / sqrt(var),   df = J - 1,   p = 2 * P(T_df > |t|),
    CI = m -/+ t_{df, (1 + confidence) / 2} * sqrt(var)

and differ only in ``var``:

``paired_ttest``
    ``var = s^2 / J``: the textbook paired t-test.  It assumes the ``J`` differences are
    independent.  They are not in cross-validation: any two folds' training sets share
    most of their rows, so the differences are positively correlated and this test is
    overconfident (its type I error is far above the nominal level).

``corrected_resampled_ttest``
    ``var = (1/J + n_test/n_train) * s^2``: the corrected resampled t-test of Nadeau &
    Bengio (2003), whose ``n_test/n_train`` term stands in for the correlation between
    the differences; Bouckaert & Frank (2004) apply it to r-times repeated k-fold CV
    with ``J = r * k`` ("corrected repeated k-fold cv test") and show its type I error
    stays near the nominal level.

References:
    C. Nadeau and Y. Bengio. Inference for the Generalization Error. Machine Learning
    52(3):239-281, 2003.
    R. R. Bouckaert and E. Frank. Evaluating the Replicability of Significance Tests for
    Comparing Learning Algorithms. PAKDD 2004, LNCS 3056, pp. 3-12.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

# Student's t from scipy.special (what scipy.stats.t computes with, to the bit): importing
# scipy.stats would add about a second to every command that compares runs
from scipy.special import stdtr as _t_cdf
from scipy.special import stdtrit as _t_inverse_cdf

from ..errors import StatsError


@dataclass(frozen=True)
class MeanCI:
    """Mean of ``n`` values with a t-based confidence interval ``[lo, hi]``."""

    n: int
    mean: float
    std: float  # sample standard deviation, ddof=1
    se: float  # standard error, std / sqrt(n)
    lo: float
    hi: float
    confidence: float


@dataclass(frozen=True)
class TTest:
    """A paired t-test on ``n`` differences: is their mean 0?

    ``mean`` is the mean difference, ``std`` the sample standard deviation of the
    differences (ddof=1), ``se = sqrt(var)`` the standard error the test uses, ``t`` the
    statistic, ``df = n - 1``, ``p`` the two-sided p-value and ``[lo, hi]`` the confidence
    interval of the mean difference.
    """

    n: int
    mean: float
    std: float
    se: float
    t: float
    df: int
    p: float
    lo: float
    hi: float
    confidence: float
    corrected: bool


def mean_ci(values, confidence: float = 0.95, bounds: tuple[float, float] = (-math.inf, math.inf)) -> MeanCI:
    """Mean, sample std (ddof=1), standard error and t-based interval of ``values``.

    ``se = std / sqrt(n)``; ``[lo, hi] = mean -/+ t_{n-1, (1 + confidence)/2} * se``, clipped
    to ``bounds = (low, high)``, the range the values lie in (a score's:
    :func:`dropout_lab.scoring.bounds`).  The t-interval of a mean of fold scores near a bound
    can reach past it, e.g. ``[0.9930, 1.0027]`` for train accuracies of 1.0 and 0.986, or
    ``[-0.036, 1.090]`` for log-losses; no mean lies there, so the interval is cut at the bound.
    Needs at least two finite values.
    """
    x = _values(values, "values")
    _check_confidence(confidence)
    low, high = _check_bounds(bounds)
    n = x.size
    mean, s2 = _mean_var(x)
    std = math.sqrt(s2)
    se = std / math.sqrt(n)
    half = _t_quantile(confidence, n - 1) * se
    lo, hi = _clip(mean - half, mean + half, low, high)
    return MeanCI(n=n, mean=mean, std=std, se=se, lo=lo, hi=hi, confidence=confidence)


def accuracy_ci(values, confidence: float = 0.95) -> MeanCI:
    """``mean_ci`` of accuracies (or any proportions), with the interval clipped to [0, 1].

    The t-interval is kept rather than a binomial one (Wilson, Clopper-Pearson on the pooled
    counts) because it measures the spread between folds and repeats; pooled counts would
    treat the same test rows of every repeat as new, independent samples.
    """
    return mean_ci(values, confidence, bounds=(0.0, 1.0))


def clip_difference(lo: float, hi: float, bounds: tuple[float, float] = (0.0, 1.0)) -> tuple[float, float]:
    """An interval of a difference of two values in ``bounds = (low, high)``, cut to
    ``[low - high, high - low]`` where such differences lie: ``[-1, 1]`` for accuracies,
    not cut for losses (``(0, inf)``)."""
    low, high = _check_bounds(bounds)
    return _clip(lo, hi, low - high, high - low)


def corrected_resampled_ttest(diffs, n_train: float, n_test: float, confidence: float = 0.95) -> TTest:
    """Nadeau & Bengio's corrected resampled t-test on paired fold differences.

    ``var = (1/J + n_test/n_train) * s^2``, ``t = mean / sqrt(var)``, ``df = J - 1``
    (see the module docstring).  ``n_train`` and ``n_test`` are the sizes of a fold's
    training and test parts (the mean over folds when they differ by a row).  Needs ``J >= 2``.
    When every difference is the same, ``s^2 = 0``: then ``t = 0, p = 1`` if that
    difference is 0, else ``t = +/-inf, p = 0``, and the interval is the single point.
    """
    if not (_is_number(n_train) and _is_number(n_test) and n_train > 0 and n_test > 0):
        raise StatsError(f"n_train and n_test must be numbers > 0; got {n_train!r} and {n_test!r}")
    return _ttest(diffs, n_test / n_train, confidence, corrected=True)


def paired_ttest(diffs, confidence: float = 0.95) -> TTest:
    """The plain paired t-test: ``var = s^2 / J``, ``t = mean / sqrt(var)``, ``df = J - 1``.

    Equal to ``scipy.stats.ttest_1samp(diffs, 0)``; shown beside the corrected test for
    contrast, since on cross-validation folds it is overconfident.  Same edge cases as
    ``corrected_resampled_ttest``.
    """
    return _ttest(diffs, 0.0, confidence, corrected=False)


@dataclass(frozen=True)
class Summary:
    """A sample given by its mean, sample standard deviation (ddof=1) and size (>= 2), e.g.
    a published figure: ``Summary(0.8352, 0.0768 * sqrt(10 / 9), 10)``."""

    mean: float
    std: float
    n: int


def welch_ttest(a, b) -> tuple[float, float]:
    """Welch's two-sample t-test of ``mean(a) == mean(b)`` (unequal variances): ``(t, p)``.

    ``a`` and ``b`` are each a sequence of values or a :class:`Summary`.
    ``t = (m_a - m_b) / sqrt(v_a/n_a + v_b/n_b)`` with the Welch-Satterthwaite degrees of
    freedom; two-sided ``p``, equal to ``scipy.stats.ttest_ind(a, b, equal_var=False)`` on values.
    """
    (ma, va, na), (mb, vb, nb) = (_summary(x, what) for x, what in ((a, "a"), (b, "b")))
    se2 = va / na + vb / nb
    if se2 == 0.0:
        return (0.0, 1.0) if ma == mb else (math.copysign(math.inf, ma - mb), 0.0)
    t = (ma - mb) / math.sqrt(se2)
    df = se2**2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    return t, float(2.0 * _t_cdf(df, -abs(t)))


def _summary(x, what: str) -> tuple[float, float, int]:
    """(mean, sample variance, n) of values or of a :class:`Summary`."""
    if isinstance(x, Summary):
        if not (_is_number(x.mean) and _is_number(x.std) and x.std >= 0
                and isinstance(x.n, numbers.Integral) and not isinstance(x.n, bool) and x.n >= 2):
            raise StatsError(f"{what}: a Summary needs a finite mean, a std >= 0 and n >= 2; got {x}")
        return float(x.mean), float(x.std) ** 2, int(x.n)
    values = _values(x, what)
    return (*_mean_var(values), values.size)


def verdict(name_a: str, name_b: str, corrected: TTest, uncorrected: TTest, alpha: float = 0.05,
            higher_is_better: bool | None = True) -> str:
    """One line in words about ``name_b`` against ``name_a``, for tests on differences ``b - a``.

    ``"sonar_input is not significantly different from sonar_baseline (corrected p = 0.13);
    the uncorrected test would say p = 0.038"``.  Significance is ``corrected.p < alpha``;
    ``higher_is_better`` is False for a score such as a loss, None for one that is neither
    (a coverage, which should be near its nominal level): then "significantly higher/lower".
    """
    if corrected.p < alpha and higher_is_better is None:
        judged = "significantly higher than" if corrected.mean > 0 else "significantly lower than"
    elif corrected.p < alpha:
        better = corrected.mean > 0 if higher_is_better else corrected.mean < 0
        judged = "significantly better than" if better else "significantly worse than"
    else:
        judged = "not significantly different from"
    return (f"{name_b} is {judged} {name_a} (corrected {format_p(corrected.p)}); "
            f"the uncorrected test would say {format_p(uncorrected.p)}")


def format_p(p: float) -> str:
    """``p = 0.13``, ``p = 0.0381``, ``p < 0.001``: see ``p_value_text``."""
    text = p_value_text(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def p_value_text(p: float) -> str:
    """``0.13``, ``0.0381``, ``< 0.001``: three significant digits, floored at 0.001."""
    return "< 0.001" if p < 0.001 else f"{p:.3g}"


# --- helpers ---

def _ttest(diffs, ratio: float, confidence: float, corrected: bool) -> TTest:
    d = _values(diffs, "diffs")
    _check_confidence(confidence)
    n = d.size
    df = n - 1
    mean, s2 = _mean_var(d)
    var = (1.0 / n + ratio) * s2
    se = math.sqrt(var)
    if s2 == 0.0:  # every difference equal: no spread to test against, and no 0/0
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        p = 1.0 if mean == 0.0 else 0.0
    else:
        t = mean / se
        p = float(2.0 * _t_cdf(df, -abs(t)))  # = 2 * scipy.stats.t.sf(|t|, df)
    half = _t_quantile(confidence, df) * se
    return TTest(n=n, mean=mean, std=math.sqrt(s2), se=se, t=t, df=df, p=p,
                 lo=mean - half, hi=mean + half, confidence=confidence, corrected=corrected)


def _values(values, what: str) -> np.ndarray:
    try:
        x = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise StatsError(f"{what} must be numbers") from None
    if x.ndim != 1:
        raise StatsError(f"{what} must be a flat sequence of numbers; got shape {x.shape}")
    if x.size < 2:
        raise StatsError(f"{what}: need at least 2 values (paired folds) for a variance; got {x.size}")
    if not np.all(np.isfinite(x)):
        raise StatsError(f"{what} must be finite numbers; got {x[~np.isfinite(x)][0]}")
    return x


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    """Mean and sample variance (ddof=1); exactly ``(x[0], 0.0)`` when all values are equal,
    where floating-point summation could otherwise leave a tiny spurious variance."""
    if np.all(x == x[0]):
        return float(x[0]), 0.0
    return float(x.mean()), float(x.var(ddof=1))


def _t_quantile(confidence: float, df: int) -> float:
    return float(_t_inverse_cdf(df, (1.0 + confidence) / 2.0))  # = scipy.stats.t.ppf


def _clip(lo: float, hi: float, low: float, high: float) -> tuple[float, float]:
    return min(max(lo, low), high), max(min(hi, high), low)


def _check_bounds(bounds) -> tuple[float, float]:
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise StatsError(f"bounds must be two numbers (low, high); got {bounds!r}") from None
    if math.isnan(low) or math.isnan(high) or low >= high:
        raise StatsError(f"bounds must be two numbers with low < high; got {bounds!r}")
    return low, high


def _check_confidence(confidence: float) -> None:
    if not (_is_number(confidence) and 0 < confidence < 1):
        raise StatsError(f"confidence must be a number in (0, 1); got {confidence!r}")


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)
