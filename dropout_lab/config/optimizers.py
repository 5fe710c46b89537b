"""The optimizers of ``training.optimizer``, tagged by ``name``: Keras' names and defaults
(keras.optimizers.SGD, Adam, RMSprop, Nadam, AdamW).  ``learning_rate`` is a float or a
schedule (see :mod:`.schedules`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..types import Bool, NonNegativeFloat, PositiveFloat, Rate, Section, expect, is_float
from .schedules import LearningRate


class SGDConfig(Section):
    name: Literal["sgd"]
    """The optimizer."""
    learning_rate: LearningRate = 0.01
    """The learning rate: a float > 0, or a schedule `{schedule: NAME, ...}`."""
    momentum: Annotated[float, expect("a float in [0, 1]", lambda v: is_float(v) and 0 <= v <= 1)] = 0.0
    """Momentum (keras.optimizers.SGD)."""
    nesterov: Bool = False
    """Nesterov momentum."""


class AdamConfig(Section):
    name: Literal["adam"]
    """The optimizer."""
    learning_rate: LearningRate = 0.001
    """The learning rate: a float > 0, or a schedule `{schedule: NAME, ...}`."""
    beta_1: Rate = 0.9
    """Decay rate of the first-moment estimates."""
    beta_2: Rate = 0.999
    """Decay rate of the second-moment estimates."""
    epsilon: PositiveFloat = 1e-7
    """Added to the denominator for numerical stability."""


class RMSpropConfig(Section):
    name: Literal["rmsprop"]
    """The optimizer."""
    learning_rate: LearningRate = 0.001
    """The learning rate: a float > 0, or a schedule `{schedule: NAME, ...}`."""
    rho: Rate = 0.9
    """Decay rate of the moving average of squared gradients."""
    momentum: Rate = 0.0
    """Momentum."""


class NadamConfig(AdamConfig):
    """Adam with Nesterov momentum (Dozat 2015), as ``keras.optimizers.Nadam``: Adam's keys
    and defaults."""

    name: Literal["nadam"]
    """The optimizer."""


class AdamWConfig(Section):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``keras.optimizers.AdamW``:
    before each update every weight (biases included) shrinks by ``weight_decay * learning_rate``."""

    name: Literal["adamw"]
    """The optimizer."""
    learning_rate: LearningRate = 0.001
    """The learning rate: a float > 0, or a schedule `{schedule: NAME, ...}`."""
    weight_decay: NonNegativeFloat = 0.004
    """Decoupled weight decay: every weight shrinks by weight_decay * learning_rate before each update."""
    beta_1: Rate = 0.9
    """Decay rate of the first-moment estimates."""
    beta_2: Rate = 0.999
    """Decay rate of the second-moment estimates."""
    epsilon: PositiveFloat = 1e-7
    """Added to the denominator for numerical stability."""


OptimizerConfig = Annotated[
    SGDConfig | AdamConfig | RMSpropConfig | NadamConfig | AdamWConfig, Field(discriminator="name")
]
