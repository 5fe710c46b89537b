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
                 '3. the per-user data directory (`platformdirs.user_data_dir("dropout-lab")`)',
                 "If a file is not in that directory, it is downloaded to a temporary file, verified",
                 "a file that fails verification is downloaded again, or, when that fails (offline), refused",
                 "with `../shared/data/sonar.csv` beside the project, to that directory",
                 "nothing is downloaded",
                 "without it, to the empty string, so the command uses the per-user data directory: the first run "
                 "downloads `sonar.csv` there",
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
    assert make_data_dir(project) == ""  # no ../shared: dropout-lab uses the per-user data directory
    (tmp_path / "shared" / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data" / "sonar.csv").write_text("")
    assert make_data_dir(project) == str(tmp_path / "shared" / "data")
    assert make_data_dir(project, "/elsewhere") == "/elsewhere"  # the environment wins


def test_the_quick_start_names_shipped_studies():
    from dropout_lab.catalog import resolve_config

    quick = section("Quick start")
    block = quick[quick.index("```sh") + 5: quick.index("```", quick.index("```sh") + 5)]
    named = []
    for command in block.split("dropout-lab ")[1:]:
        words = command.split()
        if words[0] in ("run", "validate", "init"):
            for word in words[1:]:
                if word.startswith(("-", "#")):
                    break
                named.append(word)
    named.remove("my_study/")  # init's DEST
    assert {"sonar_hidden", "smoke", "digits_mlp", "digits_mlp_baseline"} <= set(named)
    for name in named:
        assert resolve_config(name).is_file(), name
