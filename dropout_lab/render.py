"""Text shared by every output (summaries, comparisons, sweeps, reports, reproduction, errors): one
way to write a Markdown table, an interval, a sample's shape and a run's protocol.  Pure, and imports nothing of the
package, so that any layer may use it."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> list[str]:
    """The lines of a Markdown table: the header, its rule, one line per row (cells as ``str``)."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)]


def format_shape(shape) -> str:
    """One sample's shape: ``(8, 8, 32)``; one axis as ``(64,)``."""
    return f"({', '.join(str(n) for n in shape)}{',' if len(shape) == 1 else ''})"


def interval(low: float, high: float, spec: str = ".4f", missing: str = "—") -> str:
    """``[0.8012, 0.8851]``; ``missing`` when the interval is undefined (NaN)."""
    if low is None or (isinstance(low, float) and math.isnan(low)):
        return missing
    return f"[{low:{spec}}, {high:{spec}}]"


def protocol(evaluation: Mapping, epochs=None) -> str:
    """How a run was evaluated, from its config's ``evaluation`` section (a mapping, as a run's
    config.yaml holds it): ``10-fold CV x 3 repeats``, ``holdout (n_train 60000)``; with
    ``epochs``, ``..., 300 epochs``."""
    if evaluation.get("protocol") == "holdout":
        size = evaluation.get("n_train")
        text = (f"holdout (n_train {size})" if size is not None
                else f"holdout (train_fraction {evaluation.get('train_fraction')})")
    else:
        text = f"{evaluation.get('n_splits', '?')}-fold CV"
    repeats = evaluation.get("repeats", 1)
    if repeats != 1:
        text += f" x {repeats} repeats"
    return text if epochs is None else f"{text}, {epochs} epochs"
