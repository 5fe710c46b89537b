"""A run killed mid-way continues from its first unfinished fold and ends with the same tables."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.folds import FoldResult
from dropout_lab.results import Journal
from dropout_lab.runner import run_id
from dropout_lab.scoring import columns

from .conftest import CONFIGS

SAME = ["repeat", "fold", "split_seed", "model_seed", "n_train", "n_test", "train_accuracy", "test_accuracy",
        "test_loss"]
ARGS = [str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=2", "--set", "evaluation.n_splits=4", "--quiet"]


def run_cli(out, *extra, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "dropout_lab", "run", *ARGS, "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def fold_result(repeat, fold, test_accuracy, history=None, n_test=3, n_classes=2):
    scores = {name: 0.5 for name in columns()}
    scores["test_accuracy"] = test_accuracy
    proba = np.random.default_rng(fold).dirichlet(np.ones(n_classes), n_test).astype("float32")
    return FoldResult(repeat, fold, 7, 11, 10, n_test, scores, np.arange(n_test) + 10 * fold, proba, 0.25, history)


def test_journal_round_trip_and_torn_last_line(tmp_path):
    journal = Journal(tmp_path, "x", "abc")
    history = pd.DataFrame({"repeat": [1, 1], "fold": [2, 2], "epoch": [1, 2], "test_accuracy": [0.5, 0.75]})
    first, second = fold_result(1, 1, 0.1 + 0.2, n_classes=10), fold_result(1, 2, 0.8, history)
    journal.append(first)
    journal.append(second)
    with open(journal.path, "a") as handle:
        handle.write('{"row": {"repeat": 1, "fo')  # killed mid-write
    done = journal.load()
    assert sorted(done) == [(1, 1), (1, 2)]
    assert done[1, 1].scores["test_accuracy"] == 0.1 + 0.2  # floats round-trip exactly
    assert done[1, 1].row() == first.row()
    np.testing.assert_array_equal(done[1, 1].test_index, first.test_index)
    np.testing.assert_array_equal(done[1, 1].test_proba, first.test_proba)  # float32 probabilities, exactly
    assert done[1, 2].history.equals(history) and done[1, 1].history is None
    assert Journal(tmp_path, "x", "other-id").load() == {}  # another config never sees these folds
    journal.discard(every_id=True)
    assert not (tmp_path / ".journal").exists()


def test_a_journal_line_without_predictions_is_trained_again(tmp_path):
    journal = Journal(tmp_path, "x", "abc")
    journal.path.parent.mkdir(parents=True)
    journal.path.write_text(json.dumps({"row": fold_result(1, 1, 0.5).row(), "history": None}) + "\n")
    journal.append(fold_result(1, 2, 0.5))
    assert sorted(journal.load()) == [(1, 2)]


def test_sigkill_after_the_second_fold_then_resume(sonar_env, tmp_path):
    reference = CliRunner().invoke(main, ["run", *ARGS, "--out", str(tmp_path / "ref")])
    assert reference.exit_code == 0, reference.output

    victim = run_cli(tmp_path / "out")
    journal = tmp_path / "out" / ".journal"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        lines = [p.read_text().count("\n") for p in journal.glob("*.jsonl")] if journal.exists() else [0]
        if max(lines) >= 2:
            os.kill(victim.pid, signal.SIGKILL)
            break
        time.sleep(0.02)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert not (tmp_path / "out" / "smoke").exists()  # nothing half-written
    saved = sum(p.read_text().count("\n") for p in journal.glob("*.jsonl"))
    assert 2 <= saved < 4

    again = run_cli(tmp_path / "out")
    assert again.wait(timeout=300) == 0, again.stderr.read()
    info = json.loads((tmp_path / "out" / "smoke" / "run.json").read_text())
    assert info["resumed_folds"] == saved  # only the missing folds were trained
    for table in ("folds.csv", "summary.csv", "predictions.csv", "confusion.csv"):
        ours = pd.read_csv(tmp_path / "out" / "smoke" / table)
        ref = pd.read_csv(tmp_path / "ref" / "smoke" / table)
        same = SAME + [c for c in ref.columns if c not in SAME and c != "fit_seconds"] if table == "folds.csv" \
            else list(ref.columns)
        pd.testing.assert_frame_equal(ours[same], ref[same], check_exact=True)
    assert not journal.exists()  # the journal is gone once the run is complete


def test_saved_folds_are_used_unless_fresh(sonar_env, tmp_path):
    overrides = ["training.epochs=1", "evaluation.n_splits=2"]
    cfg = load_config(CONFIGS / "smoke.yaml", overrides)
    journal = Journal(tmp_path, "smoke", run_id(cfg, load_dataset(cfg.data)))
    planted = FoldResult(1, 1, 7, 1, 104, 104, {**{name: 0.5 for name in columns()}, "test_accuracy": 0.123},
                         np.arange(104), np.full((104, 2), 0.5, "float32"), 0.0)
    args = ["run", str(CONFIGS / "smoke.yaml"), "--set", overrides[0], "--set", overrides[1], "--out", str(tmp_path)]
    for extra, resumed in (([], 1), (["--fresh"], 0)):
        journal.append(planted)
        result = CliRunner().invoke(main, [*args, *extra])
        assert result.exit_code == 0, result.output
        folds = pd.read_csv(tmp_path / "smoke" / "folds.csv")
        assert json.loads((tmp_path / "smoke" / "run.json").read_text())["resumed_folds"] == resumed
        assert bool(folds.loc[0, "test_accuracy"] == 0.123) == bool(resumed)
        assert not journal.path.exists()
