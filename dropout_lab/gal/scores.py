"""The test scores of Monte Carlo dropout in regression, as Gal & Ghahramani compute them.

From T stochastic forward passes ``y_t`` (dropout on, in the target's units) of a model
with precision ``tau``, for each test row with target ``y``:

* the MC prediction is the mean of the passes, and the MC RMSE is the root mean squared
  error of that mean over the test rows;
* the predictive density is the mixture of the T Gaussians N(y_t, 1/tau), so the test
  log-likelihood of a row is

      logsumexp_t(-0.5 * tau * (y - y_t)**2) - log T - 0.5 * log(2 pi) + 0.5 * log(tau)

  and the test log-likelihood is its mean over the rows.

The repository computes it from all T passes at once; :class:`StreamingLogLik` computes
the same from passes that come in chunks (the running log-sum-exp, with the maximum
kept apart so that nothing underflows).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp


def mc_rmse(passes: np.ndarray, y: np.ndarray) -> float:
    """RMSE of the mean of ``passes`` (``[T, rows]``) against ``y`` (``[rows]``)."""
    return float(np.sqrt(np.mean((np.mean(passes, axis=0) - y) ** 2)))


def rmse(prediction: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(prediction) - y) ** 2)))


def mc_log_likelihood(passes: np.ndarray, y: np.ndarray, tau: float) -> float:
    """The mean over rows of the log of the mixture density of T Gaussians N(y_t, 1/tau) at y."""
    passes = np.asarray(passes, dtype=np.float64)
    per_row = (logsumexp(-0.5 * tau * (y[None, :] - passes) ** 2, axis=0) - math.log(len(passes))
               - 0.5 * math.log(2 * math.pi) + 0.5 * math.log(tau))
    return float(np.mean(per_row))


def log_likelihood_from_lse(lse: np.ndarray, samples: int, tau: float) -> float:
    """The test log-likelihood from each row's ``logsumexp_t(-0.5 * tau * (y - y_t)**2)``."""
    return float(np.mean(np.asarray(lse, dtype=np.float64) - math.log(samples) - 0.5 * math.log(2 * math.pi)
                         + 0.5 * math.log(tau)))


class StreamingLogLik:
    """``logsumexp_t(-0.5 * tau * (y - y_t)**2)`` per row, for passes given a chunk at a time."""

    def __init__(self, y: np.ndarray, tau: float):
        self.y, self.tau = np.asarray(y, dtype=np.float64), float(tau)
        self.top = np.full(len(self.y), -np.inf)
        self.total = np.zeros(len(self.y))
        self.samples = 0

    def add(self, passes: np.ndarray) -> None:
        """Add a chunk ``[t, rows]`` of passes."""
        terms = -0.5 * self.tau * (self.y[None, :] - np.asarray(passes, dtype=np.float64)) ** 2
        top = np.maximum(self.top, terms.max(axis=0))
        self.total = self.total * np.exp(self.top - top) + np.exp(terms - top).sum(axis=0)
        self.top = top
        self.samples += len(terms)

    def value(self) -> float:
        return log_likelihood_from_lse(self.top + np.log(self.total), self.samples, self.tau)


def mean_and_se(values) -> tuple[float, float]:
    """The mean and its standard error ``std(ddof=1) / sqrt(n)`` (0 for one value)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        raise ValueError("Expected at least one value. Received: none")
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0
    return float(np.mean(values)), se
