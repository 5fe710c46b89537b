"""Ctrl-C always stops a run: exit code 130 and the hint to resume, however it lands.

interrupt.py's handler, ``check`` and ``deferred`` in this process, and the command in this
process; the command in a real process under real Ctrl-C presses is slow (``make test-slow``)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import weakref

import pytest
from click.testing import CliRunner

from dropout_lab import interrupt
from dropout_lab.cli import main

from .conftest import CONFIGS, ROOT

HINT = "run the same command again to continue from there (--fresh starts over)"


@pytest.fixture
def sigint_restored():
    """The test process's own SIGINT handler back after a test (a command that stops for an
    interrupt leaves SIGINT ignored: the process would be exiting)."""
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.fixture
def swallowed(monkeypatch):
    """The exceptions Python reports as "Exception ignored in ..." during a test, by type."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda unraisable: seen.append(unraisable.exc_type))
    return seen


class _Garbage:
    pass


def _swallow_a_sigint():
    """A SIGINT raised inside a weakref callback, as TensorFlow's run while models are collected:
    Python prints "Exception ignored in ..." and drops the KeyboardInterrupt."""
    garbage = _Garbage()
    ref = weakref.ref(garbage, lambda _: signal.raise_signal(signal.SIGINT))  # noqa: F841 (kept alive)
    del garbage


def test_an_interrupt_raises_at_once_and_a_swallowed_one_at_the_next_check(sigint_restored, swallowed):
    with interrupt.stop_on_interrupt():
        assert not interrupt.interrupted()
        interrupt.check()  # nothing pending: no-op
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
        assert interrupt.interrupted()
    assert not interrupt.interrupted()  # the state ends with the block
    with interrupt.stop_on_interrupt():
        _swallow_a_sigint()  # no KeyboardInterrupt reaches this frame, and Python's report of it is kept quiet...
        assert swallowed == [] and interrupt.interrupted()
        garbage = _Garbage()
        ref = weakref.ref(garbage, lambda _: 1 / 0)  # noqa: F841  (another error in a callback is still reported)
        del garbage
        assert swallowed == [ZeroDivisionError]
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()  # ...but the next safe point raises it


def test_a_deferred_interrupt_is_only_recorded_and_further_presses_can_be_ignored(sigint_restored):
    with interrupt.stop_on_interrupt():
        with interrupt.deferred():
            signal.raise_signal(signal.SIGINT)  # a stacked program keeps running to its end
        assert interrupt.interrupted()
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
        interrupt.ignore_further()
        signal.raise_signal(signal.SIGINT)  # ignored: nothing raised
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # stays ignored while the process exits


def test_outside_its_block_an_interrupt_is_python_s_own(sigint_restored):
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    assert not interrupt.interrupted()
    interrupt.check()  # nothing recorded outside stop_on_interrupt


@pytest.mark.parametrize("lost", [False, True], ids=["raised", "swallowed by a weakref callback"])
def test_an_interrupt_after_the_first_fold_stops_the_command_with_130_and_the_hint(
        sonar_env, tmp_path, monkeypatch, sigint_restored, swallowed, lost):
    """The command in this process (CliRunner): the first fold is kept in the journal, nothing
    half-written, the one-line hint on stderr; the same command then resumes from fold 2."""
    from dropout_lab.engines import scikeras

    real = scikeras.fit_split

    def fit_split(cfg, dataset, split):
        if split.fold == 2 and not lost:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C as the second fold starts
        out = real(cfg, dataset, split)
        if split.fold == 1 and lost:
            _swallow_a_sigint()  # Ctrl-C lost as the first fold ends
        return out

    monkeypatch.setattr(scikeras, "fit_split", fit_split)
    args = ["run", str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=1", "--set", "evaluation.n_splits=2",
            "--out", str(tmp_path), "-q", "--no-plots"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 130, result.output
    assert swallowed == []  # a swallowed interrupt is not reported as "Exception ignored"
    assert "Interrupted: 1 finished folds of smoke are saved in" in result.stderr and HINT in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "smoke").exists()  # nothing half-written
    monkeypatch.setattr(scikeras, "fit_split", real)
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "smoke" / "run.json").read_text())["resumed_folds"] == 1


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


@pytest.mark.slow
@pytest.mark.serial
def test_an_interrupt_swallowed_by_a_weakref_callback_still_stops_the_run(sonar_env, tmp_path):
    args = [str(CONFIGS / "smoke.yaml"), "--set", "training.epochs=1", "--out", str(tmp_path), "-q"]
    proc = subprocess.run([sys.executable, "-c", SWALLOWED, *args], capture_output=True, text=True, env=env(),
                          timeout=300)
    # swallowed in the callback (Python reports it as "Exception ignored", which the run keeps quiet)
    assert "Exception ignored" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
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


@pytest.mark.slow
@pytest.mark.serial
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
