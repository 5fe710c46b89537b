"""The Bayesian correlated t-test: how probable is it that B is better, worse, or practically the same as A?

Given the paired fold differences ``d_1 .. d_n`` (``b - a``, repeats x folds) of a
cross-validation whose folds train on ``n_train`` rows and test on ``n_test``, Corani &
Benavoli (2015) model them as correlated Gaussians with correlation
``rho = n_test / (n_test + n_train)`` (Nadeau & Bengio's heuristic) and, under the
non-informative prior, get a Student posterior of the mean difference ``mu``:

    mu ~ t(df = n - 1, loc = m, scale = sqrt((1/n + rho/(1 - rho)) * s^2))

with ``m`` the mean and ``s^2`` the sample variance (ddof=1) of the differences;
``rho/(1 - rho) = n_test/n_train``, so the scale is the corrected resampled t-test's
standard error.  With a region of practical equivalence ``[-rope, rope]`` (Benavoli,
Corani, Demsar & Zaffalon 2017, section 4), the posterior gives three probabilities:

    P(mu < -rope),   P(-rope <= mu <= rope),   P(mu > rope)

that A is better, that the two are practically equivalent, and that B is better (for a
score where higher is better).  Unlike a p-value, these say how probable each outcome
is, and "equivalent" can be concluded, not merely "no difference found".  When every
difference is equal (``s^2 = 0``) the posterior is the point ``m``.

References:
    G. Corani and A. Benavoli. A Bayesian approach for comparing cross-validated
    algorithms on multiple data sets. Machine Learning 100(2):285-304, 2015.
    A. Benavoli, G. Corani, J. Demsar and M. Zaffalon. Time for a change: a tutorial for
    comparing multiple classifiers through Bayesian analysis. JMLR 18(77):1-36, 2017.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.special import stdtr as _t_cdf

from ..errors import StatsError
from .ttests import corrected_resampled_ttest


@dataclass(frozen=True)
class BayesTest:
    """The posterior of the mean difference ``b - a`` (Student: ``df``, ``loc``, ``scale``)
    and its mass left of, inside and right of ``[-rope, rope]``."""

    n: int
    df: int
    loc: float
    scale: float
    rope: float
    p_left: float  # P(mu < -rope): A better where higher is better
    p_rope: float  # P(|mu| <= rope): practically equivalent
    p_right: float  # P(mu > rope): B better where higher is better


def bayesian_correlated_ttest(diffs, n_train: float, n_test: float, rope: float = 0.01) -> BayesTest:
    """The Bayesian correlated t-test on paired fold differences ``b - a`` (see the module docstring)."""
    if not (isinstance(rope, (int, float)) and not isinstance(rope, bool) and math.isfinite(rope) and rope >= 0):
        raise StatsError(f"Expected rope to be a number >= 0. Received: rope={rope!r}")
    test = corrected_resampled_ttest(diffs, n_train, n_test)
    loc, scale, df = test.mean, test.se, test.df
    if scale == 0.0:  # a point posterior
        below, above = float(loc < -rope), float(loc > rope)
    else:
        below = float(_t_cdf(df, (-rope - loc) / scale))
        above = float(_t_cdf(df, (loc - rope) / scale))  # = 1 - cdf(rope), by symmetry
    return BayesTest(n=test.n, df=df, loc=loc, scale=scale, rope=float(rope), p_left=below,
                     p_rope=max(0.0, 1.0 - below - above), p_right=above)
