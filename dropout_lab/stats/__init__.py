"""Statistics over fold scores, pure functions with no I/O.

- :mod:`.ttests`: confidence intervals, the paired and the corrected resampled t-test
  (Nadeau & Bengio 2003), Welch's test, and how p-values are written;
- :mod:`.adjust`: p-values adjusted for the number of comparisons (Holm 1979);
- :mod:`.bayes`: the Bayesian correlated t-test with a region of practical equivalence
  (Corani & Benavoli 2015; Benavoli et al. 2017).
"""

from .adjust import holm
from .bayes import BayesTest, bayesian_correlated_ttest
from .ttests import (
    MeanCI,
    Summary,
    TTest,
    accuracy_ci,
    clip_difference,
    corrected_resampled_ttest,
    format_p,
    mean_ci,
    p_value_text,
    paired_ttest,
    verdict,
    welch_ttest,
)

__all__ = ["BayesTest", "MeanCI", "Summary", "TTest", "accuracy_ci", "bayesian_correlated_ttest", "clip_difference",
           "corrected_resampled_ttest", "format_p", "holm", "mean_ci", "p_value_text", "paired_ttest", "verdict",
           "welch_ttest"]
