"""Bad input, table-driven: every case is one `Error: ...` line that names the file and the
place (key path, row and column), exit code 1, no traceback, and nothing written or
removed anywhere: an earlier result directory stays byte-identical and no new file or
directory (not even a temporary one) is left behind."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config

from .conftest import CONFIGS, ROOT

SMOKE = CONFIGS / "smoke.yaml"
EXTENDS = f"extends: {SMOKE}\n"
LAYERS = ("model:\n  layers:\n    - {{type: dense, units: 8}}\n    - {{type: {kind}, rate: {rate}}}\n"
          "    - {{type: dense, units: 1, activation: sigmoid}}\n")
RUN = ["run", SMOKE, "--out", "{tmp}/out"]
SONAR = ["run", SMOKE, "--data-dir", "{tmp}/data", "--out", "{tmp}/out"]
CSV_CONFIG = {"c.yaml": EXTENDS + "data: {dataset: csv, path: d.csv}\n"}
RUN_CSV = ["run", "{tmp}/c.yaml", "--out", "{tmp}/out"]
RUN_C = ["run", "{tmp}/c.yaml", "--out", "{tmp}/out"]


def cell(row: int, col: int, value: str):
    """A mangle of the Sonar lines: the value at (1-based) row and column replaced."""
    def mangle(lines):
        cells = lines[row - 1].split(",")
        cells[col - 1] = value
        return [*lines[: row - 1], ",".join(cells), *lines[row:]]

    return mangle


def sonar(mangle) -> dict:
    return {"data/sonar.csv": mangle}


def reference_with(where: str = "mine", **changes) -> dict:
    """A copy of reference/smoke as tmp/<where>, with some files replaced."""
    return {f"{where}/{name}": changes.get(name, (ROOT / "reference" / "smoke" / name).read_text())
            for name in ("config.yaml", "folds.csv", "run.json")}


def cfg(text: str) -> dict:
    return {"c.yaml": EXTENDS + text}


# id: (files to create under tmp, command-line arguments, what the one Error line must contain)
CASES = {
    # --- configs ---
    "config: empty file": ({"c.yaml": ""}, RUN_C, ["{tmp}/c.yaml: the file is empty"]),
    "config: a list at top level": ({"c.yaml": "- a\n- b\n"}, RUN_C,
                                    ["{tmp}/c.yaml: the top level must be a mapping of config keys; got a list"]),
    "config: malformed YAML": (cfg("training: {epochs: 3\n"), RUN_C,
                               ["{tmp}/c.yaml: malformed YAML at line 3, column 1"]),
    "config: missing file": ({}, ["run", "{tmp}/nope.yaml", "--out", "{tmp}/out"],
                             ["{tmp}/nope.yaml: no such config file"]),
    "config: unknown key": (cfg("training: {epochz: 3}\n"), RUN_C,
                            ["{tmp}/c.yaml: training.epochz is not a known key (did you mean 'epochs'?)"]),
    "config: misspelt layer type": (
        cfg(LAYERS.format(kind="dropuot", rate=0.2)), RUN_C,
        ["{tmp}/c.yaml: model.layers[1].type must be one of: dense, dropout (did you mean 'dropout'?); "
         "got 'dropuot'"]),
    "config: rate as a string": (cfg(LAYERS.format(kind="dropout", rate="'0.2'")), RUN_C,
                                 ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got '0.2'"]),
    "config: epochs 2.5": (cfg("training: {epochs: 2.5}\n"), RUN_C,
                           ["{tmp}/c.yaml: training.epochs must be an integer >= 1; got 2.5"]),
    "config: a section of the wrong type": (cfg("training: [1, 2]\n"), RUN_C,
                                            ["{tmp}/c.yaml: training must be a mapping of keys; got a list [1, 2]"]),
    "config: rate 1.0": (cfg(LAYERS.format(kind="dropout", rate=1.0)), RUN_C,
                         ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got 1.0"]),
    "config: rate -0.1": (cfg(LAYERS.format(kind="dropout", rate=-0.1)), RUN_C,
                          ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got -0.1"]),
    "config: n_splits 1": (cfg("evaluation: {n_splits: 1}\n"), RUN_C,
                           ["{tmp}/c.yaml: evaluation.n_splits must be an integer >= 2; got 1"]),
    "config: n_splits above the smallest class": (
        cfg("evaluation: {n_splits: 98}\n"), RUN_C,
        ["{tmp}/c.yaml: evaluation.n_splits must be an integer in [2, 97] (the smallest class has 97 rows); got 98"]),
    "config: epochs 0": (cfg("training: {epochs: 0}\n"), RUN_C,
                         ["{tmp}/c.yaml: training.epochs must be an integer >= 1; got 0"]),
    "config: unknown learning-rate schedule": (
        cfg("training:\n  optimizer: {name: sgd, learning_rate: {schedule: linear, initial_learning_rate: 1.0}}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.schedule must be one of: exponential_decay, "
                "inverse_time_decay, cosine_decay, piecewise_constant; got 'linear'"]),
    "config: negative decay rate": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: exponential_decay, initial_learning_rate: 1.0,"
            " decay_steps: 12, decay_rate: -0.9}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.decay_rate must be a float > 0; got -0.9"]),
    "config: momentum 1.5": (cfg("training: {optimizer: {momentum: 1.5}}\n"), RUN_C,
                             ["{tmp}/c.yaml: training.optimizer.momentum must be a float in [0, 1]; got 1.5"]),
    "config: piecewise boundaries and values that do not fit": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: piecewise_constant, boundaries: [100, 200],"
            " values: [0.1, 0.01]}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.values must hold one value more than boundaries "
                "(2 boundaries [100, 200]: 3 values); got [0.1, 0.01]"]),
    "config: piecewise boundaries not increasing": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: piecewise_constant, boundaries: [200, 100],"
            " values: [0.1, 0.01, 0.001]}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.boundaries must be a non-empty list of strictly "
                "increasing integers >= 0 (optimizer steps); got [200, 100]"]),
    "config: a schedule parameter swept out of range": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: inverse_time_decay, initial_learning_rate: 1.0,"
            " decay_steps: 12, decay_rate: 0.5}\n"),
        [*RUN_C, "--sweep", "training.optimizer.learning_rate.decay_rate=0.5,-1"],
        ["{tmp}/c.yaml: training.optimizer.learning_rate.decay_rate must be a float >= 0; got -1"]),
    "config: extends cycle": ({"c.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n"}, RUN_C,
                              ["{tmp}/c.yaml: extends forms a cycle: {tmp}/c.yaml -> {tmp}/b.yaml -> {tmp}/c.yaml"]),
    "config: missing extends target": ({"c.yaml": "extends: gone.yaml\n"}, RUN_C,
                                       ["{tmp}/c.yaml: extends names 'gone.yaml', but {tmp}/gone.yaml does not exist"]),
    "config: --set without =": ({}, [*RUN, "--set", "training.epochs"],
                                [f"{SMOKE}: --set 'training.epochs': expected KEY=VALUE"]),
    "config: --set bad key path": ({}, [*RUN, "--set", "model.layers[x].rate=0.1"],
                                   [f"{SMOKE}: --set 'model.layers[x].rate=0.1': expected KEY=VALUE"]),
    "config: --set index out of range": (
        {}, [*RUN, "--set", "model.layers[9].rate=0.1"],
        [f"{SMOKE}: --set 'model.layers[9].rate=0.1': model.layers[9] does not exist"]),
    "config: --set value of the wrong type": (
        {}, [*RUN, "--set", "training.epochs=zero"],
        [f"{SMOKE} (--set training.epochs=zero): training.epochs must be an integer >= 1; got 'zero'"]),
    # --- a user CSV (dataset: csv) ---
    "csv: missing file": (CSV_CONFIG, RUN_CSV, ["{tmp}/d.csv: no such data file"]),
    "csv: empty file": ({**CSV_CONFIG, "d.csv": ""}, RUN_CSV, ["{tmp}/d.csv: the file has no data rows"]),
    "csv: ragged row": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4\n"}, RUN_CSV,
                        ["{tmp}/d.csv: row 3 has 2 columns; expected 3"]),
    "csv: NaN": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,NaN,q\n"}, RUN_CSV,
                 ["{tmp}/d.csv: row 3, column 2 (b): expected a finite number; got 'NaN'"]),
    "csv: text in a numeric column": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,q\n5,six,p\n"}, RUN_CSV,
                                      ["{tmp}/d.csv: row 4, column 2 (b): expected a number; got 'six'"]),
    "csv: a missing value": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n,4,q\n"}, RUN_CSV,
                             ["{tmp}/d.csv: row 3, column 1 (a): the value is missing"]),
    "csv: row numbers count blank lines": ({**CSV_CONFIG, "d.csv": "a,b,y\n\n1,2,p\n\n3,x,q\n"}, RUN_CSV,
                                           ["{tmp}/d.csv: row 5, column 2 (b): expected a number; got 'x'"]),
    "csv: three label values": (
        {**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,q\n5,6,p\n7,8,r\n"}, RUN_CSV,
        ["{tmp}/d.csv: row 5, column 3 (y): a third label 'r'; the label column must hold exactly 2 classes; "
         "got 3: 'p', 'q', 'r'"]),
    "csv: one class only": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,p\n"}, RUN_CSV,
                            ["{tmp}/d.csv: column 3 (y): the label column must hold exactly 2 classes; got 1: 'p'"]),
    # --- sonar.csv in --data-dir ---
    "sonar: missing file, no network": (
        {"data/": None}, SONAR,
        ["{tmp}/data/sonar.csv: not found, and the download from http://127.0.0.1:9/sonar.all-data failed"]),
    "sonar: empty file": (sonar(lambda lines: []), SONAR, ["{tmp}/data/sonar.csv: the file has no data rows"]),
    "sonar: ragged row": (sonar(lambda lines: [*lines[:4], lines[4].split(",", 1)[1], *lines[5:]]), SONAR,
                          ["{tmp}/data/sonar.csv: row 5 has 60 columns; expected 61"]),
    "sonar: too few rows": (sonar(lambda lines: lines[:100]), SONAR,
                            ["{tmp}/data/sonar.csv: expected 208 rows of 61 columns; got 100 rows of 61"]),
    "sonar: NaN": (sonar(cell(3, 7, "nan")), SONAR,
                   ["{tmp}/data/sonar.csv: row 3, column 7: expected a finite number; got 'nan'"]),
    "sonar: text in a numeric column": (sonar(cell(3, 7, "abc")), SONAR,
                                        ["{tmp}/data/sonar.csv: row 3, column 7: expected a number; got 'abc'"]),
    "sonar: three label values": (sonar(cell(10, 61, "X")), SONAR,
                                  ["{tmp}/data/sonar.csv: row 10, column 61: label must be M or R; got 'X'"]),
    "sonar: one class only": (sonar(lambda lines: [line.replace(",R", ",M") for line in lines]), SONAR,
                              ["{tmp}/data/sonar.csv: column 61: expected label counts {'M': 111, 'R': 97}; "
                               "got {'M': 208, 'R': 0}"]),
    "sonar: a value above 1": (sonar(cell(3, 7, "1.5")), SONAR,
                               ["{tmp}/data/sonar.csv: row 3, column 7: sonar values must be in [0, 1]; got 1.5"]),
    "sonar: a value below 0": (sonar(cell(4, 2, "-0.1")), SONAR,
                               ["{tmp}/data/sonar.csv: row 4, column 2: sonar values must be in [0, 1]; got -0.1"]),
    "sonar: a changed value": (sonar(cell(1, 1, "0.0201")), SONAR,
                               ["{tmp}/data/sonar.csv: the values differ from the UCI Sonar data"]),
    # --- the output directory ---
    "out: path is a file": ({}, ["run", SMOKE, "--out", "{tmp}/out/earlier/folds.csv"],
                            ["{tmp}/out/earlier/folds.csv: the output path exists and is not a directory"]),
    "out: path under a regular file": ({}, ["run", SMOKE, "--out", "{tmp}/out/earlier/folds.csv/sub"],
                                       ["{tmp}/out/earlier/folds.csv/sub: cannot write results there: "
                                        "Not a directory"]),
    # --- checks against a reference ---
    "run --check: no reference run": (
        {}, [*RUN, "--check", "{tmp}/nowhere"],
        ["{tmp}/nowhere/smoke: no such run directory (--check needs the reference run of config smoke there)"]),
    "run --check: reference of another config": (
        {}, [*RUN, "--set", "training.epochs=3", "--check", f"{ROOT}/reference"],
        [f"{SMOKE} and {ROOT}/reference/smoke come from different configs (config hash ",
         "first difference: training.epochs = 3 vs 2"]),
    "check: no run directory": (reference_with(), ["check", "{tmp}/nope", "--against", "{tmp}/mine"],
                                ["{tmp}/nope: no such run directory"]),
    "check: folds.csv without a column": (
        reference_with(**{"folds.csv": "fold,split_seed,n_train,n_test\n1,7,138,70\n"}),
        ["check", "{tmp}/mine", "--against", f"{ROOT}/reference"],
        ["{tmp}/mine/folds.csv: missing column(s): test_accuracy"]),
    "check: reference is neither a run nor holds one": (
        reference_with(), ["check", "{tmp}/mine", "--against", "{tmp}/out"],
        ["{tmp}/out: not a run directory (no config.yaml, folds.csv or run.json), "
         "and it holds no run directory smoke"]),
    "run --check: reference without a dataset checksum": (
        reference_with("ref/smoke", **{"run.json": json.dumps({"config_hash": load_config(SMOKE).config_hash()})}),
        [*RUN, "--check", "{tmp}/ref"],
        ["{tmp}/ref/smoke/run.json: no dataset.checksum; cannot tell which data made the run"]),
    "check: malformed run.json": (reference_with(**{"run.json": "{"}),
                                  ["check", "{tmp}/mine", "--against", f"{ROOT}/reference"],
                                  ["{tmp}/mine/run.json: malformed JSON"]),
    "check: another config": (
        reference_with(**{"run.json": json.dumps({"config_hash": "c0ffee" * 10, "dataset": {"checksum": "x"}})}),
        ["check", "{tmp}/mine", "--against", f"{ROOT}/reference/smoke"],
        ["{tmp}/mine and " + f"{ROOT}/reference/smoke come from different configs (config hash c0ffeec0ffee... vs",
         "the config.yaml files do not differ; the hashes in run.json do"]),
}
# run in a real `python -m dropout_lab` process, as well as through click's runner
SUBPROCESS = {"config: --set without =", "sonar: NaN"}


@pytest.fixture
def workspace(tmp_path, sonar_env):
    """tmp_path with an earlier result directory in out/, and a function that snapshots the whole tree."""
    earlier = tmp_path / "out" / "earlier"
    earlier.mkdir(parents=True)
    (earlier / "folds.csv").write_text("fold,test_accuracy\n1,0.75\n")
    (earlier / "run.json").write_text('{"kept": true}\n')
    (tmp_path / "out" / "summary.md").write_text("# earlier\n")

    def snapshot():
        return {str(p.relative_to(tmp_path)): None if p.is_dir() else p.read_bytes()
                for p in sorted(tmp_path.rglob("*"))}

    return tmp_path, snapshot


def setup_case(tmp: Path, sonar_dir: Path, files: dict, args: list) -> list[str]:
    for name, content in files.items():
        path = tmp / name
        if name.endswith("/"):
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content = "\n".join(content((sonar_dir / "sonar.csv").read_text().splitlines()))
        path.write_text(content)
    return [str(a).replace("{tmp}", str(tmp)) for a in args]


def check_error_line(stderr: str, expected: list[str], tmp: Path) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    for part in expected:
        assert part.replace("{tmp}", str(tmp)) in lines[0], lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_error_line_and_loses_nothing(workspace, sonar_dir, case):
    tmp, snapshot = workspace
    files, args, expected = CASES[case]
    args = setup_case(tmp, sonar_dir, files, args)
    before = snapshot()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    check_error_line(result.stderr, expected, tmp)
    assert snapshot() == before
    if case in SUBPROCESS:
        proc = subprocess.run([sys.executable, "-m", "dropout_lab", *args], capture_output=True, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 1 and proc.stdout == ""
        check_error_line(proc.stderr, expected, tmp)
        assert snapshot() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_out_dir_not_writable(workspace):
    tmp, snapshot = workspace
    locked = tmp / "locked"
    locked.mkdir(mode=0o500)
    try:
        before = snapshot()
        result = CliRunner().invoke(main, ["run", str(SMOKE), "--out", str(locked / "out")])
        assert result.exit_code == 1
        check_error_line(result.stderr, [f"{locked / 'out'}: cannot write results there: Permission denied"], tmp)
        assert snapshot() == before
    finally:
        shutil.rmtree(locked, ignore_errors=True)
