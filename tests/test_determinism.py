"""The same config run in two separate processes gives the same folds.csv, value for value.

Separate processes, because op determinism, seeding and thread pools are set up per
process: two runs inside one process could share state that a fresh process does not.
Slow (``make test-slow``); the same config twice in one process: test_evaluation.py
(``test_cross_validate_rows_and_determinism``, through the executors `run` uses too).
"""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from .conftest import CONFIGS, ROOT


@pytest.mark.slow
def test_smoke_twice_in_two_processes_gives_identical_folds(sonar_env, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for out in ("a", "b"):
        proc = subprocess.run(
            [sys.executable, "-m", "dropout_lab", "run", str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=2",
             "--out", str(tmp_path / out), "--no-plots", "-q"],
            capture_output=True, text=True, cwd=ROOT, env=env,
        )
        assert proc.returncode == 0, proc.stderr
    a, b = (pd.read_csv(tmp_path / out / "smoke" / "folds.csv", dtype=str) for out in ("a", "b"))
    assert list(a.columns) == list(b.columns) and "fit_seconds" in a.columns and len(a) == 3
    columns = [c for c in a.columns if c != "fit_seconds"]
    pd.testing.assert_frame_equal(a[columns], b[columns])  # as text: exactly the same digits


@pytest.mark.slow
def test_xla_runs_twice_in_two_processes_give_identical_folds_and_record_xla(sonar_env, tmp_path):
    """The first process compiles (an empty XLA cache), the second loads what it compiled."""
    cache = tmp_path / "xla_cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DROPOUT_LAB_XLA_CACHE": str(cache)}
    env.pop("TF_XLA_FLAGS", None)  # set by this process's engine for its own cache: it would win
    for out in ("a", "b"):
        cached = sorted(cache.glob("*")) if cache.exists() else []
        assert bool(cached) == (out == "b")  # empty before the first process, its program before the second
        proc = subprocess.run(
            [sys.executable, "-m", "dropout_lab", "run", str(CONFIGS / "smoke.yaml"), "--engine", "fused",
             "--set", "training.xla=true", "--set", "training.epochs=5", "--out", str(tmp_path / out),
             "--no-plots", "-q"],
            capture_output=True, text=True, cwd=ROOT, env=env,
        )
        assert proc.returncode == 0, proc.stderr
    a, b = (pd.read_csv(tmp_path / out / "smoke" / "folds.csv", dtype=str) for out in ("a", "b"))
    columns = [c for c in a.columns if c != "fit_seconds"]
    assert len(a) == 3
    pd.testing.assert_frame_equal(a[columns], b[columns])
    info = json.loads((tmp_path / "a" / "smoke" / "run.json").read_text())
    assert info["xla"] is True
