import json
import re
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.results import RUN_FILES

from .conftest import CONFIGS, count_trained_runs, write

TINY = ["--set", "training.epochs=1", "--set", "evaluation.n_splits=2"]
# one split, one epoch: for tests that need a finished run, not its folds
ONE_SPLIT = ["--set", "training.epochs=1",
             "--set", "evaluation={protocol: holdout, train_fraction: 0.5, shuffle: true, history: false}"]
PREDICTIONS = ["predictions.csv", "confusion.csv", "reliability.csv"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_run_smoke_writes_the_five_files_and_a_plot(sonar_env, tmp_path):
    result = invoke("run", CONFIGS / "smoke.yaml", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "smoke").iterdir()) == sorted(
        [*RUN_FILES, *PREDICTIONS, "confusion.png", "reliability.png", "test_accuracy.png"])
    assert result.stdout.startswith("smoke: ") and "%" in result.stdout
    assert "smoke: 3-fold CV, 2 epochs, sonar (208 rows)" in result.stderr


def test_no_plots_and_repeats_option(sonar_env, tmp_path):
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--repeats", "2", "--no-plots", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "smoke").iterdir()) == sorted([*RUN_FILES, *PREDICTIONS])
    folds = pd.read_csv(tmp_path / "smoke" / "folds.csv")
    assert list(zip(folds["repeat"], folds["fold"], strict=True)) == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_validate_prints_layers_and_parameters(sonar_env):
    result = invoke("validate", CONFIGS / "sonar_hidden.yaml")
    assert result.exit_code == 0, result.output
    assert "sonar_hidden: ok" in result.output and "total parameters: 5521" in result.output
    assert result.output.count("Dropout") == 2 and "learning_rate=0.1" in result.output


def test_validate_prints_each_layers_output_shape_on_image_data(tmp_path):
    config = write(tmp_path / "cnn.yaml", f"""extends: {CONFIGS / 'smoke.yaml'}
data: {{dataset: digits, view: image, classes: [0, 1]}}
model:
  layers:
    - {{type: conv2d, filters: 4, kernel_size: 3, padding: same}}
    - {{type: max_pooling2d}}
    - {{type: spatial_dropout2d, rate: 0.5}}
    - {{type: flatten}}
    - {{type: dense, units: 1, activation: sigmoid}}
""")
    result = invoke("validate", config)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "cnn: ok (digits_01: 360 rows x 64 features, 2 classes 0, 1; sample shape (8, 8, 1))")
    rows = [line.split() for line in result.output.splitlines()[3:-1]]
    assert [(r[1], " ".join(r[2:-1]).split(")")[0] + ")", r[-1]) for r in rows] == [
        ("Reshape", "(8, 8, 1)", "0"), ("Conv2D", "(8, 8, 4)", "40"), ("MaxPooling2D", "(4, 4, 4)", "0"),
        ("SpatialDropout2D", "(4, 4, 4)", "0"), ("Flatten", "(64,)", "0"), ("Dense", "(1,)", "65")]
    assert "total parameters: 105" in result.output

def test_validate_names_the_classes_and_sample_shape():
    result = invoke("validate", CONFIGS / "digits_mlp.yaml", CONFIGS / "random_5class.yaml")
    assert result.exit_code == 0, result.output
    assert ("digits_mlp: ok (digits: 1797 rows x 64 features, 10 classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9; "
            "sample shape (64,))") in result.output
    assert "random_5class: ok (random: 1200 rows x 25 features, 5 classes 0, 1, 2, 3, 4; sample shape (25,))" \
        in result.output
    assert "loss: categorical_crossentropy" in result.output and "softmax" in result.output


