"""The Makefile takes the Sonar data from where the README and the docs say: ../shared/data
when it is there, else the per-user data directory; the environment wins.  (The README's
commands themselves are run by tests/test_docs.py.)"""

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT

PRINT = 'print-data: ; @echo "[$$DROPOUT_LAB_DATA]"'


def make_data_dir(project, env_value=None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DROPOUT_LAB_DATA", "MAKEFLAGS", "MFLAGS")}
    if env_value is not None:
        env["DROPOUT_LAB_DATA"] = env_value
    out = subprocess.run(["make", "-s", "--no-print-directory", "--eval", PRINT, "print-data"], cwd=project,
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    return out.strip("[]")


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_the_makefile_takes_the_data_from_where_the_docs_say(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    assert make_data_dir(project) == ""  # no ../shared: dropout-lab uses the per-user data directory
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "sonar.csv").write_text("")
    assert make_data_dir(project) == str(tmp_path / "shared" / "data")
    assert make_data_dir(project, "/elsewhere") == "/elsewhere"  # the environment wins
