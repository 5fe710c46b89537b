"""Regression scores of a trained model from its predicted values, and Monte Carlo dropout's
predictive distribution (Gal & Ghahramani, "Dropout as a Bayesian Approximation", ICML 2016).

An engine hands over, for each part of a split, the true targets ``y`` and the predicted
values (in the target's own units: an engine that standardizes the target undoes it first).
Each entry of :data:`METRICS` is one column per part in ``folds.csv`` (``train_rmse``,
``test_rmse``, ...): ``rmse`` (root mean squared error), ``mae`` (mean absolute error),
``r2`` (coefficient of determination, ``1 - SS_res / SS_tot``; NaN with fewer than two
rows or a constant target).

Monte Carlo dropout: ``T`` stochastic passes give each test row samples ``S[t, i]``; the
predictive mean is ``m_i = mean_t S[t, i]``.  With the model precision ``tau`` (Gal's
``tau = p l**2 / (2 N lambda)`` when chosen from the weight decay; here chosen on
validation rows, see :func:`choose_tau`), the predictive distribution of row ``i`` is the
mixture of the ``T`` Gaussians ``N(S[t, i], 1/tau)``, so that:

- the Gaussian test log-likelihood (Gal's, per row, averaged over rows) is
  ``logsumexp_t(-tau/2 (y_i - S[t, i])**2) - log T - log(2 pi)/2 + log(tau)/2``;
- the predictive variance is ``1/tau + var_t S[t, i]`` (variance with ``ddof=0``), and its
  square root ``sd_i`` is the predictive standard deviation;
- the ``q`` predictive interval is ``m_i +- z sd_i`` with ``z`` the standard normal's
  ``(1 + q)/2`` quantile (the Gaussian with the mixture's mean and variance); its coverage
  (PICP, prediction interval coverage probability) is the share of rows with ``y_i`` inside,
  its width ``2 z sd_i`` averaged over rows.

The Monte Carlo columns are ``mc_test_<metric>`` (the standard metrics from the predictive
mean, then :data:`MC_METRICS`) and ``mc_tau``.
"""

from __future__ import annotations

import math

import numpy as np

from .metric import MC_PREFIX, PARTS, Metric

TASK = "regression"
LEVELS = (0.9, 0.95)  # the predictive intervals whose coverage and width are scored
# the nominal levels of the calibration curve (observed vs expected coverage)
CALIBRATION_LEVELS = tuple(round(0.05 * k, 2) for k in range(1, 20))


def _rmse(y, pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y, np.float64) - pred.mean) ** 2)))


def _mae(y, pred) -> float:
    return float(np.mean(np.abs(np.asarray(y, np.float64) - pred.mean)))


def _r2(y, pred) -> float:
    y = np.asarray(y, np.float64)
    total = float(np.sum((y - y.mean()) ** 2))
    if len(y) < 2 or total == 0:
        return math.nan
    return 1.0 - float(np.sum((y - pred.mean) ** 2)) / total


class Prediction:
    """A part's predictions: ``mean`` (the prediction), and under Monte Carlo dropout the
    passes ``samples`` ``[T, n]`` with the chosen precision ``tau``, whose predictive
    standard deviation is ``sd``."""

    def __init__(self, mean, samples=None, tau: float | None = None):
        self.samples = None if samples is None else np.asarray(samples, np.float64)
        self.mean = np.asarray(mean, np.float64).reshape(-1)
        self.tau = tau
        self.sd = None if samples is None else predictive_sd(self.samples, tau)


def predictive_sd(samples, tau: float) -> np.ndarray:
    """Each row's predictive standard deviation ``sqrt(1/tau + var_t S[t, i])``."""
    return np.sqrt(1.0 / tau + np.var(np.asarray(samples, np.float64), axis=0))


def gaussian_log_likelihood(y, samples, tau: float) -> float:
    """Gal's Gaussian test log-likelihood of ``y`` under the passes ``samples`` ``[T, n]`` with
    precision ``tau``, averaged over rows (see the module's docstring)."""
    from scipy.special import logsumexp

    samples = np.asarray(samples, np.float64)
    y = np.asarray(y, np.float64)
    per_row = (logsumexp(-0.5 * tau * (y[None, :] - samples) ** 2, axis=0) - math.log(len(samples))
               - 0.5 * math.log(2 * math.pi) + 0.5 * math.log(tau))
    return float(np.mean(per_row))


def choose_tau(y_val, samples_val) -> float:
    """The precision tau that maximizes the Gaussian log-likelihood of validation rows
    ``y_val`` under their passes ``samples_val`` (a bounded search over ``log tau``, scipy's
    ``minimize_scalar``).  Only ever called with validation rows carved from a training part."""
    from scipy.optimize import minimize_scalar

    y_val = np.asarray(y_val, np.float64)
    samples_val = np.asarray(samples_val, np.float64)
    spread = float(np.mean((y_val[None, :] - samples_val) ** 2)) or 1.0  # tau ~ 1/spread at the optimum
    centre = -math.log(spread)
    found = minimize_scalar(lambda u: -gaussian_log_likelihood(y_val, samples_val, math.exp(u)),
                            bounds=(centre - 12.0, centre + 12.0), method="bounded", options={"xatol": 1e-6})
    return float(math.exp(found.x))