BAD_CONFIGS = {
    "unknown key": ("training: {epochz: 3}", "training.epochz is not a known key"),
    "rate 1.5": ("model: {layers: [{type: dropout, rate: 1.5}, {type: dense, units: 1, activation: sigmoid}]}",
                 "model.layers[0].rate must be a float in [0, 1); got 1.5"),
    "malformed yaml": ("training: {epochs: 3", "malformed YAML"),
    "too many folds": ("evaluation: {n_splits: 100}",
                       "evaluation.n_splits must be an integer in [2, 97] (the smallest class has 97 rows); got 100"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_is_one_error_line_and_writes_nothing(sonar_env, tmp_path, case):
    text, message = BAD_CONFIGS[case]
    bad = write(tmp_path / "bad.yaml", f"extends: {CONFIGS / 'smoke.yaml'}\n{text}\n")
    out = tmp_path / "out"
    write(out / "earlier" / "folds.csv", "kept")
    result = invoke("run", CONFIGS / "smoke.yaml", bad, "--out", out)
    assert_one_error(result, message, str(bad))
    assert sorted(p.name for p in out.iterdir()) == ["earlier"]  # the good config did not run either
    assert (out / "earlier" / "folds.csv").read_text() == "kept"


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "nope.yaml"], "nope.yaml: no such config file"),
        (["run", CONFIGS / "smoke.yaml", "--set", "epochs"], "--set 'epochs': expected KEY=VALUE"),
        (["validate", CONFIGS / "smoke.yaml", CONFIGS / "smoke.yaml"], "used by more than one config"),
    ],
)
def test_bad_arguments(sonar_env, tmp_path, args, message):
    assert_one_error(invoke(*args, "--out", tmp_path / "out") if args[0] == "run" else invoke(*args), message)
    assert not (tmp_path / "out").exists()


def test_csv_with_a_text_cell_names_row_and_column(tmp_path):
    write(tmp_path / "d.csv", "a,b,y\n1,2,p\n3,4,q\n5,six,p\n7,8,q\n")
    cfg = write(tmp_path / "c.yaml", f"extends: {CONFIGS / 'smoke.yaml'}\ndata: {{dataset: csv, path: d.csv}}\n")
    result = invoke("run", cfg, "--out", tmp_path / "out")
    assert_one_error(result, f"{tmp_path / 'd.csv'}: row 4, column 2 (b): expected a number; got 'six'")
    assert not (tmp_path / "out").exists()


def test_missing_sonar_without_network_is_one_error(tmp_path):
    result = invoke("run", CONFIGS / "smoke.yaml", "--data-dir", tmp_path / "empty", "--out", tmp_path / "out")
    assert_one_error(result, "sonar.csv: not found, and the download from http://127.0.0.1:9/")
    assert not (tmp_path / "out").exists() and not (tmp_path / "empty").exists()


def test_out_path_that_is_a_file(sonar_env, tmp_path):
    write(tmp_path / "taken", "")
    assert_one_error(invoke("run", CONFIGS / "smoke.yaml", "--out", tmp_path / "taken"), "is not a directory")


