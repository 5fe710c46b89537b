"""Learning-rate schedules in the config (config/schedules.py): what loads, what is refused
and how, how they merge through `extends`, round-trip and sweep."""

import pytest

from dropout_lab.config import (
    SCHEDULES,
    TAGS,
    CosineDecay,
    ExponentialDecay,
    PiecewiseConstantDecay,
    dump_config,
    load_config,
    schedule_of,
)
from dropout_lab.config.messages import plain_loc
from dropout_lab.errors import ConfigError
from dropout_lab.sweep import expand

from .conftest import write

BASE = """
name: a
data: {dataset: sonar}
model:
  layers:
    - {type: dense, units: 8}
    - {type: dense, units: 1, activation: sigmoid}
training:
  optimizer: {name: sgd, learning_rate: LR, momentum: 0.9}
  epochs: 3
  batch_size: 16
"""
EXP = "{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: 0.99}"


def config(tmp_path, lr: str, name: str = "a.yaml"):
    return write(tmp_path / name, BASE.replace("LR", lr))


@pytest.mark.parametrize("lr, expected", [
    ("0.1", 0.1),
    ("1", 1),
    (EXP, ExponentialDecay(schedule="exponential_decay", initial_learning_rate=1.0, decay_steps=12,
                           decay_rate=0.99)),
    ("{schedule: cosine_decay, initial_learning_rate: 0.0, decay_steps: 100, warmup_target: 0.5, warmup_steps: 10}",
     CosineDecay(schedule="cosine_decay", initial_learning_rate=0.0, decay_steps=100, warmup_target=0.5,
                 warmup_steps=10)),
    ("{schedule: piecewise_constant, boundaries: [100, 200], values: [1.0, 0.5, 0.1]}",
     PiecewiseConstantDecay(schedule="piecewise_constant", boundaries=[100, 200], values=[1.0, 0.5, 0.1])),
])
def test_a_learning_rate_is_a_number_or_a_schedule(tmp_path, lr, expected):
    assert load_config(config(tmp_path, lr)).training.optimizer.learning_rate == expected


def test_schedule_defaults_are_keras_defaults(tmp_path):
    lr = load_config(config(tmp_path, "{schedule: cosine_decay, initial_learning_rate: 1.0, decay_steps: 9}"))
    assert lr.training.optimizer.learning_rate.model_dump() == {
        "schedule": "cosine_decay", "initial_learning_rate": 1.0, "decay_steps": 9, "alpha": 0.0,
        "warmup_target": None, "warmup_steps": 0}
    assert load_config(config(tmp_path, EXP)).training.optimizer.learning_rate.staircase is False


V = "exponential_decay, inverse_time_decay, cosine_decay, piecewise_constant"
L = "training.optimizer.learning_rate"


@pytest.mark.parametrize("lr, message", [
    ("{schedule: exp_decay, initial_learning_rate: 1.0}",
     f"{L}.schedule must be one of: {V} (did you mean 'exponential_decay'?); got 'exp_decay'"),
    ("{initial_learning_rate: 1.0, decay_steps: 2, decay_rate: 0.5}",
     f"{L}.schedule is required; expected one of: {V}"),
    ("{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: -0.5}",
     f"{L}.decay_rate must be a float > 0; got -0.5"),
    ("{schedule: inverse_time_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: -0.5}",
     f"{L}.decay_rate must be a float >= 0; got -0.5"),
    ("{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 0, decay_rate: 0.5}",
     f"{L}.decay_steps must be an integer >= 1; got 0"),
    ("{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12}", f"{L}.decay_rate is required"),
    ("{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: 0.5, decay: 1}",
     f"{L}.decay is not a known key"),
    ("{schedule: piecewise_constant, boundaries: [100, 200], values: [1.0, 0.5]}",
     f"{L}.values must hold one value more than boundaries (2 boundaries [100, 200]: 3 values); got [1.0, 0.5]"),
    ("{schedule: piecewise_constant, boundaries: [200, 100], values: [1.0, 0.5, 0.1]}",
     f"{L}.boundaries must be a non-empty list of strictly increasing integers >= 0 (optimizer steps); "
     "got [200, 100]"),
    ("{schedule: piecewise_constant, boundaries: [], values: [1.0]}", f"{L}.boundaries must be a non-empty list"),
    ("{schedule: piecewise_constant, boundaries: [10], values: [1.0, -0.5]}",
     f"{L}.values must be a list of learning rates, each a float > 0; got [1.0, -0.5]"),
    ("{schedule: cosine_decay, initial_learning_rate: 1.0, decay_steps: 9, alpha: 1.5}",
     f"{L}.alpha must be a float in [0, 1]; got 1.5"),
    ("{schedule: cosine_decay, initial_learning_rate: 0.0, decay_steps: 9}",
     f"{L} needs initial_learning_rate > 0 or a warmup_target"),
    ("-0.1", f"{L} must be a float > 0 or a schedule {{schedule: {V.replace(', ', ' | ')}, ...}}; got -0.1"),
    ("'0.1'", f"{L} must be a float > 0 or a schedule"),
])
def test_bad_schedules_name_the_key_path(tmp_path, lr, message):
    path = config(tmp_path, lr)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("optimizer, ok", [
    ("{name: sgd, momentum: 0.99}", True),
    ("{name: sgd, momentum: 1.5}", "training.optimizer.momentum must be a float in [0, 1]; got 1.5"),
    ("{name: rmsprop, momentum: 0.99}", True),
    ("{name: rmsprop, momentum: 1.0}", "training.optimizer.momentum must be a float in [0, 1); got 1.0"),
    ("{name: nadam, beta_1: 0.95}", True),
    ("{name: adamw, weight_decay: -0.1}", "training.optimizer.weight_decay must be a float >= 0; got -0.1"),
    ("{name: adamw, momentum: 0.9}", "training.optimizer.momentum is not a known key"),
])
def test_momentum_up_to_0_99_and_the_new_optimizers(tmp_path, optimizer, ok):
    path = write(tmp_path / "a.yaml", BASE.replace("{name: sgd, learning_rate: LR, momentum: 0.9}", optimizer))
    if ok is True:
        load_config(path)
    else:
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert str(err.value).startswith(f"{path}: {ok}")


