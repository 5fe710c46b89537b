"""Ctrl-C always stops a run: exit code 130 and the hint to resume, however it lands."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from .conftest import CONFIGS, ROOT

HINT = "run the same command again to continue from there (--fresh starts over)"
def env() -> dict:
    """The subprocess's environment, read when the test runs (after fixtures set the data dir)."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}

# A run whose first fold ends with a Ctrl-C that arrives while a weakref callback runs, as
# TensorFlow's WeakKeyDictionary callbacks do while models are collected: Python can only
# print "Exception ignored in ..." and drop the KeyboardInterrupt there.
SWALLOWED = """
import signal, sys, weakref
from dropout_lab.cli import main
from dropout_lab.engines import scikeras

real = scikeras.fit_split


class Garbage:
    pass


def fit_split(cfg, dataset, split):
    out = real(cfg, dataset, split)
    if split.fold == 1:
        garbage = Garbage()
        ref = weakref.ref(garbage, lambda _: signal.raise_signal(signal.SIGINT))
        del garbage
    return out


scikeras.fit_split = fit_split
main(["run", *sys.argv[1:]])
"""


def test_an_interrupt_swallowed_by_a_weakref_callback_still_stops_the_run(sonar_env, tmp_path):
    args = [str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=1", "--out", str(tmp_path), "-q"]
    proc = subprocess.run([sys.executable, "-c", SWALLOWED, *args], capture_output=True, text=True, env=env(),
                          timeout=300)
    assert "Exception ignored" in proc.stderr and "KeyboardInterrupt" in proc.stderr  # it was swallowed there
    assert proc.returncode == 130, proc.stderr
    assert "Interrupted: 1 finished folds of smoke are saved in" in proc.stderr and HINT in proc.stderr
    assert not (tmp_path / "smoke").exists()  # nothing half-written; the next run resumes from fold 2


def start(out):
    """A run of 5 folds x 20 epochs, and the lines it writes to stderr as they come."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dropout_lab", "run", str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=20",
         "--set", "evaluation.n_splits=5", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    return proc, lines


# (seconds after training starts, Ctrl-C presses): at the start of the first fold, within a
# fold, between folds, and three presses in a row
MOMENTS = [(0.0, 1), (0.8, 1), (2.5, 1), (1.2, 3)]


@pytest.mark.parametrize("delay, presses", MOMENTS)
def test_ctrl_c_at_any_moment_stops_a_real_run(sonar_env, tmp_path, delay, presses):
    proc, lines = start(tmp_path)
    try:
        deadline = time.monotonic() + 240
        while not any(line.startswith("smoke: 5-fold CV") for line in lines):  # training starts
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.02)
        time.sleep(delay)
        for _ in range(presses):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.05)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.1)  # the reader thread takes the last lines
    stderr = "".join(lines)
    assert proc.returncode == 130, stderr
    assert HINT in stderr and "Traceback" not in stderr
    assert not (tmp_path / "smoke").exists()
