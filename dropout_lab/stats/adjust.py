"""p-values adjusted for the number of comparisons made: Holm's step-down method.

With ``m`` comparisons and their p-values sorted ``p_(1) <= ... <= p_(m)``, Holm (1979)
adjusts the ``i``-th smallest to

    p'_(i) = min(1, max_{j <= i} (m - j + 1) * p_(j))

Rejecting where ``p' < alpha`` keeps the family-wise error rate (the chance of any false
"significant") at ``alpha`` whatever the dependence between the tests, and rejects at
least what Bonferroni's ``m * p`` rejects.  Same numbers as statsmodels'
``multipletests(p, method="holm")``.

Reference: S. Holm. A Simple Sequentially Rejective Multiple Test Procedure.
Scandinavian Journal of Statistics 6(2):65-70, 1979.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import StatsError


def holm(pvalues) -> list[float]:
    """Holm-adjusted p-values, in the order given; a NaN (no test made) stays NaN and is not
    counted among the ``m`` comparisons."""
    try:
        p = np.asarray(pvalues, dtype=float)
    except (TypeError, ValueError):
        raise StatsError("p-values must be numbers") from None
    if p.ndim != 1:
        raise StatsError(f"p-values must be a flat sequence; got shape {p.shape}")
    tested = np.flatnonzero(~np.isnan(p))
    if np.any((p[tested] < 0) | (p[tested] > 1)):
        raise StatsError(f"p-values must lie in [0, 1]; got {p[tested][(p[tested] < 0) | (p[tested] > 1)][0]}")
    adjusted = np.full(p.shape, math.nan)
    m, running = len(tested), 0.0
    for rank, i in enumerate(tested[np.argsort(p[tested], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return [float(x) for x in adjusted]