def interval_z(level: float) -> float:
    """The standard normal quantile ``z`` of a central ``level`` interval (1.645 for 0.9)."""
    from scipy.special import ndtri  # the normal quantile (scipy.stats.norm.ppf's), without scipy.stats

    return float(ndtri(0.5 + level / 2))


def coverage(y, mean, sd, level: float) -> float:
    """PICP: the share of rows whose ``y`` lies in ``mean +- z sd`` (the ``level`` interval)."""
    z = interval_z(level)
    return float(np.mean(np.abs(np.asarray(y, np.float64) - mean) <= z * np.asarray(sd)))


def mean_width(sd, level: float) -> float:
    """The mean width ``2 z sd`` of the ``level`` predictive intervals."""
    return float(np.mean(2 * interval_z(level) * np.asarray(sd, np.float64)))


def calibration_curve(y, mean, sd, levels=CALIBRATION_LEVELS) -> list[tuple[float, float]]:
    """``(expected, observed)`` coverage per nominal level: a calibrated model lies on the diagonal."""
    return [(level, coverage(y, mean, sd, level)) for level in levels]


def _percent(level: float) -> int:
    return round(100 * level)


METRICS: tuple[Metric, ...] = (
    Metric("rmse", _rmse, "root mean squared error, in the target's units", higher_is_better=False,
           bounds=(0.0, math.inf)),
    Metric("mae", _mae, "mean absolute error, in the target's units", higher_is_better=False, bounds=(0.0, math.inf)),
    Metric("r2", _r2, "coefficient of determination 1 - SS_res / SS_tot (1 is perfect; below 0 worse than the "
           "mean)", bounds=(-math.inf, 1.0)),
)
MC_METRICS: tuple[Metric, ...] = (
    Metric("ll", lambda y, p: gaussian_log_likelihood(y, p.samples, p.tau),
           "Gaussian test log-likelihood per row under the T passes with precision tau (Gal's)",
           bounds=(-math.inf, math.inf), mc_only=True),
    *(m for level in LEVELS for m in (
        Metric(f"picp{_percent(level)}", lambda y, p, q=level: coverage(y, p.mean, p.sd, q),
               f"coverage of the {_percent(level)}% predictive interval (nominal {level:g})",
               higher_is_better=None, mc_only=True),
        Metric(f"width{_percent(level)}", lambda y, p, q=level: mean_width(p.sd, q),
               f"mean width of the {_percent(level)}% predictive interval, in the target's units",
               higher_is_better=False, bounds=(0.0, math.inf), mc_only=True))),
    Metric("sd", lambda y, p: float(np.mean(p.sd)), "mean predictive standard deviation, in the target's units",
           higher_is_better=None, bounds=(0.0, math.inf), mc_only=True),
)
TAU = f"{MC_PREFIX}tau"  # the fold's chosen precision
OTHER_BOUNDS = {TAU: (0.0, math.inf)}


def columns() -> list[str]:
    """Every score's column name, in ``folds.csv`` order: ``train_rmse, test_rmse, train_mae, ...``."""
    return [f"{part}_{metric.name}" for metric in METRICS for part in PARTS]


def mc_columns() -> list[str]:
    """The held-out part's scores under Monte Carlo dropout and the chosen tau, in ``folds.csv`` order."""
    return [*(f"{MC_PREFIX}test_{m.name}" for m in (*METRICS, *MC_METRICS)), TAU]


def score(y, pred: Prediction, part: str, metrics=METRICS) -> dict[str, float]:
    """Every metric of one part: ``{"<part>_<metric>": value}``."""
    return {f"{part}_{metric.name}": metric.fn(y, pred) for metric in metrics}


def score_fold(y_train, pred_train, y_test, pred_test, mc_samples_test=None, tau: float | None = None
               ) -> dict[str, float]:
    """Every score of one trained split: the predicted values of each part scored by
    :data:`METRICS`; with Monte Carlo dropout's passes over the test rows
    (``mc_samples_test`` ``[T, n_test]``) and the precision ``tau`` chosen on validation rows,
    the ``mc_test_*`` columns and ``mc_tau`` too."""
    scores = {**score(y_train, Prediction(pred_train), "train"), **score(y_test, Prediction(pred_test), "test")}
    scores = {name: scores[name] for name in columns()}
    if mc_samples_test is not None:
        samples = np.asarray(mc_samples_test, np.float64)
        mc = Prediction(samples.mean(axis=0), samples, tau)
        scores.update(score(y_test, mc, f"{MC_PREFIX}test", (*METRICS, *MC_METRICS)))
        scores[TAU] = float(tau)
    return scores
