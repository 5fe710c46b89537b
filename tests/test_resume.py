"""A run killed mid-way continues from its first unfinished fold and ends with the same tables.

A real process killed with SIGKILL is slow (``make test-slow``); saved folds used or not
(--fresh) runs in this process. The journal itself: test_journal.py."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.folds import FoldResult
from dropout_lab.provenance import run_id
from dropout_lab.results import Journal
from dropout_lab.scoring import columns

from .conftest import CONFIGS

SAME = ["repeat", "fold", "split_seed", "model_seed", "n_train", "n_test", "train_accuracy", "test_accuracy",
        "test_loss"]
ARGS = [str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=2", "--set", "evaluation.n_splits=4", "--quiet"]


def run_cli(out, *extra, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "dropout_lab", "run", *ARGS, "--out", str(out), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


@pytest.mark.slow
@pytest.mark.serial
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
