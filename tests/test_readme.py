"""The README says where the Sonar data comes from, and the Makefile does what it says."""

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT

PRINT = 'print-data: ; @echo "[$$DROPOUT_LAB_DATA]"'


def section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return " ".join(text[start:end].split())  # one line, whatever the wrapping


def make_data_dir(project, env_value=None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("DROPOUT_LAB_DATA", "MAKEFLAGS", "MFLAGS")}
    if env_value is not None:
        env["DROPOUT_LAB_DATA"] = env_value
    out = subprocess.run(["make", "-s", "--no-print-directory", "--eval", PRINT, "print-data"], cwd=project,
                         env=env, capture_output=True, text=True, check=True).stdout.strip()
    return out.strip("[]")


def test_readme_says_where_the_data_comes_from_in_each_case():
    data = section("Data")
    for case in ("1. `--data-dir DIR`, when given;", "2. `$DROPOUT_LAB_DATA`, when set and not empty;",
                 "3. `./data`, relative to the working directory.",
                 "If `sonar.csv` is not in that directory, it is downloaded from the UCI archive",
                 "with `../shared/data/sonar.csv` beside the project, to that directory",
                 "nothing is downloaded",
                 "without it, to the empty string, so the command falls back to `./data`: the first run "
                 "downloads `data/sonar.csv` there",
                 "unless it is already set in the environment"):
        assert case in data, case
    setup = section("Set-up: two commands")
    assert "`make sonar` downloads the Sonar data" not in setup  # not when ../shared has it
    assert "reads the Sonar data from `../shared/data/sonar.csv` when that file exists" in setup


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_the_makefile_takes_the_data_from_where_the_readme_says(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "Makefile", project / "Makefile")
    assert make_data_dir(project) == ""  # no ../shared: dropout-lab falls back to ./data
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "sonar.csv").write_text("")
    assert make_data_dir(project) == str(tmp_path / "shared" / "data")
    assert make_data_dir(project, "/elsewhere") == "/elsewhere"  # the environment wins
