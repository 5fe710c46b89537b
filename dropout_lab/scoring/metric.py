"""What every score table shares: :class:`Metric`, the parts a fold is scored on, prefixes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

PARTS = ("train", "test")
MC_PREFIX = "mc_"  # mc_test_<metric>: the held-out part scored with Monte Carlo dropout
DEFAULT_BINS = 15  # evaluation.calibration_bins' default
UNBOUNDED = (-math.inf, math.inf)


@dataclass(frozen=True)
class Metric:
    """One score: ``fn`` computes it (its arguments are the task's: see the task's module),
    ``doc`` says what it means; ``higher_is_better`` which way is better (None: neither, e.g.
    a coverage, which should be near its nominal level); ``bounds``, the range ``(low, high)``
    its values lie in: intervals of its mean are clipped to it.  ``mc_only``: defined under
    Monte Carlo dropout only (it needs a predictive distribution)."""

    name: str
    fn: Callable[..., float]
    doc: str
    higher_is_better: bool | None = True
    bounds: tuple[float, float] = (0.0, 1.0)
    mc_only: bool = False
