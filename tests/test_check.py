import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from dropout_lab.check import LOSS_RTOL, check_run, first_difference, report
from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import CheckError
from dropout_lab.results import read_run

from .conftest import CONFIGS, write

CFG = load_config(CONFIGS / "smoke.yaml")
CHECKSUM = "ab" * 32
# three folds of 208 rows, as the smoke config splits them
FOLDS = pd.DataFrame({
    "repeat": [1, 1, 1], "fold": [1, 2, 3], "split_seed": [7, 7, 7], "model_seed": [11, 12, 13],
    "n_train": [138, 139, 139], "n_test": [70, 69, 69],
    "train_accuracy": [121 / 138, 125 / 139, 122 / 139], "test_accuracy": [56 / 70, 53 / 69, 47 / 69],
    "test_loss": [0.43, 0.45, 0.68], "fit_seconds": [2.8, 1.9, 2.7],
})


def make_run(path, folds=FOLDS, config=None, checksum=CHECKSUM, **info):
    """A run directory as `dropout-lab run` leaves it, written by hand (no training)."""
    config = config or CFG.to_dict()
    write(path / "config.yaml", yaml.safe_dump(config, sort_keys=False))
    write(path / "folds.csv", folds.to_csv(index=False))
    info = {"name": config["name"], "config_hash": CFG.config_hash() if config == CFG.to_dict() else "0" * 64,
            "dataset": {"name": "sonar", "checksum": checksum, "source": str(path)},
            "started": "2026-01-01T00:00:00+00:00", **info}
    write(path / "run.json", json.dumps(info))
    return path


def changed(**columns):
    """FOLDS with some values replaced: column=(row, value)."""
    folds = FOLDS.copy()
    for column, (row, value) in columns.items():
        folds.loc[row, column] = value
    return folds


def check(tmp_path, folds, tolerance=1, **kwargs):
    return check_run(read_run(make_run(tmp_path / "run", folds, **kwargs)),
                     read_run(make_run(tmp_path / "ref")), tolerance)


