"""Concurrent commands into one OUT: a run is written by one command at a time, the comparison
files together (results/locks.py)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab import run_all
from dropout_lab.cli import main
from dropout_lab.errors import ResultsError
from dropout_lab.results import update_comparison
from dropout_lab.results.locks import LOCKS, comparison_lock, run_locks

from .conftest import CONFIGS


def test_a_second_holder_of_a_run_is_refused_naming_the_first(tmp_path):
    with run_locks(tmp_path, ["a", "b"]):
        with pytest.raises(ResultsError) as err, run_locks(tmp_path, ["c", "b"]):
            pass
        assert str(err.value).startswith(f"{tmp_path / 'b'}: another dropout-lab command is writing this run "
                                         f"(pid {os.getpid()} on ")
        with run_locks(tmp_path, ["c"]):  # c was released when b was refused
            pass
    with run_locks(tmp_path, ["b"]):  # and b once the first holder is done
        pass


def test_a_command_into_a_run_another_holds_is_one_error_line_and_writes_nothing(sonar_env, tmp_path):
    """The refusal as the command gives it (in this process; two real processes: the slow test below)."""
    out = tmp_path / "o"
    with run_locks(out, ["smoke"]):
        result = CliRunner().invoke(main, _command(out, 1)[3:])
    assert result.exit_code == 1 and result.stdout == "", result.output
    [line] = result.stderr.splitlines()  # one line, no traceback
    assert line.startswith("Error: ")
    assert f"{out / 'smoke'}: another dropout-lab command is writing this run (pid {os.getpid()} on " in line
    assert not (out / "smoke").exists()


def _command(out, epochs: int) -> list[str]:
    return [sys.executable, "-m", "dropout_lab", "run", str(CONFIGS / "smoke.yaml"), "--set",
            f"training.epochs={epochs}", "--no-plots", "-q", "--out", str(out)]


@pytest.mark.slow
@pytest.mark.serial
def test_two_processes_into_one_out_the_second_is_refused_and_nothing_is_lost(sonar_env, tmp_path):
    out = tmp_path / "o"
    first = subprocess.Popen(_command(out, 3000), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        owner = out / LOCKS / "smoke.owner.json"
        deadline = time.monotonic() + 120
        while not (owner.is_file() and json.loads(owner.read_text() or "{}").get("pid") == first.pid):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first command never held the run's lock"
            time.sleep(0.2)
        second = subprocess.run(_command(out, 6), capture_output=True, text=True, timeout=300)
        assert second.returncode == 1 and second.stdout == ""
        errors = [line for line in second.stderr.splitlines() if line.startswith("Error: ")]
        assert errors == [line for line in second.stderr.splitlines() if "Error" in line]  # one line, no traceback
        assert len(errors) == 1 and f"{out / 'smoke'}: another dropout-lab command" in errors[0]
        assert f"pid {first.pid} on " in errors[0]
        assert not (out / "smoke").exists()
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=120)


def test_the_comparison_is_rewritten_from_disk_after_another_commands(sonar_env, tmp_path):
    out = tmp_path / "o"
    fused = ["training.epochs=1", "evaluation.n_splits=2", "training.engine=fused", "training.xla=false"]
    run_all([CONFIGS / "sonar_baseline.yaml", CONFIGS / "sonar_input.yaml"], out, overrides=fused, plots=False,
            quiet=True)
    run_all([CONFIGS / "sonar_hidden.yaml"], out, overrides=fused, plots=False, quiet=True)
    (out / "summary.md").unlink()
    done = []
    with comparison_lock(out):  # another command is writing the comparison: this one waits for it
        thread = threading.Thread(target=lambda: done.append(update_comparison(out, ["sonar_hidden"], plots=False)))
        thread.start()
        thread.join(timeout=2)
        assert thread.is_alive() and not (out / "summary.md").exists()
    thread.join(timeout=60)
    assert done and done[0] is not None
    listed = list(pd.read_csv(out / "summary.csv")["config"])
    assert listed == ["sonar_baseline", "sonar_input", "sonar_hidden"]
    assert all(name in (out / "summary.md").read_text() for name in listed)
