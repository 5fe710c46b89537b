"""Figures of a run: learning curves and test-accuracy distributions.

Each function returns a ``matplotlib.figure.Figure`` (Agg backend, no display needed);
``results`` saves them as PNG beside the tables.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

_COLORS = {"train": "#1f77b4", "test": "#d62728"}


def learning_curve(history: pd.DataFrame, name: str) -> Figure:
    """Train and test accuracy per epoch: the mean over runs and a ±1 sd band."""
    runs = history.groupby(["repeat", "fold"]).ngroups
    by_epoch = history.groupby("epoch")
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    for part in ("train", "test"):
        stats = by_epoch[f"{part}_accuracy"].agg(["mean", "std"]).fillna(0.0)
        label = f"{part} (mean of {runs} runs)" if runs > 1 else part
        ax.plot(stats.index, stats["mean"], color=_COLORS[part], label=label, linewidth=1.2)
        if runs > 1:
            ax.fill_between(stats.index, stats["mean"] - stats["std"], stats["mean"] + stats["std"],
                            color=_COLORS[part], alpha=0.2, linewidth=0, label=f"{part} ±1 sd")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    low = history[["train_accuracy", "test_accuracy"]].min().min()
    ax.set_ylim(min(0.4, low - 0.03), 1.02)
    ax.set_xlim(1, history["epoch"].max())
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    what = "holdout split" if history["fold"].max() == 1 else "k-fold, test = each held-out fold"
    ax.set_title(f"{name}: accuracy per epoch\n({what}; train = Keras' running accuracy during the epoch)",
                 fontsize=11)
    return fig


def accuracy_distribution(scores: dict[str, pd.Series], title: str) -> Figure:
    """Test accuracy per config: a box plot with every run drawn as a point."""
    names = list(scores)
    fig = Figure(figsize=(max(6.0, 1.6 * len(names) + 2), 4.5), layout="constrained")
    ax = fig.subplots()
    values = [np.asarray(scores[n], dtype=float) for n in names]
    ax.boxplot(values, showmeans=True, widths=0.5,
               meanprops={"marker": "D", "markerfacecolor": "white", "markeredgecolor": "black"})
    ax.set_xticks(range(1, len(names) + 1), names, rotation=15 if len(names) > 3 else 0)
    rng = np.random.default_rng(0)  # fixed jitter: the same data draws the same picture
    for i, v in enumerate(values, start=1):
        ax.scatter(i + rng.uniform(-0.12, 0.12, len(v)), v, s=12, alpha=0.6, color=_COLORS["test"], zorder=3)
    ax.set_ylabel("test accuracy")
    ax.set_xlabel("config")
    ax.grid(axis="y", alpha=0.3)
    counts = sorted({len(v) for v in values})
    ax.set_title(f"{title}\n({'/'.join(map(str, counts))} runs each; box: quartiles, diamond: mean)", fontsize=11)
    return fig
