"""The comparison of several configs' runs (``OUT/summary.md``, ``OUT/summary.csv``): pure tables.

One row per config: mean, std and 95% interval of test accuracy, mean and std of train
accuracy, runs; given how each run was evaluated (``setup_of`` its config.yaml), its
protocol and epochs, with runs evaluated unlike most of the others marked ``(*)``: their
numbers are not alike.  ``results.update_comparison`` writes it.
"""

from __future__ import annotations

import pandas as pd

from ..render import interval, markdown_table, protocol
from ..scoring import bounds, label, primary, range_text, title
from .tables import headline


def comparison_table(summaries: dict[str, pd.DataFrame], setups: dict[str, dict] | None = None) -> pd.DataFrame:
    """One row per config: mean/std of test and train accuracy; given each run's ``setup``
    (see ``setup_of``), its protocol and epochs and whether they match the other runs'."""
    rows = []
    common = _common_setup(setups)
    for name, summary in summaries.items():
        test, train = (summary.loc[c] for c in primary(summary.index))
        row = {"config": name, "test_mean": test["mean"], "test_std": test["std"],
               "test_ci95_low": test["ci95_low"], "test_ci95_high": test["ci95_high"],
               "train_mean": train["mean"], "train_std": train["std"], "runs": int(test["n"])}
        if setups is not None:
            setup = setups.get(name, {})
            row.update(protocol=setup.get("protocol"), epochs=setup.get("epochs"),
                       same_setup=common is None or _setup_key(setup) == common)
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_markdown(summaries: dict[str, pd.DataFrame], setups: dict[str, dict] | None = None) -> str:
    """The comparison as Markdown; with ``setups``, runs evaluated with another protocol or
    number of epochs than the others are marked, since their numbers are not alike."""

    table = comparison_table(summaries, setups)
    marked = setups is not None and not table["same_setup"].all()
    metric = primary(next(iter(summaries.values())).index)[0]
    what = label(metric).removeprefix("test ")
    lines = ["# Comparison", "", f"{title(metric)}, mean (std) over folds:", ""]
    lines += [f"- {headline(name, summary)}" for name, summary in summaries.items()]
    header = ["config", "test mean", "test std", "test 95% interval", "train mean", "train std", "runs"]
    lines += ["", *markdown_table(
        header + (["protocol", "epochs"] if setups is not None else []),
        ([f"{row.config}{' (*)' if marked and not row.same_setup else ''}", f"{row.test_mean:.4f}",
          f"{row.test_std:.4f}", interval(row.test_ci95_low, row.test_ci95_high, missing="[nan, nan]"),
          f"{row.train_mean:.4f}", f"{row.train_std:.4f}", row.runs,
          *([row.protocol, row.epochs] if setups is not None else [])] for row in table.itertuples(index=False)))]
    if marked:
        common = _common_setup(setups)
        lines += ["", f"(*) evaluated with another protocol or number of epochs than the others "
                      f"({common[0]}, {common[1]} epochs): its numbers are not alike theirs."]
    lines += ["", f"95% interval: the t-based interval of the mean test {what} over the runs, clipped to "
              f"{range_text(bounds(metric))}."]
    return "\n".join(lines) + "\n"


def setup_of(config: dict) -> dict:
    """How a run was evaluated, from its config.yaml: ``{"protocol": "10-fold CV", "epochs": 300}``."""
    evaluation = config.get("evaluation") if isinstance(config.get("evaluation"), dict) else {}
    training = config.get("training") if isinstance(config.get("training"), dict) else {}
    return {"protocol": protocol(evaluation), "epochs": training.get("epochs")}


def _setup_key(setup: dict) -> tuple:
    return setup.get("protocol"), setup.get("epochs")


def _common_setup(setups: dict[str, dict] | None) -> tuple | None:
    """The (protocol, epochs) most runs share (the first listed among equals); None without setups."""
    if not setups:
        return None
    keys = [_setup_key(s) for s in setups.values()]
    return max(dict.fromkeys(keys), key=keys.count)
