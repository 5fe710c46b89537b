"""Start-up: commands that do not train import no TensorFlow (nor matplotlib, nor scikit-learn).

Each case runs in a fresh interpreter and lists the heavy modules loaded when it ends.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

HEAVY = ("tensorflow", "keras", "matplotlib", "sklearn", "scipy", "pandas")

# runs the CLI with ARGS, then prints which HEAVY modules it imported (the exit code is the CLI's)
_PROBE = """
import atexit, json, runpy, sys
atexit.register(lambda: print("MODULES=" + json.dumps(sorted(m for m in {heavy} if m in sys.modules))))
sys.argv = ["dropout-lab", *{args}]
runpy.run_module("dropout_lab", run_name="__main__")
"""


def _loaded(args: list[str]) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = _PROBE.format(heavy=HEAVY, args=args)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    line = next(x for x in proc.stdout.splitlines()[::-1] if x.startswith("MODULES="))
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(line.removeprefix("MODULES=")))


def test_importing_the_cli_imports_no_tensorflow():
    code = f"import dropout_lab.cli, sys; print([m for m in {HEAVY} if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize("args, allowed", [
    (["--help"], set()),
    (["run", "--help"], set()),
    (["compare", "{a}/smoke", "{b}/smoke"], {"pandas", "scipy"}),
    (["check", "reference/smoke", "--against", "reference"], {"pandas", "scipy"}),
    (["report", "{a}", "--out", "{a}/report.md"], {"pandas", "scipy"}),
    (["studies"], set()),
    (["init", "sonar_hidden", "{a}"], set()),
    (["data", "--data-dir", "{a}"], {"pandas"}),  # verifying sonar.csv parses it
])
def test_commands_that_do_not_train_import_no_tensorflow(args, allowed, tmp_path):
    for name in ("a", "b"):  # two copies of the reference run: two runs to compare
        shutil.copytree(ROOT / "reference" / "smoke", tmp_path / name / "smoke")
    args = [arg.format(a=tmp_path / "a", b=tmp_path / "b") for arg in args]
    assert _loaded(args) <= allowed


def test_package_names_resolve_on_first_use():
    import dropout_lab

    assert dropout_lab.load_config.__module__ == "dropout_lab.config.loader"
    assert dropout_lab.accuracy_ci.__module__ == "dropout_lab.stats.ttests"
    assert "train_tasks" in dir(dropout_lab)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dropout_lab.nope  # noqa: B018


def test_reproduction_imports_no_tensorflow(tmp_path):
    import pandas as pd

    from dropout_lab.config import load_config
    from dropout_lab.results import write_run

    from .conftest import CONFIGS

    folds = pd.DataFrame({"repeat": [1, 2, 3], "fold": 1, "split_seed": 1, "model_seed": 1, "n_train": 30,
                          "n_test": 70, "train_accuracy": 0.97, "test_accuracy": 0.81, "test_loss": 0.5})
    write_run(tmp_path, load_config(CONFIGS / "circles_dropout.yaml"), folds, {"dataset": {"checksum": "x"}},
              plots=False)
    assert _loaded(["reproduction", str(tmp_path)]) <= {"pandas", "scipy"}
    assert (tmp_path / "reproduction.md").is_file()
