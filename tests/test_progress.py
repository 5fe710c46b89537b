"""Progress on stderr (progress.py): the line that starts a run, and one line per finished
fold when stderr is not a terminal. No training."""

import io

import numpy as np
import pytest

from dropout_lab.config import load_config
from dropout_lab.data import Dataset
from dropout_lab.progress import describe, fold_line, progress

from .conftest import CONFIGS

DATA = Dataset("toy", np.zeros((100, 2)), np.arange(100) % 2, "test", "-")


@pytest.mark.parametrize("config, overrides, text", [
    ("smoke.yaml", [], "smoke: 3-fold CV, 2 epochs, toy (100 rows)"),
    ("smoke.yaml", ["evaluation.repeats=4"], "smoke: 3-fold CV x 4 repeats, 2 epochs, toy (100 rows)"),
    ("circles_dropout.yaml", ["training.epochs=5"], "circles_dropout: holdout (30 train / 70 test) x 30 repeats, "
                                                    "5 epochs, toy (100 rows)"),
])
def test_the_line_that_starts_a_run(config, overrides, text):
    assert describe(load_config(CONFIGS / config, overrides), DATA) == text


@pytest.mark.parametrize("elapsed, clock", [(0.4, "0:00"), (75.9, "1:15"), (3725, "1:02:05")])
def test_a_fold_line_says_where_in_the_run_the_accuracy_and_the_time(elapsed, clock):
    cfg = load_config(CONFIGS / "smoke.yaml", ["evaluation.repeats=2"])
    line = fold_line(cfg, {"repeat": 2, "fold": 3, "test_accuracy": 0.78571}, elapsed)
    assert line == f"smoke: repeat 2/2, fold 3/3: test accuracy 0.786, elapsed {clock}"


@pytest.mark.parametrize("quiet", [False, True])
def test_without_a_terminal_each_fold_is_one_line_and_quiet_is_silent(quiet):
    cfg = load_config(CONFIGS / "smoke.yaml")
    stream = io.StringIO()  # not a terminal
    with progress(cfg, DATA, quiet, done=1, stream=stream) as on_fold:
        for fold in (2, 3):
            on_fold({"repeat": 1, "fold": fold, "test_accuracy": 0.5})
    written = stream.getvalue().splitlines()
    if quiet:
        assert written == []
        return
    assert written[0] == "smoke: 3-fold CV, 2 epochs, toy (100 rows); 1 folds done before"
    assert [line[:line.index(", elapsed ")] for line in written[1:]] == [
        "smoke: repeat 1/1, fold 2/3: test accuracy 0.500", "smoke: repeat 1/1, fold 3/3: test accuracy 0.500"]