def invoke(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


def test_identical_runs_pass_without_a_table(tmp_path):
    result = check(tmp_path, FOLDS.assign(fit_seconds=9.9), checksum=CHECKSUM, started="another day")
    assert result.ok and result.differences == [] and result.folds == 3
    assert report(result).splitlines()[-1] == f"OK: {tmp_path / 'run'} reproduces {tmp_path / 'ref'} exactly (3 folds)"


@pytest.mark.parametrize(
    "column, row, value, tolerance, ok",
    [
        ("test_accuracy", 0, 55 / 70, 1, True),  # one sample of 70
        ("test_accuracy", 0, 54 / 70, 1, False),  # two samples
        ("test_accuracy", 0, 54 / 70, 2, True),
        ("test_accuracy", 1, 53 / 69 + 1e-12, 0, True),  # float noise is not a sample
        ("test_accuracy", 1, 52 / 69, 0, False),
        ("train_accuracy", 2, 123 / 139, 1, True),
        ("train_accuracy", 2, 124 / 139, 1, False),
        ("test_loss", 2, 0.68 * (1 + LOSS_RTOL * 0.99), 1, True),
        ("test_loss", 2, 0.68 * (1 + LOSS_RTOL * 1.01), 1, False),
        ("test_loss", 2, float("nan"), 1, False),
    ],
)
def test_tolerance_is_samples_of_each_fold_and_a_relative_loss(tmp_path, column, row, value, tolerance, ok):
    result = check(tmp_path, changed(**{column: (row, value)}), tolerance)
    assert result.ok is ok
    [difference] = result.differences
    assert (difference.fold, difference.metric) == (row + 1, column)


def test_report_lists_what_differs_and_a_verdict(tmp_path):
    result = check(tmp_path, changed(test_accuracy=(0, 55 / 70), train_accuracy=(2, 120 / 139)))
    lines = report(result).splitlines()
    assert lines[1].split() == ["repeat", "fold", "metric", "run", "reference", "difference", "allowed", "status"]
    assert lines[2].split() == ["1", "1", "test_accuracy", "0.7857", "(55/70)", "0.8000", "(56/70)",
                                "-0.0143", "(-1", "sample)", "0.0143", "(1", "sample)", "ok"]
    assert lines[3].split()[:3] == ["1", "3", "train_accuracy"] and lines[3].endswith("OUTSIDE")
    assert "(-2 samples)" in lines[3]
    assert lines[-1] == (f"FAILED: {tmp_path / 'run'} differs from {tmp_path / 'ref'} beyond tolerance: "
                         "1 value in 1 of 3 folds")


def test_another_config_is_refused_naming_both_hashes_and_the_first_difference(tmp_path):
    other = load_config(CONFIGS / "smoke.yaml", ["training.epochs=3", "seed=8"])
    run = make_run(tmp_path / "run", config=other.to_dict(), config_hash=other.config_hash())
    with pytest.raises(CheckError) as err:
        check_run(read_run(run), read_run(make_run(tmp_path / "ref")))
    assert str(err.value) == (f"{run} and {tmp_path / 'ref'} come from different configs (config hash "
                              f"{other.config_hash()[:12]}... vs {CFG.config_hash()[:12]}...); "
                              "first difference: seed = 8 vs 7")


@pytest.mark.parametrize(
    "folds, message",
    [
        (FOLDS.iloc[:2], "2 folds vs 3 folds"),
        (changed(split_seed=(1, 8)), "split_seed 8 vs 7 (repeat 1, fold 2)"),
        (changed(n_test=(2, 68)), "n_test 68 vs 69 (repeat 1, fold 3)"),
        (changed(model_seed=(0, 99)), "model_seed 99 vs 11 (repeat 1, fold 1)"),
        (FOLDS.drop(columns="test_loss"), "folds.csv: missing column(s): test_loss"),
    ],
)
def test_other_folds_are_refused(tmp_path, folds, message):
    with pytest.raises(CheckError) as err:
        check_run(read_run(make_run(tmp_path / "run", folds)), read_run(make_run(tmp_path / "ref")))
    assert message in str(err.value)


def test_other_data_is_refused(tmp_path):
    with pytest.raises(CheckError, match=r"dataset checksum cdcdcdcdcdcd\.\.\. vs abababababab\.\.\."):
        check(tmp_path, FOLDS, checksum="cd" * 32)


def test_first_difference():
    assert first_difference({"a": 1, "b": {"c": [1, 2]}}, {"a": 1, "b": {"c": [1, 2]}}) is None
    assert first_difference({"b": {"c": [1, 2]}}, {"b": {"c": [1, 3]}}) == ("b.c[1]", 2, 3)
    loc, _, b = first_difference({"m": {"layers": [1]}}, {"m": {"layers": [1, 2]}})
    assert (loc, b) == ("m.layers[1]", 2)
    loc, a, b = first_difference({"x": 3.0}, {"x": 3})
    assert (loc, a, b) == ("x", 3.0, 3)
    assert first_difference({"a": 1}, {"a": 1, "z": None})[0] == "z"


def test_cli_exit_codes_and_one_line_refusals(tmp_path):
    ref = make_run(tmp_path / "reference" / "smoke")
    same = make_run(tmp_path / "same", FOLDS.assign(fit_seconds=0.1))
    worse = make_run(tmp_path / "worse", changed(test_accuracy=(2, 40 / 69)))
    ok = invoke(same, "--against", ref)
    assert ok.exit_code == 0 and ok.stdout.splitlines()[-1].startswith("OK: ") and ok.stderr == ""
    bad = invoke(worse, "--against", tmp_path / "reference")  # a directory holding a run of that name will do
    assert bad.exit_code == 1 and bad.stdout.splitlines()[-1].startswith("FAILED: ") and bad.stderr == ""
    assert invoke(worse, "--against", ref, "--tolerance", "7").exit_code == 0
    missing = invoke(tmp_path / "nope", "--against", ref)
    assert missing.exit_code == 1 and missing.stderr == f"Error: {tmp_path / 'nope'}: no such run directory\n"


def test_run_with_check_reports_after_writing_and_exits_1_beyond_tolerance(sonar_env, tmp_path):
    args = ["run", CONFIGS / "smoke.yaml", "--set", "training.epochs=1", "--set", "evaluation.n_splits=2", "-q",
            "--no-plots"]
    assert CliRunner().invoke(main, [*map(str, args), "--out", str(tmp_path / "ref")]).exit_code == 0
    folds = pd.read_csv(tmp_path / "ref" / "smoke" / "folds.csv")
    folds.loc[0, "test_accuracy"] -= 3 / folds.loc[0, "n_test"]
    folds.to_csv(tmp_path / "ref" / "smoke" / "folds.csv", index=False)
    result = CliRunner().invoke(main, [*map(str, args), "--out", str(tmp_path / "out"),
                                       "--check", str(tmp_path / "ref")])
    assert result.exit_code == 1 and result.stderr == "", result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("smoke: ") and "(+3 samples)" in result.stdout
    assert lines[-1] == f"FAILED: {tmp_path / 'out' / 'smoke'} differs from {tmp_path / 'ref' / 'smoke'} " \
                        "beyond tolerance: 1 value in 1 of 2 folds"
    assert (tmp_path / "out" / "smoke" / "folds.csv").is_file()  # the results are kept
    assert invoke(tmp_path / "out" / "smoke", "--against", tmp_path / "ref", "--tolerance", "3").exit_code == 0


def test_names_never_count(tmp_path):
    renamed = load_config(CONFIGS / "smoke.yaml", ["name=mine"])
    run = make_run(tmp_path / "mine", config=renamed.to_dict(), config_hash=renamed.config_hash())
    assert check_run(read_run(run), read_run(make_run(tmp_path / "ref"))).ok  # the same config under two names
    other = load_config(CONFIGS / "smoke.yaml", ["name=mine", "training.epochs=3"])
    run = make_run(tmp_path / "other", config=other.to_dict(), config_hash=other.config_hash())
    with pytest.raises(CheckError, match="first difference: training.epochs = 3 vs 2$"):
        check_run(read_run(run), read_run(make_run(tmp_path / "ref")))
