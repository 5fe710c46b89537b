"""The config schema: one typed model per section, validated in one place.

Tagged unions (``data.dataset``, ``model.layers[i].type``, ``training.optimizer.name``,
``evaluation.protocol``) pick a section's schema by its tag; ``TAGS`` lists each union's
tags for messages.  Layer kinds come from the layer registry (:mod:`dropout_lab.layers`).
"""

from __future__ import annotations

import hashlib
import json
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import Field, PlainValidator, field_validator, model_validator
from pydantic_core import PydanticCustomError

from ..layers import LAYERS
from ..types import (
    Bool,
    Name,
    PositiveInt,
    Section,
    Seed,
    Text,
    choice,
    expect,
    is_float,
    is_int,
)
from .datasets import (  # noqa: F401  (public here too)
    DIGITS,
    TASKS,
    VIEWS,
    CirclesData,
    CsvData,
    DataConfig,
    DiabetesData,
    DigitsData,
    Friedman1Data,
    Gap1dData,
    MnistData,
    NpzData,
    RandomData,
    SonarData,
)
from .inference import DEFAULT_BINS, CalibrationBins, InferenceConfig, OmitDefaults, is_standard
from .optimizers import (  # noqa: F401  (public here too)
    AdamConfig,
    AdamWConfig,
    NadamConfig,
    OptimizerConfig,
    RMSpropConfig,
    SGDConfig,
)
from .schedules import SCHEDULES
from .search_rules import check_search
from .stopping import EarlyStoppingConfig
from .sweep_rules import check_sweep

# each loss with the kind of problem it is for: binary data takes a dense(1, sigmoid) output,
# K-class data a dense(K, softmax) one, a regression target a dense(1, linear) one (checked
# against the data before training: see dropout_lab.preflight)
LOSSES = {
    "binary_crossentropy": "binary",
    "categorical_crossentropy": "multiclass",
    "sparse_categorical_crossentropy": "multiclass",
    "mse": "regression",
    "mae": "regression",
    "huber": "regression",
    "log_cosh": "regression",
}
ENGINES = ("scikeras", "fused")

Loss = Annotated[str, choice(tuple(LOSSES))]


# --- model ---

Layer = Annotated[Union[tuple(kind.spec for kind in LAYERS.values())], Field(discriminator="type")]  # noqa: UP007


class ModelConfig(Section):
    """The layers in order.  The output layer (the last) and the loss are checked against
    the data's classes before training (:func:`dropout_lab.preflight.check_output`)."""

    layers: list[Layer]
    """The model's layers in order, each a mapping with its `type` and options (see the layer reference); the last
    is the output layer: dense(1, sigmoid) for two classes, dense(K, softmax) for K classes."""

    @field_validator("layers")
    @classmethod
    def _not_empty(cls, layers: list) -> list:
        if not layers:
            raise PydanticCustomError("expected_output", "must hold at least the output layer; got an empty list")
        return layers


# --- training ---

class TrainingConfig(OmitDefaults):
    """How each model trains: the optimizer, loss, epochs and batch size, the engine.

    ``early_stopping`` (see :mod:`.stopping`): none unless given.  Keys added after
    configs were first hashed are left out of the resolved config while they hold their
    default, so a config that does not set them keeps its text and hash."""

    _OMITTED_AT_DEFAULT = {"early_stopping": lambda v: v is None, "xla": lambda v: v == "auto"}

    optimizer: OptimizerConfig
    """The optimizer and its settings, tagged by `name` (Keras' names and defaults)."""
    loss: Loss = "binary_crossentropy"
    """The training loss; checked against the data: binary_crossentropy for two classes, categorical_crossentropy
    (one-hot labels) or sparse_categorical_crossentropy (class indices) for more."""
    epochs: PositiveInt
    """Epochs to train each model (with early stopping, the most it trains)."""
    batch_size: PositiveInt
    """Rows per minibatch; larger than a training part is a warning (one batch per epoch)."""
    engine: Annotated[str, choice(ENGINES)] = "scikeras"
    """The training engine: scikeras (the reference: a scikit-learn Pipeline per fold) or fused (many models as one
    compiled TensorFlow program); --engine."""
    early_stopping: EarlyStoppingConfig | None = None
    """Stop training when a validation score stops improving (SciKeras engine only); null: train every epoch."""
    # the fused engine compiles its program with XLA: true, false (graph mode) or "auto", the
    # default (XLA when a dense net's work repays the compile: see engines/fused/grouping.py, use_xla)
    xla: Annotated[bool | str, expect("true, false or auto", lambda v: isinstance(v, bool) or v == "auto",
                                     anyOf=({"type": "boolean"}, {"const": "auto"}))] = "auto"
    """Compile the fused engine's program with XLA: true, false (graph mode) or auto (XLA when a run's work repays
    the compile; conv and recurrent nets stay in graph mode, measured faster); --xla / --no-xla."""


# --- evaluation ---

