import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import DropoutLabError
from dropout_lab.reproduce import reproduction_markdown
from dropout_lab.results import write_run

from .conftest import CONFIGS


def fake_run(out, name, test, train):
    folds = pd.DataFrame({"repeat": range(1, len(test) + 1), "fold": 1, "split_seed": 1, "model_seed": 1,
                          "n_train": 30, "n_test": 70, "train_accuracy": train, "test_accuracy": test,
                          "test_loss": 0.5, "fit_seconds": 0.1})
    write_run(out, load_config(CONFIGS / f"{name}.yaml"), folds, {"dataset": {"checksum": "x"}}, plots=False)


def row(text, name, metric):
    return next(line for line in text.splitlines() if line.startswith(f"| {name} | {metric} "))


def test_verdicts_follow_the_judging_rules(tmp_path):
    # single-run figures: 0.757 lies among these runs (53/70 = 0.7571 prints as 0.757); 0.814 does not
    fake_run(tmp_path, "circles_overfit", [53 / 70, 53 / 70, 0.77, 0.78, 0.79, 0.79], [1.0] * 6)
    fake_run(tmp_path, "circles_dropout", [0.76, 0.76, 0.77, 0.77], [29 / 30] * 4)
    # mean-of-folds figures, judged by Welch's test against the published mean and std over 10 folds:
    # 0.8604 (4.00%) agrees with these folds (mean 0.85)
    fake_run(tmp_path, "sonar_baseline", [0.80, 0.85, 0.90, 0.85], [1.0] * 4)
    # 0.8352 (7.68%) lies outside these folds' own 95% interval of the mean, [0.8377, 0.9123] (like the
    # fused engine's sonar_input), yet is one 10-fold mean as uncertain as they are: Welch p = 0.21
    fused_input = [0.857, 0.952, 0.857, 0.857, 0.857, 0.905, 0.810, 0.905, 0.950, 0.800]
    fake_run(tmp_path, "sonar_input", fused_input, [1.0] * 10)
    # 0.8359 (7.31%) against folds all near 0.70: not reproduced
    fake_run(tmp_path, "sonar_hidden", [0.70, 0.71, 0.69, 0.70, 0.72, 0.68, 0.70, 0.71, 0.69, 0.70], [1.0] * 10)
    text = reproduction_markdown(tmp_path)
    assert "| reproduced: 0.757 is inside the spread of single runs |" in row(text, "circles_overfit", "test_accuracy")
    assert "not reproduced: 0.814 is outside" in row(text, "circles_dropout", "test_accuracy")
    assert "| reproduced: 0.967 is inside" in row(text, "circles_dropout", "train_accuracy")
    assert "| reproduced: 0.8604 is consistent with the measured folds (Welch p = " in row(
        text, "sonar_baseline", "test_accuracy")
    assert "| 0.8750 [0.8377, 0.9123] | 10 |" in row(text, "sonar_input", "test_accuracy")
    assert "| reproduced: 0.8352 is consistent with the measured folds (Welch p = 0.21) |" in row(
        text, "sonar_input", "test_accuracy")
    assert "| not reproduced: 0.8359 is inconsistent with the measured folds (Welch p < 0.001) |" in row(
        text, "sonar_hidden", "test_accuracy")
    assert "dropout gives a higher test accuracy than the overfit model: does not hold" in text


def test_no_runs_is_an_error(tmp_path):
    with pytest.raises(DropoutLabError, match="no runs found"):
        reproduction_markdown(tmp_path)


def test_a_run_of_another_config_is_not_judged(tmp_path):
    folds = pd.DataFrame({"repeat": range(1, 6), "fold": 1, "split_seed": 1, "model_seed": 1, "n_train": 30,
                          "n_test": 70, "train_accuracy": 1.0, "test_accuracy": 0.757, "test_loss": 0.5,
                          "fit_seconds": 0.1})
    longer = load_config(CONFIGS / "circles_overfit.yaml", ["training.epochs=1000", "evaluation.repeats=5"])
    write_run(tmp_path, longer, folds, {"dataset": {"checksum": "x"}}, plots=False)
    fake_run(tmp_path, "circles_dropout", [0.81, 0.82, 0.80], [0.97] * 3)  # the study's own config
    fused = load_config(CONFIGS / "sonar_baseline.yaml", ["training.engine=fused"])  # the engine does not count
    write_run(tmp_path, fused, folds.assign(n_train=187, n_test=21), {"dataset": {"checksum": "x"}}, plots=False)
    text = reproduction_markdown(tmp_path)
    assert row(text, "circles_overfit", "test_accuracy").endswith(
        "| not judged: config differs: training.epochs = 1000 here vs 4000 in circles_overfit.yaml |")
    assert "reproduced: 0.814 is inside" in row(text, "circles_dropout", "test_accuracy")
    assert "not reproduced: 0.8604 is inconsistent" in row(text, "sonar_baseline", "test_accuracy")
    assert "dropout gives a higher test accuracy" not in text  # a claim about a run not judged


def test_nothing_of_the_published_studies_is_an_error(tmp_path):
    write_run(tmp_path, load_config(CONFIGS / "smoke.yaml"), pd.DataFrame({
        "repeat": 1, "fold": [1, 2], "split_seed": 7, "n_train": 104, "n_test": 104, "train_accuracy": 1.0,
        "test_accuracy": 0.8}), {"dataset": {"checksum": "x"}}, plots=False)
    with pytest.raises(DropoutLabError, match="no run of a published study"):
        reproduction_markdown(tmp_path)
    other = load_config(CONFIGS / "circles_dropout.yaml", ["seed=2"])
    write_run(tmp_path, other, pd.DataFrame({
        "repeat": [1, 2], "fold": 1, "split_seed": 2, "n_train": 30, "n_test": 70, "train_accuracy": 1.0,
        "test_accuracy": 0.8}), {"dataset": {"checksum": "x"}}, plots=False)
    result = CliRunner().invoke(main, ["reproduction", str(tmp_path)])
    assert result.exit_code == 1 and not (tmp_path / "reproduction.md").exists()
    assert result.stderr == (f"Error: {tmp_path}: no run of a published study (sonar_baseline, sonar_input, "
                             "sonar_hidden, circles_overfit, circles_dropout) with its shipped config; "
                             "circles_dropout: config differs: seed = 2 here vs 1 in circles_dropout.yaml\n")
