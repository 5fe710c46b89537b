"""``dropout-lab compare``'s tables as Markdown: pair by pair, or each run against references.

The p-values are the corrected resampled t-test's, raw and Holm-adjusted for the table's
comparisons; with ``--bayes`` the Bayesian correlated t-test's three probabilities follow.
Pure: text from ``compare.compare_runs``'s table.
"""

from __future__ import annotations

import pandas as pd

from .render import markdown_table
from .scoring import UNBOUNDED, bounds, label, range_text, title
from .stats import p_value_text


def against_markdown(table: pd.DataFrame, means: pd.DataFrame) -> str:
    """``compare_runs(..., against=...)``'s table as Markdown: one row per run with the mean
    of the compared metric and its interval, then per reference the difference from it with its
    corrected interval and p; then the pairs that differ significantly."""
    refs = list(dict.fromkeys(table["run_a"]))
    first = table.iloc[0]
    by_pair = {(row.run_a, row.run_b): row for row in table.itertuples(index=False)}
    confidence = f"{first['confidence']:.0%}"
    lines = [
        f"# {title(first['metric'])} against " + ", ".join(refs),
        "",
        f"Paired over {first['folds']} folds ({_count(first['repeats'], 'repeat')}); diff = run - reference; "
        f"{confidence} CI and p from the corrected resampled t-test (Nadeau & Bengio 2003) with "
        f"n_test/n_train = {first['n_test']:.4g}/{first['n_train']:.4g}; p Holm: p adjusted for the "
        f"{_count(len(table), 'comparison')} (Holm 1979)." + _clip_note(first["metric"]) + _bayes_note(table),
        "",
    ]
    bayes = "p_b_better" in table.columns
    rows = []
    for row in means.itertuples(index=False):
        ci = "" if pd.isna(row.ci_lo) else f" [{row.ci_lo:.4f}, {row.ci_hi:.4f}]"
        cells = [row.run, str(row.runs), f"{row.mean:.4f}{ci}"]
        for ref in refs:
            pair = by_pair.get((ref, row.run))
            width = 6 if bayes else 3
            cells += (["(reference)"] + [""] * (width - 1) if pair is None else
                      [f"{pair.diff:+.4f} [{pair.ci_lo:+.4f}, {pair.ci_hi:+.4f}]", p_value_text(pair.p),
                       p_value_text(pair.p_holm), *(_bayes_cells(pair) if bayes else [])])
        rows.append(cells)
    per_ref = ["p", "p Holm", *(["P(ref better)", "P(equiv.)", "P(run better)"] if bayes else [])]
    lines += markdown_table(["run", "runs", f"{label(first['metric'])} [{confidence} CI]",
                             *(text for ref in refs for text in (f"diff vs {ref} [{confidence} CI]", *per_ref))],
                            rows)
    alpha = 1 - first["confidence"]
    significant = table[table["p"] < alpha]
    lines += ["", f"Significant (corrected p < {alpha:.2g}): "
              + (f"{len(significant)} of {len(table)} comparisons" if len(significant) else "none")
              + f"; after Holm's adjustment: {int((table['p_holm'] < alpha).sum())}."]
    lines += [f"- {text}" for text in significant["verdict"]]
    return "\n".join(lines) + "\n"


def compare_markdown(table: pd.DataFrame) -> str:
    """``compare_runs``'s table as Markdown, with each pair's verdict below it."""
    first = table.iloc[0]
    metric = first["metric"]
    lines = [
        f"# Comparison of {label(metric)}",
        "",
        f"Paired over {first['folds']} folds ({_count(first['repeats'], 'repeat')}); diff = B - A; "
        f"{first['confidence']:.0%} CI and p from the corrected resampled t-test "
        f"(Nadeau & Bengio 2003) with n_test/n_train = {first['n_test']:.4g}/{first['n_train']:.4g}; "
        f"p Holm: p adjusted for the {_count(len(table), 'comparison')} (Holm 1979); "
        "p uncorrected from the plain paired t-test." + _clip_note(metric, means=False) + _bayes_note(table),
        "",
    ]
    bayes = "p_b_better" in table.columns
    lines += markdown_table(
        ["A", "B", "mean A", "mean B", "diff", "CI", "t", "df", "p", "p Holm", "p uncorrected",
         *(["P(A better)", "P(equiv.)", "P(B better)"] if bayes else [])],
        ([row.run_a, row.run_b, f"{row.mean_a:.4f}", f"{row.mean_b:.4f}", f"{row.diff:+.4f}",
          f"[{row.ci_lo:+.4f}, {row.ci_hi:+.4f}]", f"{row.t:.3f}", row.df, p_value_text(row.p),
          p_value_text(row.p_holm), p_value_text(row.p_uncorrected), *(_bayes_cells(row) if bayes else [])]
         for row in table.itertuples(index=False)))
    lines.append("")
    lines += [f"- {text}" for text in table["verdict"]]
    return "\n".join(lines) + "\n"


def _clip_note(metric: str, means: bool = True) -> str:
    """What ``scoring.bounds`` did to the table's intervals of ``metric``: `` Intervals clipped to
    where the values lie: a mean's to [0, 1], a difference's to [-1, 1].`` (empty when nothing)."""
    low, high = bounds(metric)
    parts = [f"a mean's to {range_text((low, high))}"] if means and (low, high) != UNBOUNDED else []
    if (low - high, high - low) != UNBOUNDED:
        parts.append(f"a difference's to {range_text((low - high, high - low))}")
    return f" Intervals clipped to where the values lie: {', '.join(parts)}." if parts else ""


def _bayes_note(table: pd.DataFrame) -> str:
    """What the Bayesian columns mean, when the table has them."""
    if "p_b_better" not in table.columns:
        return ""
    return (f" P(...): posterior probabilities of the Bayesian correlated t-test (Corani & Benavoli 2015) "
            f"that one run is better by more than the rope {table['rope'].iloc[0]:g}, or that both are "
            "within it (equiv.).")


def _bayes_cells(row) -> list[str]:
    return [f"{row.p_a_better:.3f}", f"{row.p_equivalent:.3f}", f"{row.p_b_better:.3f}"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