class _Protocol(OmitDefaults):
    """``inference`` and ``calibration_bins``: see :mod:`.inference`."""

    _OMITTED_AT_DEFAULT = {"inference": is_standard, "calibration_bins": lambda v: v == DEFAULT_BINS,
                           "standardize_target": lambda v: v is True}

    protocol: str
    """The evaluation protocol."""
    standardize: Bool = True
    """Fit a StandardScaler on each training part and scale both parts with it."""
    standardize_target: Bool = True
    """Regression only: scale the target to mean 0, sd 1 on each training part (scores stay in its units)."""
    repeats: PositiveInt = 1
    """Repeat the evaluation this many times, each with other splits (repeat 1 uses the config's seed); --repeats."""
    inference: InferenceConfig = InferenceConfig()
    """How held-out rows are predicted: `{mode: standard}` or `{mode: mc_dropout, samples: T}`."""
    calibration_bins: CalibrationBins = DEFAULT_BINS
    """Equal-width bins of the top-class confidence for ece and the reliability diagram."""


class KFoldConfig(_Protocol):
    """Stratified k-fold (plain shuffled k-fold on a regression task); ``history: true`` also records
    each fold's per-epoch curves."""

    protocol: Literal["kfold"] = "kfold"
    """The evaluation protocol."""
    n_splits: Annotated[int, expect("an integer >= 2", lambda v: is_int(v) and v >= 2)] = 10
    """Folds of stratified k-fold cross-validation (at most the rows of the smallest class; plain k-fold for
    a regression task)."""
    shuffle: Bool = True
    """Shuffle the rows (seeded) before splitting them into folds."""
    history: Bool = False
    """Record each fold's per-epoch loss and accuracy (history.csv, learning_curve.png)."""


class HoldoutConfig(_Protocol):
    """One train/test split: the first ``n_train`` rows (or a fraction) train, the rest test."""

    protocol: Literal["holdout"]
    """The evaluation protocol."""
    n_train: Annotated[
        int | None, expect("an integer >= 1 or null", lambda v: v is None or (is_int(v) and v >= 1))
    ] = None
    """Rows that train (the rest test); give this or train_fraction."""
    train_fraction: Annotated[
        float | None, expect("a float in (0, 1) or null", lambda v: v is None or (is_float(v) and 0 < v < 1))
    ] = None
    """Share of the rows that train (the rest test); give this or n_train."""
    shuffle: Bool = False
    """false: the first rows train, the rest test; true: a stratified random split per repeat."""
    history: Bool = True
    """Record the per-epoch loss and accuracy (history.csv, learning_curve.png)."""

    @model_validator(mode="after")
    def _one_size(self) -> HoldoutConfig:
        if (self.n_train is None) == (self.train_fraction is None):
            raise PydanticCustomError(
                "expected_output", "needs exactly one of n_train and train_fraction; got {got}",
                {"got": "both" if self.n_train is not None else "neither"},
            )
        return self

    def train_size(self, n_rows: int) -> int:
        return self.n_train if self.n_train is not None else round(self.train_fraction * n_rows)


EvaluationConfig = Annotated[KFoldConfig | HoldoutConfig, Field(discriminator="protocol")]


# --- the whole experiment ---

class Experiment(Section):
    name: Name
    """The run's name: its result directory OUT/NAME; defaults to the config file's name."""
    description: Text = ""
    """What the config reproduces or tests, in words."""
    seed: Seed = 7
    """Seeds the splits and, through seeds derived from it, each fold's weights, dropout masks and shuffles."""
    data: DataConfig
    """The data, tagged by `dataset`."""
    model: ModelConfig
    """The model."""
    training: TrainingConfig
    """How each model trains."""
    evaluation: EvaluationConfig = KFoldConfig()
    """How the model is evaluated, tagged by `protocol` (default kfold)."""
    sweep: Annotated[dict[str, list] | None, PlainValidator(check_sweep)] = None
    """Key paths (as for --set) to lists of values; each combination is a cell evaluated like a config of its own."""
    search: Annotated[dict[str, Any] | None, PlainValidator(check_search)] = None
    """Key paths to spaces for `dropout-lab tune`: float(LOW, HIGH), log(LOW, HIGH), int(LOW, HIGH) or values."""

    @model_validator(mode="before")
    @classmethod
    def _default_protocol(cls, data: Any) -> Any:
        evaluation = data.get("evaluation") if isinstance(data, dict) else None
        if isinstance(evaluation, dict) and "protocol" not in evaluation:
            data = {**data, "evaluation": {"protocol": "kfold", **evaluation}}
        return data

    def to_dict(self) -> dict:
        """The fully resolved config as plain data: what ``config.yaml`` holds.

        Without a sweep (a search) there is no ``sweep`` (``search``) key, so configs hash as
        they did before sweeps (searches).
        """
        return self.model_dump(mode="json", exclude={key for key in ("sweep", "search") if getattr(self, key) is None})

    def config_hash(self) -> str:
        """SHA-256 of the resolved config in canonical JSON."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _tags(union, field: str) -> tuple[str, ...]:
    members = typing.get_args(typing.get_args(union)[0])
    return tuple(typing.get_args(member.model_fields[field].annotation)[0] for member in members)


# each tagged union's discriminator key and its tags, for messages
TAGS = {
    "dataset": _tags(DataConfig, "dataset"),
    "type": _tags(Layer, "type"),
    "name": _tags(OptimizerConfig, "name"),
    "protocol": _tags(EvaluationConfig, "protocol"),
    "schedule": tuple(SCHEDULES),
}