def test_console_script_in_a_real_process(sonar_env, tmp_path):
    bad = write(tmp_path / "bad.yaml", "name: [oops\n")
    proc = subprocess.run([sys.executable, "-m", "dropout_lab", "run", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"Error: {bad}: malformed YAML at line 2, column 1: "
                                                "expected ',' or ']', but got '<stream end>'"]


def assert_one_error(result, message, *more):
    assert result.exit_code in (1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for part in (message, *more):
        assert part in lines[0]
    assert "Traceback" not in result.output


def test_a_directory_not_written_by_dropout_lab_is_never_replaced(sonar_env, tmp_path):
    write(tmp_path / "smoke" / "notes.txt", "precious")
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--out", tmp_path)
    assert_one_error(result, "smoke: exists and is not a dropout-lab run directory (no run.json)")
    assert (tmp_path / "smoke" / "notes.txt").read_text() == "precious"


def test_several_configs_write_a_comparison_rewritten_from_disk_when_a_run_is_replaced(sonar_env, tmp_path):
    configs = [CONFIGS / "sonar_baseline.yaml", CONFIGS / "sonar_input.yaml"]
    result = invoke("run", *configs, *TINY, "-q", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "summary.md").read_text()
    assert "- sonar_baseline: " in text and "- sonar_input: " in text
    assert text in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [".locks", "comparison.png", "sonar_baseline", "sonar_input",
                                                          "summary.csv", "summary.md"]
    result = invoke("run", configs[1], *TINY, "--set", "seed=3", "-q", "--no-plots", "--replace", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "summary.csv").set_index("config")
    replaced = pd.read_csv(tmp_path / "sonar_input" / "folds.csv")["test_accuracy"].mean()
    assert list(table.index) == ["sonar_baseline", "sonar_input"]
    assert table.loc["sonar_input", "test_mean"] == pytest.approx(replaced)


# --- issue 9: results kept, finished runs reused, progress without a terminal ---

def test_a_finished_run_of_another_config_is_kept_unless_replace(sonar_env, tmp_path):
    assert invoke("run", CONFIGS / "smoke.yaml", *ONE_SPLIT, "-q", "--no-plots", "--out", tmp_path).exit_code == 0
    before = {name: (tmp_path / "smoke" / name).read_bytes() for name in RUN_FILES}
    two_epochs = [*ONE_SPLIT, "--set", "training.epochs=2", "--no-plots"]
    result = invoke("run", CONFIGS / "smoke.yaml", *two_epochs, "-q", "--out", tmp_path)
    assert_one_error(result, f"{tmp_path / 'smoke'}: holds a finished run of another config (first difference: "
                             "training.epochs = 1 there vs 2 now); --replace replaces it, or choose another --out")
    assert {name: (tmp_path / "smoke" / name).read_bytes() for name in RUN_FILES} == before
    result = invoke("run", CONFIGS / "smoke.yaml", *two_epochs, "-q", "--replace", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert load_config(tmp_path / "smoke" / "config.yaml").training.epochs == 2
    assert len(pd.read_csv(tmp_path / "smoke" / "folds.csv")) == 1


def test_a_finished_run_is_reused_unless_fresh(sonar_env, tmp_path, monkeypatch):
    args = ["run", CONFIGS / "smoke.yaml", *ONE_SPLIT, "-q", "--no-plots", "--out", tmp_path]
    assert invoke(*args).exit_code == 0
    info = (tmp_path / "smoke" / "run.json").read_bytes()
    calls = count_trained_runs(monkeypatch)
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert calls == [] and f"smoke: already done, reusing {tmp_path / 'smoke'}" in again.stdout
    assert again.stdout.count("smoke: ") == 2 and (tmp_path / "smoke" / "run.json").read_bytes() == info
    assert invoke(*args, "--fresh").exit_code == 0 and calls == ["smoke"]
    # another library version (another run id) is trained again
    (tmp_path / "smoke" / "run.json").write_text(json.dumps({**json.loads(info), "run_id": "other versions"}))
    assert invoke(*args).exit_code == 0 and calls == ["smoke", "smoke"]


def test_one_line_per_finished_fold_when_stderr_is_not_a_terminal(sonar_env, tmp_path):
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--repeats", "2", "--no-plots", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "smoke: 2-fold CV x 2 repeats, 1 epochs, sonar (208 rows)"
    folds = pd.read_csv(tmp_path / "smoke" / "folds.csv")
    assert len(lines) == 5
    for line, row in zip(lines[1:], folds.itertuples(), strict=True):
        assert re.fullmatch(rf"smoke: repeat {row.repeat}/2, fold {row.fold}/2: test accuracy "
                            rf"{row.test_accuracy:.3f}, elapsed \d+:\d\d", line), line
    quiet = invoke("run", CONFIGS / "smoke.yaml", *ONE_SPLIT, "-q", "--out", tmp_path / "q")
    assert quiet.exit_code == 0 and quiet.stderr == ""

def test_multiclass_runs_through_run_compare_check_report_and_sweep(tmp_path):
    """digits_mlp and its baseline (fused engine, 2 folds, 3 epochs): the files of a run,
    `compare` on test accuracy and on another score, `check`, `report`, and a sweep."""
    fast = ["--engine", "fused", "--set", "training.epochs=3", "--set", "evaluation.n_splits=2", "-q"]
    out = tmp_path / "out"
    result = invoke("run", CONFIGS / "digits_mlp.yaml", CONFIGS / "digits_mlp_baseline.yaml", *fast, "--out", out)
    assert result.exit_code == 0, result.output
    run = out / "digits_mlp"
    assert {"predictions.csv", "confusion.csv", "confusion.png", "test_accuracy.png"} <= {p.name for p in run.iterdir()}
    folds = pd.read_csv(run / "folds.csv")
    assert folds["test_accuracy"].between(0.8, 1).all() and folds["test_auc"].between(0.9, 1).all()
    predictions = pd.read_csv(run / "predictions.csv")
    assert sorted(predictions["row"]) == list(range(1797))
    assert list(predictions.columns) == ["row", "repeat", "fold", "true", "predicted", *(f"p_{k}" for k in range(10))]
    probabilities = predictions[[f"p_{k}" for k in range(10)]].to_numpy()
    assert abs(probabilities.sum(axis=1) - 1).max() < 1e-5
    confusion = pd.read_csv(run / "confusion.csv", index_col="true")
    assert confusion.to_numpy().sum() == 1797 and list(confusion.columns) == [str(k) for k in range(10)]
    assert confusion.sum(axis=1).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert (confusion.to_numpy().diagonal().sum() / 1797
            == pytest.approx((folds["test_accuracy"] * folds["n_test"]).sum() / 1797))
    summary = pd.read_csv(run / "summary.csv", index_col="metric")
    assert {"test_accuracy", "test_loss", "test_auc", "test_f1_macro", "test_balanced_accuracy"} <= set(summary.index)

    base, drop = out / "digits_mlp_baseline", out / "digits_mlp"
    default = invoke("compare", base, drop)
    assert default.exit_code == 0 and default.stdout.startswith("# Comparison of test accuracy")
    f1 = invoke("compare", base, drop, "--metric", "test_f1_macro", "--format", "json")
    assert f1.exit_code == 0, f1.output
    pairs = json.loads(f1.stdout)
    assert pairs[0]["metric"] == "test_f1_macro" and pairs[0]["run_b"] == "digits_mlp"
    assert pairs[0]["mean_b"] == pytest.approx(pd.read_csv(run / "folds.csv")["test_f1_macro"].mean())
    loss = invoke("compare", base, drop, "--metric", "test_loss")
    assert loss.exit_code == 0 and loss.stdout.startswith("# Comparison of test loss")
    unknown = invoke("compare", base, drop, "--metric", "test_nonsense")
    assert unknown.exit_code == 2 and "test_f1_macro" in unknown.output  # click lists the choices

    again = invoke("run", CONFIGS / "digits_mlp.yaml", *fast, "--no-plots", "--out", tmp_path / "again")
    assert again.exit_code == 0
    checked = invoke("check", tmp_path / "again" / "digits_mlp", "--against", out)
    assert checked.exit_code == 0 and "OK:" in checked.stdout, checked.output

    reported = invoke("report", out)
    assert reported.exit_code == 0, reported.output
    assert "digits (10 classes)" in (out / "report.md").read_text()

    sweep = invoke("run", CONFIGS / "digits_mlp.yaml", *fast, "--no-plots", "--sweep", "model.layers[1].rate=0.0,0.5",
                   "--out", tmp_path / "sweep")
    assert sweep.exit_code == 0, sweep.output
    table = pd.read_csv(tmp_path / "sweep" / "digits_mlp" / "sweep.csv")
    assert len(table) == 2 and (tmp_path / "sweep" / "digits_mlp" / "rate=0.5" / "confusion.csv").is_file()


def test_compare_refuses_a_metric_an_older_run_lacks(tmp_path):
    import shutil

    from .conftest import ROOT

    copies = [shutil.copytree(ROOT / "reference" / "smoke", tmp_path / name / "smoke") for name in ("a", "b")]
    result = invoke("compare", *copies, "--metric", "test_auc")
    assert result.exit_code == 1
    assert "folds.csv has no column test_auc" in result.stderr


@pytest.mark.parametrize("flag, xla", [("--xla", True), ("--no-xla", False)])
def test_the_xla_flags_set_training_xla_and_the_run_records_its_mode(sonar_env, tmp_path, flag, xla):
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--engine", "fused", flag, "--no-plots", "-q",
                    "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "smoke" / "run.json").read_text())["xla"] is xla
    assert f"xla: {str(xla).lower()}" in (tmp_path / "smoke" / "config.yaml").read_text()


def test_xla_with_the_scikeras_engine_is_one_error_line_and_writes_nothing(sonar_env, tmp_path):
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--xla", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == (
        f"Error: {CONFIGS / 'smoke.yaml'}: training.xla = true is for the fused engine (`training.engine: fused`); "
        "the SciKeras engine trains in graph mode")
    assert not (tmp_path / "out").exists()


def test_run_help_names_every_layer_kind_and_where_keys_are_documented():
    from dropout_lab.layers import LAYERS

    text = " ".join(invoke("run", "--help").output.split())
    assert all(kind in text for kind in LAYERS)
    assert "config reference" in text and "layer reference" in text and "dropout-lab schema" in text


def test_validate_shows_an_lstms_two_rates():
    result = invoke("validate", CONFIGS / "digits_lstm_variational.yaml")
    assert result.exit_code == 0, result.output
    lstm = next(line for line in result.output.splitlines() if line.split()[:2] == ["lstm", "LSTM"])
    assert "dropout=0.5 recurrent_dropout=0.5" in lstm
