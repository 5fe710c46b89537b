"""Checks against the data before training (preflight/data.py: splits, batch size; preflight/model.py: model size)."""

import numpy as np
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import ConfigError
from dropout_lab.preflight import check_splits

from .conftest import CONFIGS

SMOKE = CONFIGS / "smoke.yaml"
ONE_CLASS = "evaluation={protocol: holdout, train_fraction: 0.3}"  # Sonar's first 62 rows are all R


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


# --- defect 1: a training part with only one class ---

@pytest.mark.parametrize("command", [["validate"], ["run", "--engine", "fused"], ["run", "--engine", "scikeras"]])
def test_a_training_part_without_every_class_is_refused_before_training(sonar_env, tmp_path, command):
    out = tmp_path / "out"
    extra = ["--out", out, *command[1:]] if command[0] == "run" else []
    line = one_error_line(invoke(command[0], SMOKE, "--set", ONE_CLASS, *extra))
    assert line == (
        f"Error: {SMOKE} (--set {ONE_CLASS}): evaluation: holdout (the first 62 of 208 rows train, shuffle: false), "
        "repeat 1: the training part has no rows of class 'M' (class counts: train R 62 / M 0; test R 35 / M 111); "
        "every training part must hold every class: set evaluation.shuffle: true for a stratified split")
    assert not out.exists()


def test_every_planned_split_of_every_repeat_is_checked_for_any_number_of_classes():
    from dropout_lab.config import load_config_sourced

    holdout = "evaluation={protocol: holdout, n_train: 6, repeats: 3}"
    cfg, source = load_config_sourced(SMOKE, [holdout, "training.batch_size=4"])
    classes = ("a", "b", "c")
    assert check_splits(cfg, np.array([0, 1, 2, 0, 1, 2, 0, 1, 2]), source, classes=classes) == []
    with pytest.raises(ConfigError) as err:
        check_splits(cfg, np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]), source, classes=classes)
    assert str(err.value) == (
        f"{SMOKE} (--set {holdout}): evaluation: holdout (the first 6 of 9 rows train, shuffle: false), repeat 1: "
        "the training part has no rows of class 'c' (class counts: train a 3 / b 3 / c 0; test a 0 / b 0 / c 3); "
        "every training part must hold every class: set evaluation.shuffle: true for a stratified split")
    # a stratified split cannot give 2 training rows to 3 classes: refused, not a crash in training
    shuffled = load_config(SMOKE, ["evaluation={protocol: holdout, n_train: 2, shuffle: true}"])
    with pytest.raises(ConfigError, match=r"c.yaml: evaluation: holdout \(a stratified random 2 of 9 rows train, "
                                          r"shuffle: true\) cannot be split: "):
        check_splits(shuffled, np.array([0, 0, 0, 1, 1, 1, 2, 2, 2]), "c.yaml")


def test_a_long_list_of_class_counts_is_cut_with_a_count():
    y = np.repeat(np.arange(214), 2)
    y[0] = 1  # class 0 keeps one row: k-fold needs two
    with pytest.raises(ConfigError, match=r"class counts: 0 1 / 1 3 / 2 2 .* and 206 more\)") as err:
        check_splits(load_config(SMOKE), y, "c.yaml")
    assert len(str(err.value)) < 300


def test_listing_cuts_after_its_limit():
    from dropout_lab.errors import listing

    assert listing(["a", "b", "c"], limit=3) == "a, b, c"
    assert listing(range(10), limit=2, sep=" / ") == "0 / 1 ... and 8 more"


# --- defect 10: a model too large for the machine, a batch larger than the training part ---

def test_a_model_too_large_for_the_machine_is_refused_with_its_parameter_count_and_memory():
    cfg = load_config(SMOKE, ["model.layers[0].units=100000000"])
    with pytest.raises(ConfigError) as err:
        check_splits(cfg, np.array([0, 1] * 10), "c.yaml", input_shape=(60,))
    # 60 x 1e8 + 1e8 (dense 0) + 1e8 x 30 + 30 (dense 2) + 30 + 1 (output); SGD with momentum keeps 1 slot
    assert str(err.value) == (
        "c.yaml: model: 9,100,000,061 parameters (on 60 inputs) need about 101.7 GiB to train (4 bytes each for "
        "the weights, their gradients and 1 sgd slot), above the 8 GiB this machine allows; use fewer units")
    small = load_config(SMOKE)  # 5521 parameters
    assert check_splits(small, np.array([0, 1] * 30), "c.yaml", input_shape=(60,)) == []


# config, --set, one sample's shape, the count (every layer counted: no "at least")
TOO_LARGE = {
    # conv 9 x 1e5 + 1e5; conv 9 x 1e5 x 1e5 + 1e5; dense (2 x 2 x 1e5) x 128 + 128; output 128 x 10 + 10
    "cnn": ("digits_cnn", ["model.layers[0].filters=100000", "model.layers[2].filters=100000"], (8, 8, 1),
            "90,052,301,418"),
    # 4 gates x 1e5 units x (8 inputs + 1e5 recurrent + 1 bias); output 1e5 x 10 + 10
    "lstm": ("digits_lstm_variational", ["model.layers[0].units=100000"], (8, 8), "40,004,600,010"),
}


@pytest.mark.parametrize("case", sorted(TOO_LARGE))
def test_a_cnn_or_rnn_too_large_is_refused_with_every_layer_counted(case):
    config, sets, shape, count = TOO_LARGE[case]
    cfg = load_config(CONFIGS / f"{config}.yaml", sets)
    with pytest.raises(ConfigError) as err:
        check_splits(cfg, np.array([0, 1] * 10), "c.yaml", input_shape=shape)
    assert str(err.value).startswith(f"c.yaml: model: {count} parameters (on {'x'.join(map(str, shape))} inputs) "
                                     f"need about ")
    assert check_splits(load_config(CONFIGS / f"{config}.yaml"), np.array([0, 1] * 40), "c.yaml",
                        input_shape=shape) == []


def test_the_fused_engine_counts_every_stacked_model(sonar_env):
    # 910,061 parameters are fine alone, not 3 folds x 1000 repeats of them stacked at once
    big = ["--set", "model.layers[0].units=10000", "--set", "evaluation.repeats=1000"]
    assert invoke("validate", SMOKE, *big).exit_code == 0
    line = one_error_line(invoke("validate", SMOKE, *big, "--set", "training.engine=fused"))
    assert "model: 910,061 parameters (on 60 inputs) need about" in line
    assert "x 3000 models stacked by the fused engine), above the 8 GiB this machine allows" in line


def test_a_batch_larger_than_a_training_part_is_said(sonar_env):
    result = invoke("validate", SMOKE, "--set", "training.batch_size=300")
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[0] == (
        f"Warning: {SMOKE} (--set training.batch_size=300): training.batch_size 300 is larger than the smallest "
        "training part (138 rows): each epoch is one batch of all its rows")
