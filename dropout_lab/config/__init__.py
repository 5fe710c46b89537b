"""Experiment configuration: one typed schema, validated in one place.

- :mod:`.types`: value types and the ``Section`` base (unknown keys are errors);
- :mod:`.schema`: the sections and :class:`Experiment` (layer kinds from :mod:`dropout_lab.layers`);
- :mod:`.optimizers`: ``training.optimizer`` (Keras' optimizers, tagged by ``name``);
- :mod:`.schedules`: learning-rate schedules (``training.optimizer.learning_rate``);
- :mod:`.loader`: YAML, ``extends``, ``--set``, sweep cells -> a validated ``Experiment``;
- :mod:`.keypath`: key paths such as ``model.layers[1].rate``;
- :mod:`.messages`: validation errors as ``file: key.path must be X; got Y``;
- :mod:`.sweep_rules`: the shape of a ``sweep`` mapping;
- :mod:`.inference`: ``evaluation.inference`` (standard or Monte Carlo dropout), calibration bins;
- :mod:`.stopping`: ``training.early_stopping``;
- the checks that need the data are :mod:`dropout_lab.preflight`'s.
"""

from ..layers import DenseLayer, DropoutLayer
from ..types import ACTIVATIONS, INITIALIZERS
from .datasets import UCI_SETS, UCI_SPLITS, UciData
from .inference import INFERENCE_MODES, MC_DROPOUT_KINDS, InferenceConfig, mc_dropout_layers
from .keypath import format_loc, parse_key_path, parse_override
from .loader import dump_config, load_config, load_config_sourced
from .schedules import (
    SCHEDULES,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
    Schedule,
    schedule_of,
)
from .schema import (
    ENGINES,
    LOSSES,
    TAGS,
    TASKS,
    VIEWS,
    AdamConfig,
    AdamWConfig,
    CirclesData,
    CsvData,
    DataConfig,
    DiabetesData,
    DigitsData,
    EvaluationConfig,
    Experiment,
    Friedman1Data,
    Gap1dData,
    HoldoutConfig,
    KFoldConfig,
    MnistData,
    ModelConfig,
    NadamConfig,
    NpzData,
    OptimizerConfig,
    RandomData,
    RMSpropConfig,
    SGDConfig,
    SonarData,
    TrainingConfig,
)
from .stopping import MONITORS, EarlyStoppingConfig
from .sweep_rules import sweep_label, sweep_problem

__all__ = [
    "ACTIVATIONS", "ENGINES", "INITIALIZERS", "LOSSES", "SCHEDULES", "TAGS", "TASKS", "AdamConfig", "AdamWConfig",
    "CirclesData", "CosineDecay", "CsvData", "DataConfig", "DenseLayer", "DiabetesData", "DigitsData", "DropoutLayer",
    "EvaluationConfig", "Experiment", "ExponentialDecay", "Friedman1Data", "Gap1dData", "HoldoutConfig",
    "InverseTimeDecay", "KFoldConfig",
    "MnistData", "ModelConfig", "NadamConfig", "NpzData", "OptimizerConfig", "PiecewiseConstantDecay", "RMSpropConfig",
    "RandomData", "SGDConfig", "Schedule", "SonarData", "TrainingConfig", "UCI_SETS", "UCI_SPLITS", "UciData", "VIEWS",
    "dump_config", "format_loc", "load_config", "load_config_sourced",
    "parse_key_path", "parse_override", "schedule_of", "sweep_label", "sweep_problem",
    "EarlyStoppingConfig", "INFERENCE_MODES", "InferenceConfig", "MC_DROPOUT_KINDS", "MONITORS", "mc_dropout_layers",
]
