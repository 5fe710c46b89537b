"""Figures of a run: learning curves, test-accuracy distributions, confusion matrices.

Each function returns a ``matplotlib.figure.Figure`` (Agg backend, no display needed);
``results`` saves them as PNG beside the tables.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

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
    ax.legend(loc="best")
    what = "holdout split" if history["fold"].max() == 1 else "k-fold, test = each held-out fold"
    ax.set_title(f"{name}: accuracy per epoch\n({what}; train = Keras' running accuracy during the epoch)",
                 fontsize=11)
    return fig


def accuracy_distribution(scores: dict[str, pd.Series], title: str, ylabel: str = "test accuracy") -> Figure:
    """Test accuracy (or the score ``ylabel`` names) per config: a box plot with every run drawn as a point."""
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
    ax.set_ylabel(ylabel)
    ax.set_xlabel("config")
    ax.grid(axis="y", alpha=0.3)
    counts = sorted({len(v) for v in values})
    ax.set_title(f"{title}\n({'/'.join(map(str, counts))} runs each; box: quartiles, diamond: mean)", fontsize=11)
    return fig


def sweep_plot(points: pd.DataFrame, x_label: str, title: str, ylabel: str = "accuracy",
               clip: tuple[float, float] = (0.0, 1.0)) -> Figure:
    """Mean test accuracy per swept value with its 95% interval as error bars.

    ``points`` has one row per cell: ``x`` (the value; a numeric axis when every value is a
    number, else one tick per value in order), ``x_text`` (its tick label), ``line`` (which
    line it belongs to, or None for a single line), ``runs``, ``test_mean``,
    ``test_ci95_low``/``test_ci95_high`` (NaN without an interval) and ``train_mean``.
    Each line's mean train accuracy is drawn dashed in its colour; with several lines the
    legend gives each line's colour, then what solid (test) and dashed (train) mean.
    """
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in points["x"])
    ticks = list(dict.fromkeys(points["x_text"]))
    lines = list(dict.fromkeys(points["line"]))
    span = ((max(points["x"]) - min(points["x"])) or 1.0) if numeric else 1.0
    step = (0.012 if numeric else 0.08) * span if len(lines) > 1 else 0.0  # side by side, so bars do not overlap
    fig = Figure(figsize=(max(7.0, 0.7 * len(ticks) + 3), 4.8), layout="constrained")
    ax = fig.subplots()
    colors = matplotlib.colormaps["tab10"]
    for i, line in enumerate(lines):
        part = points[points["line"] == line] if line is not None else points
        x = np.asarray(part["x"], dtype=float) if numeric else np.array([ticks.index(t) for t in part["x_text"]])
        x = x + (i - (len(lines) - 1) / 2) * step
        mean = part["test_mean"].to_numpy(float)
        err = np.vstack([mean - part["test_ci95_low"].to_numpy(float), part["test_ci95_high"].to_numpy(float) - mean])
        color = _COLORS["test"] if len(lines) == 1 else colors(i % 10)
        label = "test (mean, 95% CI)" if line is None else line
        ax.errorbar(x, mean, yerr=np.nan_to_num(err), color=color, marker="o", markersize=5, capsize=4,
                    linewidth=1.4, label=label, clip_on=False)
        ax.plot(x, part["train_mean"], color=_COLORS["train"] if len(lines) == 1 else color, linestyle="--",
                marker=".", linewidth=1, label="train (mean)" if len(lines) == 1 else None)
    if not numeric:
        ax.set_xticks(range(len(ticks)), ticks)
    else:
        values = sorted(set(points["x"]))
        if len(values) <= 12:
            ax.set_xticks(values, [points.loc[points["x"] == v, "x_text"].iloc[0] for v in values])
    if ax.get_ylim()[1] > clip[1]:  # accuracies and their (clipped) intervals end at 1
        ax.set_ylim(top=clip[1])
    ax.set_xlabel(x_label)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    handles = None
    if len(lines) > 1:  # colour: the line; style: test or train (one key for every line)
        handles = [*ax.get_legend_handles_labels()[0],
                   Line2D([], [], color="grey", marker="o", markersize=5, linewidth=1.4,
                          label="solid: test (mean, 95% CI)"),
                   Line2D([], [], color="grey", marker=".", linestyle="--", linewidth=1, label="dashed: train (mean)")]
    ax.legend(handles=handles, loc="best", fontsize=9)
    runs = sorted(set(points["runs"]))
    clipped = ", clipped to [0, 1]" if clip == (0.0, 1.0) else ""
    bars = ("error bars: t-based 95% CI of the mean over " + "/".join(map(str, runs)) + f" runs{clipped}"
            if points["test_ci95_low"].notna().any() else "one run per value: no interval")
    ax.set_title(f"{title}\n({bars})", fontsize=11)
    return fig


def confusion_plot(table: pd.DataFrame, title: str) -> Figure:
    """A confusion matrix (rows: true class, columns: predicted class) as a heat map of the
    share of each true class, with the counts written in the cells."""
    counts = table.to_numpy()
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    k = len(table)
    side = min(11.0, max(4.5, 0.55 * k + 2.5))
    fig = Figure(figsize=(side + 1.2, side), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, label="share of the true class", shrink=0.8)
    names = [str(c) for c in table.columns]
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 3 else 0)
    ax.set_yticks(range(k), [str(c) for c in table.index])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    size = 9 if k <= 10 else 7
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=size,
                    color="white" if shares[i, j] > 0.6 else "black")
    total, right = int(counts.sum()), int(np.trace(counts))
    ax.set_title(f"{title}\n(held-out predictions of every fold and repeat: {right}/{total} right)", fontsize=11)
    return fig


def reliability_diagram(tables: dict[str, pd.DataFrame], title: str) -> Figure:
    """Reliability diagrams side by side, one per inference mode (``tables``: label ->
    :func:`dropout_lab.predictions.reliability_over_folds`): per confidence bin, the mean
    accuracy over folds as a bar and the mean confidence as a dot on the diagonal's scale;
    below, the rows in each bin over every fold."""
    fig = Figure(figsize=(5.2 * len(tables) + 0.6, 6.2), layout="constrained")
    axes = fig.subplots(2, len(tables), height_ratios=[3, 1], squeeze=False, sharex=True)
    for column, (label, table) in enumerate(tables.items()):
        top, bottom = axes[0, column], axes[1, column]
        width = float(table["hi"].iloc[0] - table["lo"].iloc[0])
        centers = (table["lo"] + table["hi"]).to_numpy(float) / 2
        full = table["count"].to_numpy() > 0
        top.bar(centers[full], table["accuracy"].to_numpy(float)[full], width=width * 0.9, color="#1f77b4",
                alpha=0.75, label="accuracy (mean over folds)")
        top.plot(centers[full], table["confidence"].to_numpy(float)[full], "o", color="#d62728", markersize=4,
                 label="confidence (mean over folds)")
        top.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfect calibration")
        top.set_xlim(0, 1)
        top.set_ylim(0, 1.02)
        top.set_ylabel("accuracy in the bin")
        top.set_title(label, fontsize=10)
        top.grid(alpha=0.3)
        top.legend(loc="upper left", fontsize=8)
        bottom.bar(centers, table["count"].to_numpy(float), width=width * 0.9, color="grey")
        for x, n in zip(centers[full], table["count"].to_numpy()[full], strict=True):
            bottom.text(x, n, str(int(n)), ha="center", va="bottom", fontsize=7)
        bottom.set_xlabel("top-class confidence")
        bottom.set_ylabel("rows")
    fig.suptitle(f"{title}\n({len(table)} equal-width bins; rows: held-out predictions of every fold)", fontsize=11)
    return fig


def difference_plot(table: pd.DataFrame, title: str, alpha: float = 0.05, order: list[str] | None = None) -> Figure:
    """Differences in the mean of the compared score with their corrected intervals (a forest plot).

    ``table`` is ``compare.compare_runs``'s: one row per pair, ``run_b - run_a`` = ``diff``
    with ``ci_lo``/``ci_hi`` and ``p`` of its ``metric``.  One line per ``run_b``, top to
    bottom in ``order`` (default: the table's), one colour per ``run_a`` (the reference); a
    filled marker where the corrected p < ``alpha``, an open one elsewhere; the dashed line
    is no difference.  The legend gives each reference's colour, then what filled and open mean.
    """
    refs = list(dict.fromkeys(table["run_a"]))
    runs = [r for r in (order or []) if r in set(table["run_b"])] or list(dict.fromkeys(table["run_b"]))
    fig = Figure(figsize=(8.5, max(3.0, 0.32 * len(runs) + 1.6)), layout="constrained")
    ax = fig.subplots()
    colors = matplotlib.colormaps["tab10"]
    step = 0.8 / len(refs)
    for i, ref in enumerate(refs):
        part = table[table["run_a"] == ref]
        y = np.array([runs.index(r) for r in part["run_b"]]) + (i - (len(refs) - 1) / 2) * step
        diff = part["diff"].to_numpy(float)
        err = np.vstack([diff - part["ci_lo"].to_numpy(float), part["ci_hi"].to_numpy(float) - diff])
        color = colors(i % 10)
        ax.errorbar(diff, y, xerr=np.nan_to_num(err), fmt="none", ecolor=color, capsize=3, linewidth=1.2)
        significant = part["p"].to_numpy(float) < alpha
        ax.scatter(diff[significant], y[significant], color=color, s=28, zorder=3)
        ax.scatter(diff[~significant], y[~significant], facecolor="white", edgecolor=color, s=28, zorder=3)
    ax.axvline(0.0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(runs)), runs, fontsize=8)
    ax.set_ylim(len(runs) - 0.5, -0.5)
    from .scoring import label

    ax.set_xlabel(f"difference in mean {label(table['metric'].iloc[0])} (run - reference)")
    ax.grid(axis="x", alpha=0.3)
    marker = {"marker": "o", "linestyle": "none", "markersize": 6, "markeredgecolor": "dimgrey"}
    ax.legend(handles=[*(Line2D([], [], color=colors(i % 10), marker="o", label=f"vs {ref}")
                         for i, ref in enumerate(refs)),
                       Line2D([], [], markerfacecolor="dimgrey", label=f"filled: corrected p < {alpha:g}", **marker),
                       Line2D([], [], markerfacecolor="white", label=f"open: corrected p ≥ {alpha:g}", **marker)],
              loc="best", fontsize=8)
    folds = int(table["folds"].iloc[0])
    ax.set_title(f"{title}\n(corrected resampled t-test: 95% CI over {folds} paired folds;\n"
                 f"filled where p < {alpha:g})", fontsize=9)
    return fig
