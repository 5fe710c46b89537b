"""The grid of Gal & Ghahramani's protocol: its cells, the weight decay each implies, the
validation part of a training split, and the cell chosen on it.  Pure functions.

A cell is a (dropout rate p, model precision tau) pair, dropout rates outer and taus
inner (the repository's loop order).  Its network is trained with L2 weight decay on
every Dense kernel (``keras.regularizers.L2``: ``lambda * sum(kernel**2)`` added to the
loss) of

    lambda = lengthscale**2 * (1 - p) / (2 * N * tau)

where N is the number of training rows and ``lengthscale`` the prior length-scale
(1e-2 in the paper's experiments): the Gaussian prior's precision as the dropout
objective's KL term sets it (Gal & Ghahramani 2016, section 4 and appendix).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LENGTHSCALE = 1e-2
VALIDATION_FRACTION = 0.2


def cells(dropout_rates: Sequence[float], tau_values: Sequence[float]) -> list[tuple[float, float]]:
    """Every (dropout rate, tau) pair, dropout rates outer, taus inner."""
    return [(float(p), float(tau)) for p in dropout_rates for tau in tau_values]


def weight_decay(rate: float, tau: float, n_train: int, lengthscale: float = LENGTHSCALE) -> float:
    """``lengthscale**2 * (1 - rate) / (2 * n_train * tau)``: the L2 factor on each Dense kernel."""
    if not 0 <= rate < 1:
        raise ValueError(f"Expected a dropout rate in [0, 1). Received: rate={rate}")
    if tau <= 0 or n_train < 1 or lengthscale <= 0:
        raise ValueError(f"Expected tau > 0, n_train >= 1 and lengthscale > 0. Received: tau={tau}, "
                         f"n_train={n_train}, lengthscale={lengthscale}")
    return lengthscale**2 * (1 - rate) / (2 * n_train * tau)


def validation_cut(n_train: int, fraction: float = VALIDATION_FRACTION) -> int:
    """How many of a training part's rows, in file order, train during the grid search: the
    first ``int((1 - fraction) * n_train)`` (the repository's ``int(0.8 * N)``); the rest
    validate."""
    if not 0 < fraction < 1:
        raise ValueError(f"Expected a validation fraction in (0, 1). Received: fraction={fraction}")
    cut = int(round(1 - fraction, 12) * n_train)
    if not 0 < cut < n_train:
        raise ValueError(f"Expected a training part that leaves rows to train and to validate. "
                         f"Received: n_train={n_train}, fraction={fraction}")
    return cut


def best_cell(scores: Sequence[float]) -> int:
    """The index of the highest validation log-likelihood, the first on ties (the
    repository's strict ``ll > best_ll``); a NaN score never wins."""
    best, index = -math.inf, None
    for i, score in enumerate(scores):
        if score > best:  # False for NaN
            best, index = score, i
    if index is None:
        raise ValueError(f"Expected at least one finite validation score. Received: {list(scores)}")
    return index
