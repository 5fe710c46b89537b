"""Figures of a tune, from its trials table (``trials.csv``): matplotlib, Agg, like :mod:`dropout_lab.plots`.

- :func:`history_plot`: each trial's score by trial number (complete and pruned apart) and the best so far;
- :func:`slice_plot`: the score against each searched key, one panel per key;
- :func:`parallel_plot`: parallel coordinates, one line per complete trial, coloured by its score.

A pruned trial is drawn with the mean of the folds it trained (hollow): not comparable with
a complete trial's score, but where the pruner stopped it.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure

_DONE, _PRUNED = "#1f77b4", "#aaaaaa"


def history_plot(trials: pd.DataFrame, metric: str, maximize: bool, title: str) -> Figure:
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    done, pruned = _parts(trials)
    ax.scatter(pruned["number"], pruned["partial_value"], facecolors="none", edgecolors=_PRUNED, s=28,
               label=f"pruned ({len(pruned)}), mean of its folds")
    ax.scatter(done["number"], done["value"], color=_DONE, s=28, label=f"complete ({len(done)})", zorder=3)
    if len(done):
        ordered = done.sort_values("number")
        best = ordered["value"].cummax() if maximize else ordered["value"].cummin()
        ax.step(ordered["number"], best, where="post", color="#d62728", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(metric.replace("_", " "))
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    ax.set_title(title, fontsize=11)
    return fig


def slice_plot(trials: pd.DataFrame, keys: list[str], metric: str, title: str) -> Figure:
    fig = Figure(figsize=(4.2 * len(keys) + 0.6, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(keys), sharey=True))
    done, pruned = _parts(trials)
    for ax, key in zip(axes, keys, strict=True):
        for part, y, style in ((pruned, "partial_value", {"facecolors": "none", "edgecolors": _PRUNED}),
                               (done, "value", {"color": _DONE})):
            x, ticks = _axis(trials[key], part[key])
            ax.scatter(x, part[y], s=26, **style)
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), ticks)
        if pd.api.types.is_numeric_dtype(trials[key]) and _log_scale(trials[key]):
            ax.set_xscale("log")
        ax.set_xlabel(key)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(metric.replace("_", " "))
    fig.suptitle(title, fontsize=11)
    return fig


def parallel_plot(trials: pd.DataFrame, keys: list[str], metric: str, title: str) -> Figure:
    done, _ = _parts(trials)
    columns = [*keys, "value"]
    fig = Figure(figsize=(max(6.0, 2.2 * len(columns)), 4.5), layout="constrained")
    ax = fig.subplots()
    scaled = pd.DataFrame({c: _unit(trials[c], done[c]) for c in columns})
    low, high = done["value"].min(), done["value"].max()
    cmap = colormaps["viridis"]
    for (_, row), value in zip(scaled.iterrows(), done["value"], strict=True):
        ax.plot(range(len(columns)), row.to_numpy(dtype=float), color=cmap(0.5 if high == low else
                                                                             (value - low) / (high - low)), alpha=0.7)
    labels = [*keys, metric.replace("_", " ")]
    ax.set_xticks(range(len(columns)), labels)
    for i, column in enumerate(columns):
        ax.axvline(i, color="black", linewidth=0.6)
        lo, hi = _ends(trials[column] if column != "value" else done["value"])
        ax.annotate(lo, (i, 0), xytext=(3, -12), textcoords="offset points", fontsize=8)
        ax.annotate(hi, (i, 1), xytext=(3, 4), textcoords="offset points", fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.08, 1.08)
    ax.set_title(f"{title}\n(complete trials; colour: {metric.replace('_', ' ')}, yellow = highest)", fontsize=11)
    return fig


def _parts(trials: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    return trials[trials["state"] == "COMPLETE"], trials[trials["state"] == "PRUNED"]


def _axis(everything: pd.Series, part: pd.Series):
    """Numbers as they are; other values (choices) at positions, with their texts as ticks."""
    if pd.api.types.is_numeric_dtype(everything):
        return part, None
    ticks = sorted(everything.astype(str).unique())
    return part.astype(str).map(ticks.index), ticks


def _log_scale(values: pd.Series) -> bool:
    positive = values[values > 0]
    return len(positive) == len(values) and len(values) > 1 and positive.max() / positive.min() >= 100


def _unit(everything: pd.Series, part: pd.Series) -> pd.Series:
    """``part`` scaled to [0, 1] over the range of ``everything`` (choices at even steps)."""
    if not pd.api.types.is_numeric_dtype(everything):
        ticks = sorted(everything.astype(str).unique())
        return part.astype(str).map(ticks.index) / max(1, len(ticks) - 1)
    low, high = everything.min(), everything.max()
    return (part - low) / (high - low) if high > low else part * 0 + 0.5


def _ends(values: pd.Series) -> tuple[str, str]:
    if not pd.api.types.is_numeric_dtype(values):
        ticks = sorted(values.astype(str).unique())
        return ticks[0], ticks[-1]
    return f"{values.min():.4g}", f"{values.max():.4g}"