def test_optimizer_defaults_are_keras_defaults(tmp_path):
    path = write(tmp_path / "a.yaml", BASE.replace("{name: sgd, learning_rate: LR, momentum: 0.9}", "{name: adamw}"))
    assert load_config(path).training.optimizer.model_dump() == {
        "name": "adamw", "learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-7}
    nadam = load_config(path, ["training.optimizer={name: nadam}"]).training.optimizer
    assert (nadam.learning_rate, nadam.beta_1, nadam.beta_2, nadam.epsilon) == (0.001, 0.9, 0.999, 1e-7)


def test_extends_merges_a_schedule_and_replaces_another_kind_whole(tmp_path):
    config(tmp_path, EXP, "base.yaml")
    tweak = write(tmp_path / "tweak.yaml", "extends: base.yaml\ntraining: {optimizer: {learning_rate: "
                                           "{decay_rate: 0.5}, momentum: 0.99}}\n")
    lr = load_config(tweak).training.optimizer.learning_rate
    assert (lr.schedule, lr.initial_learning_rate, lr.decay_rate) == ("exponential_decay", 1.0, 0.5)
    other = write(tmp_path / "other.yaml", "extends: base.yaml\ntraining: {optimizer: {learning_rate: "
                                           "{schedule: piecewise_constant, boundaries: [5], values: [1.0, 0.1]}}}\n")
    assert schedule_of(load_config(other).training.optimizer.learning_rate) == "piecewise_constant"  # no leftovers
    number = write(tmp_path / "number.yaml", "extends: base.yaml\ntraining: {optimizer: {learning_rate: 0.3}}\n")
    assert load_config(number).training.optimizer.learning_rate == 0.3


def test_an_error_in_an_inherited_schedule_names_the_base_file(tmp_path):
    base = config(tmp_path, EXP.replace("0.99", "-1.0"), "base.yaml")
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nseed: 3\n")
    with pytest.raises(ConfigError, match=rf"^{base}: {L}.decay_rate must be a float > 0; got -1.0"):
        load_config(child)
    with pytest.raises(ConfigError, match=rf"\(--set {L}.decay_rate=-2\): {L}.decay_rate must be a float > 0"):
        load_config(config(tmp_path, EXP), [f"{L}.decay_rate=-2"])


def test_schedules_round_trip_through_the_resolved_config(tmp_path):
    cfg = load_config(config(tmp_path, EXP))
    again = load_config(write(tmp_path / "again.yaml", dump_config(cfg)))
    assert again == cfg and again.config_hash() == cfg.config_hash()


def test_a_sweep_over_a_schedule_parameter(tmp_path):
    path = config(tmp_path, EXP)
    sweep = expand(path, items=[f"{L}.decay_rate=0.9,0.99", "training.optimizer.momentum=0.9,0.99"])
    assert [cell.name for cell in sweep.cells] == [
        "decay_rate=0.9,momentum=0.9", "decay_rate=0.9,momentum=0.99",
        "decay_rate=0.99,momentum=0.9", "decay_rate=0.99,momentum=0.99"]
    assert [c.cfg.training.optimizer.learning_rate.decay_rate for c in sweep.cells] == [0.9, 0.9, 0.99, 0.99]
    assert {c.cfg.training.optimizer.learning_rate.decay_steps for c in sweep.cells} == {12}
    with pytest.raises(ConfigError, match=rf'^{path}: {L}.decay_rate must be a float > 0; got -0.9'):
        expand(path, items=[f"{L}.decay_rate=0.9,-0.9"])
    number = config(tmp_path, "0.1", "number.yaml")
    with pytest.raises(ConfigError, match=rf'^{number}: sweep\["{L}.decay_rate"\]: {L} is not a mapping'):
        expand(number, items=[f"{L}.decay_rate=0.9"])


def test_a_sweep_over_whole_schedules_keeps_readable_cell_names(tmp_path):
    path = config(tmp_path, "0.1")
    sweep = expand(path, items=[f"{L}=0.1,{EXP}"])
    assert [cell.name for cell in sweep.cells][0] == "learning_rate=0.1"
    assert sweep.cells[1].name.startswith("learning_rate=schedule_exponential_decay")


def test_error_locations_drop_the_schedule_tag():
    loc = ("training", "optimizer", "sgd", "learning_rate", "exponential_decay", "decay_rate")
    assert plain_loc({"loc": loc}) == ["training", "optimizer", "learning_rate", "decay_rate"]
    assert plain_loc({"loc": ("training", "optimizer", "adam", "learning_rate", "constant")}) == [
        "training", "optimizer", "learning_rate"]


def test_the_schedule_names_are_one_list():
    assert TAGS["schedule"] == tuple(SCHEDULES)
    assert "constant" not in SCHEDULES
