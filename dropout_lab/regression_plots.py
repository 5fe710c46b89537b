"""Figures of a regression run, from its held-out predictions (``predictions.csv``).

- :func:`predicted_vs_true`: every held-out row's prediction against its target;
- :func:`residual_plot`: residuals (target - prediction) against the prediction;
- :func:`coverage_plot`: Monte Carlo dropout's calibration for regression, the observed
  coverage of the central predictive intervals against their nominal level;
- :func:`band_plot`: for one input feature, the prediction along the input with Monte
  Carlo dropout's mean and its +-2 sd band (the gap toy: the band widens away from the data).

Each returns a ``matplotlib.figure.Figure`` (Agg backend); ``results`` saves them as PNG.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .scoring.regression import LEVELS

_MC = "mc_mean"


def predicted_vs_true(predictions: pd.DataFrame, title: str) -> Figure:
    """Predicted against true target over every fold's held-out rows (Monte Carlo dropout's
    predictive mean beside standard inference when the run has it), with the diagonal."""
    modes = [("predicted", "standard inference")] + ([(_MC, "Monte Carlo dropout mean")]
                                                     if _MC in predictions else [])
    fig = Figure(figsize=(5.2 * len(modes) + 0.4, 5.0), layout="constrained")
    axes = fig.subplots(1, len(modes), squeeze=False)[0]
    true = predictions["true"].to_numpy(float)
    for ax, (column, label) in zip(axes, modes, strict=True):
        pred = predictions[column].to_numpy(float)
        ax.scatter(true, pred, s=10, alpha=0.6, color="#1f77b4")
        low, high = min(true.min(), pred.min()), max(true.max(), pred.max())
        ax.plot([low, high], [low, high], "--", color="grey", linewidth=1, label="prediction = target")
        rmse = float(np.sqrt(np.mean((true - pred) ** 2)))
        ax.set_title(f"{label} (RMSE over all rows {rmse:.4g})", fontsize=10)
        ax.set_xlabel("true target")
        ax.set_ylabel("predicted")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{title}\n(held-out predictions of every fold and repeat)", fontsize=11)
    return fig


def residual_plot(predictions: pd.DataFrame, title: str) -> Figure:
    """Residuals (true - predicted) against the prediction, every fold's held-out rows."""
    pred = predictions["predicted"].to_numpy(float)
    residual = predictions["true"].to_numpy(float) - pred
    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(pred, residual, s=10, alpha=0.6, color="#d62728")
    ax.axhline(0.0, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("predicted (standard inference)")
    ax.set_ylabel("residual: true - predicted")
    ax.grid(alpha=0.3)
    ax.set_title(f"{title}\n(held-out predictions of every fold and repeat; residual sd {residual.std():.4g})",
                 fontsize=11)
    return fig


def coverage_plot(table: pd.DataFrame, title: str) -> Figure:
    """Observed against expected coverage (:func:`dropout_lab.predictions.coverage_table`): calibrated on the diagonal,
    overconfident below it; the scored levels (90%, 95%) marked."""
    fig = Figure(figsize=(5.6, 5.2), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(table["expected"], table["fold_min"], table["fold_max"], color="#1f77b4", alpha=0.2,
                    linewidth=0, label="min to max over folds")
    ax.plot(table["expected"], table["observed"], "o-", color="#1f77b4", markersize=4, label="mean over folds")
    ax.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfect calibration")
    for level in LEVELS:
        ax.axvline(level, color="#d62728", linewidth=0.6, alpha=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("expected coverage (nominal level of the central interval)")
    ax.set_ylabel("observed coverage (share of held-out targets inside)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"{title}\n(Monte Carlo dropout, mean +- z sd with tau; red: 90% and 95%)", fontsize=10)
    return fig


def band_plot(x_test, predictions: pd.DataFrame, title: str, x_train=None, y_train=None) -> Figure:
    """One input feature: the held-out rows' targets, standard inference's prediction (a line,
    no band: it gives no uncertainty) and Monte Carlo dropout's mean with its +-2 sd band,
    along the input ``x_test`` (each held-out row's input, in ``predictions`` order); the
    training rows ``x_train, y_train`` as points when given."""
    order = np.argsort(np.asarray(x_test, float))
    x = np.asarray(x_test, float)[order]
    fig = Figure(figsize=(9.0, 5.0), layout="constrained")
    ax = fig.subplots()
    if x_train is not None:
        ax.scatter(x_train, y_train, s=12, color="black", alpha=0.7, label="training rows", zorder=3)
    ax.plot(x, predictions["true"].to_numpy(float)[order], color="grey", linewidth=1, linestyle=":",
            label="true function (held-out rows)")
    ax.plot(x, predictions["predicted"].to_numpy(float)[order], color="#d62728", linewidth=1.4,
            label="standard inference (no uncertainty)")
    if _MC in predictions:
        mean, sd = predictions[_MC].to_numpy(float)[order], predictions["mc_sd"].to_numpy(float)[order]
        ax.plot(x, mean, color="#1f77b4", linewidth=1.4, label="Monte Carlo dropout mean")
        ax.fill_between(x, mean - 2 * sd, mean + 2 * sd, color="#1f77b4", alpha=0.25, linewidth=0,
                        label="Monte Carlo dropout mean +- 2 sd")
    ax.set_xlabel("input x")
    ax.set_ylabel("target")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(title, fontsize=11)
    return fig
