"""Learning-rate schedules: ``training.optimizer.learning_rate`` as a number or a schedule.

A schedule is a mapping tagged by ``schedule`` whose other keys are the arguments of
the Keras class of that name (``keras.optimizers.schedules``), with Keras' names and
defaults; the optimizer evaluates it at its step count (0 for the first update)::

    learning_rate: {schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: 0.99}

==================== ============================================= =========================================
schedule             keys (defaults)                               rate at step ``s``
==================== ============================================= =========================================
exponential_decay    initial_learning_rate, decay_steps,           ``lr0 * decay_rate ** (s / decay_steps)``
                     decay_rate, staircase (false)                 (``floor(s / decay_steps)`` if staircase)
inverse_time_decay   initial_learning_rate, decay_steps,           ``lr0 / (1 + decay_rate * s / decay_steps)``
                     decay_rate, staircase (false)
cosine_decay         initial_learning_rate, decay_steps,           a linear warm-up to ``warmup_target`` over
                     alpha (0.0), warmup_target (null),            ``warmup_steps`` (when set), then a cosine
                     warmup_steps (0)                              from it to ``alpha`` times it
piecewise_constant   boundaries, values                            ``values[i]`` for ``boundaries[i-1] < s <=
                                                                   boundaries[i]``
==================== ============================================= =========================================
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..types import Bool, NonNegativeFloat, PositiveFloat, PositiveInt, Section, expect, is_float, is_int

UnitFloat = Annotated[float, expect("a float in [0, 1]", lambda v: is_float(v) and 0 <= v <= 1)]
NonNegativeInt = Annotated[int, expect("an integer >= 0", lambda v: is_int(v) and v >= 0)]
Boundaries = Annotated[
    list[int],
    expect("a non-empty list of strictly increasing integers >= 0 (optimizer steps)",
           lambda v: isinstance(v, list) and len(v) > 0 and all(is_int(b) and b >= 0 for b in v)
           and all(a < b for a, b in zip(v, v[1:], strict=False))),
]
Values = Annotated[
    list[float],
    expect("a list of learning rates, each a float > 0",
           lambda v: isinstance(v, list) and len(v) > 0 and all(is_float(x) and x > 0 for x in v)),
]


class ExponentialDecay(Section):
    """``keras.optimizers.schedules.ExponentialDecay``."""

    schedule: Literal["exponential_decay"]
    """The schedule."""
    initial_learning_rate: PositiveFloat
    """The rate at step 0."""
    decay_steps: PositiveInt
    """Steps over which the rate is multiplied by decay_rate once."""
    decay_rate: PositiveFloat
    """The factor per decay_steps steps."""
    staircase: Bool = False
    """Decay in steps: floor the exponent s / decay_steps."""


class InverseTimeDecay(Section):
    """``keras.optimizers.schedules.InverseTimeDecay``."""

    schedule: Literal["inverse_time_decay"]
    """The schedule."""
    initial_learning_rate: PositiveFloat
    """The rate at step 0."""
    decay_steps: PositiveInt
    """The step scale: rate = initial_learning_rate / (1 + decay_rate * s / decay_steps)."""
    decay_rate: NonNegativeFloat
    """How fast the rate falls."""
    staircase: Bool = False
    """Decay in steps: floor s / decay_steps."""


class CosineDecay(Section):
    """``keras.optimizers.schedules.CosineDecay`` (with its optional linear warm-up)."""

    schedule: Literal["cosine_decay"]
    """The schedule."""
    initial_learning_rate: NonNegativeFloat
    """The rate at step 0."""
    decay_steps: PositiveInt
    """Steps of the half cosine down to alpha times the peak rate."""
    alpha: UnitFloat = 0.0
    """The final rate as a fraction of the peak rate."""
    warmup_target: Annotated[
        float | None, expect("a float > 0 or null", lambda v: v is None or (is_float(v) and v > 0))
    ] = None
    """The peak rate reached linearly over warmup_steps; null: no warm-up."""
    warmup_steps: NonNegativeInt = 0
    """Steps of the linear warm-up."""

    @model_validator(mode="after")
    def _some_rate(self) -> CosineDecay:
        if self.warmup_target is None and self.initial_learning_rate == 0:
            raise PydanticCustomError(
                "expected_output", "needs initial_learning_rate > 0 or a warmup_target; got {got}",
                {"got": "initial_learning_rate 0 and no warmup_target"},
            )
        return self


class PiecewiseConstantDecay(Section):
    """``keras.optimizers.schedules.PiecewiseConstantDecay``: ``values[0]`` up to step
    ``boundaries[0]``, ..., ``values[-1]`` after ``boundaries[-1]``."""

    schedule: Literal["piecewise_constant"]
    """The schedule."""
    boundaries: Boundaries
    """The optimizer steps where the rate changes."""
    values: Values
    """The rates: values[0] up to boundaries[0], ..., values[-1] after the last boundary."""

    @field_validator("values")
    @classmethod
    def _one_more_than_boundaries(cls, values: list, info) -> list:
        boundaries = info.data.get("boundaries")
        if boundaries is not None and len(values) != len(boundaries) + 1:
            raise PydanticCustomError(
                "expected", "must hold {expected}",
                {"expected": f"one value more than boundaries ({len(boundaries)} boundaries "
                             f"{boundaries}: {len(boundaries) + 1} values)"},
            )
        return values


# name -> section; the builder maps the same names to the Keras classes
SCHEDULES = {
    "exponential_decay": ExponentialDecay,
    "inverse_time_decay": InverseTimeDecay,
    "cosine_decay": CosineDecay,
    "piecewise_constant": PiecewiseConstantDecay,
}
CONSTANT = "constant"  # the tag of a plain number; never a schedule's name
Schedule = ExponentialDecay | InverseTimeDecay | CosineDecay | PiecewiseConstantDecay


def _which(value: Any) -> str | None:
    """A number is a constant rate; a mapping is the schedule its ``schedule`` names (None:
    missing or unknown, which the discriminator's error reports)."""
    if isinstance(value, dict):
        name = value.get("schedule")
        return name if isinstance(name, str) and name in SCHEDULES else None
    return CONSTANT if not isinstance(value, Section) else value.schedule


PositiveRate = Annotated[
    float,
    expect("a float > 0 or a schedule {schedule: " + " | ".join(SCHEDULES) + ", ...}",
           lambda v: is_float(v) and v > 0, exclusiveMinimum=0),
]
# ``training.optimizer.learning_rate``: a number, or a mapping tagged by ``schedule``; an
# unknown or missing tag reads as ``...learning_rate.schedule must be one of: ...``
LearningRate = Annotated[
    Union[tuple([Annotated[PositiveRate, Tag(CONSTANT)],  # noqa: UP007
                 *(Annotated[section, Tag(name)] for name, section in SCHEDULES.items())])],
    Discriminator(_which, custom_error_type="unknown_tag", custom_error_message="unknown or missing schedule",
                  custom_error_context={"discriminator": "'schedule'"}),
]


def schedule_of(value: float | Schedule) -> str:
    """``"constant"`` for a number, else the schedule's name."""
    return value.schedule if isinstance(value, Section) else CONSTANT
