"""Experiment configuration: one typed schema, validated in one place.

- :mod:`.types`: value types and the ``Section`` base (unknown keys are errors);
- :mod:`.schema`: the sections and :class:`Experiment` (layer kinds from :mod:`dropout_lab.layers`);
- :mod:`.schedules`: learning-rate schedules (``training.optimizer.learning_rate``);
- :mod:`.loader`: YAML, ``extends``, ``--set``, sweep cells -> a validated ``Experiment``;
- :mod:`.keypath`: key paths such as ``model.layers[1].rate``;
- :mod:`.messages`: validation errors as ``file: key.path must be X; got Y``;
- :mod:`.sweep_rules`: the shape of a ``sweep`` mapping;
- :mod:`.checks`: checks that need the data, before training.
"""

from ..layers import DenseLayer, DropoutLayer
from .checks import check_against_data
from .keypath import format_loc, parse_key_path, parse_override
from .loader import dump_config, load_config
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
    AdamConfig,
    AdamWConfig,
    CirclesData,
    CsvData,
    DataConfig,
    EvaluationConfig,
    Experiment,
    HoldoutConfig,
    KFoldConfig,
    ModelConfig,
    NadamConfig,
    OptimizerConfig,
    RMSpropConfig,
    SGDConfig,
    SonarData,
    TrainingConfig,
)
from .sweep_rules import sweep_label, sweep_problem
from .types import ACTIVATIONS, INITIALIZERS

__all__ = [
    "ACTIVATIONS", "ENGINES", "INITIALIZERS", "LOSSES", "SCHEDULES", "TAGS", "AdamConfig", "AdamWConfig",
    "CirclesData", "CosineDecay", "CsvData", "DataConfig", "DenseLayer", "DropoutLayer", "EvaluationConfig",
    "Experiment", "ExponentialDecay", "HoldoutConfig", "InverseTimeDecay", "KFoldConfig", "ModelConfig",
    "NadamConfig", "OptimizerConfig", "PiecewiseConstantDecay", "RMSpropConfig", "SGDConfig", "Schedule",
    "SonarData", "TrainingConfig", "check_against_data", "dump_config", "format_loc", "load_config",
    "parse_key_path", "parse_override", "schedule_of", "sweep_label", "sweep_problem",
]
