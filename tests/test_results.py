import json
import math
import os

import pandas as pd
import pytest

from dropout_lab.compare import compare_runs
from dropout_lab.config import load_config
from dropout_lab.errors import ResultsError
from dropout_lab.results import (
    RUN_FILES,
    comparison_markdown,
    headline,
    prepare_out_dir,
    summarize,
    summary_markdown,
    update_comparison,
    write_comparison,
    write_run,
)
from dropout_lab.stats import mean_ci
from dropout_lab.sweep import expand
from dropout_lab.sweep_tables import sweep_files

from .conftest import CONFIGS

FOLDS = pd.DataFrame({"fold": [1, 2, 3, 4], "test_accuracy": [0.8, 0.9, 0.7, 0.8],
                      "train_accuracy": [1.0, 0.95, 1.0, 0.97], "test_loss": [0.4, 0.3, 0.5, 0.4]})


def test_summary_statistics():
    summary = summarize(FOLDS)
    row = summary.loc["test_accuracy"]
    assert row["mean"] == pytest.approx(0.8) and row["min"] == 0.7 and row["max"] == 0.9
    assert row["std"] == pytest.approx((0.02 / 4) ** 0.5)  # population std, as numpy's .std()
    assert summary.loc["train_accuracy", "n"] == 4


def test_headline_is_the_tutorials_form():
    assert headline("sonar_hidden", summarize(FOLDS)) == "sonar_hidden: 80.00% (7.07%)"


def test_write_run_writes_every_file_and_nothing_else(tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml")
    where = write_run(tmp_path, cfg, FOLDS, {"seed": 7}, plots=False)
    assert where == tmp_path / "smoke"
    assert sorted(p.name for p in where.iterdir()) == sorted(RUN_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smoke"]  # no staging dir left
    assert load_config(where / "config.yaml") == cfg  # the table can be regenerated from beside it
    assert pd.read_csv(where / "folds.csv").equals(FOLDS)
    assert json.loads((where / "run.json").read_text()) == {"seed": 7}
    assert "| test_accuracy | 0.8000 |" in (where / "summary.md").read_text()


def test_a_rerun_replaces_the_previous_run_whole(tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml")
    write_run(tmp_path, cfg, FOLDS, {})
    (tmp_path / "smoke" / "stale.txt").write_text("old")
    write_run(tmp_path, cfg, FOLDS.assign(test_accuracy=0.5), {})
    assert not (tmp_path / "smoke" / "stale.txt").exists()
    assert (pd.read_csv(tmp_path / "smoke" / "folds.csv")["test_accuracy"] == 0.5).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smoke"]


def test_comparison_lists_each_config(tmp_path):
    summaries = {"a": summarize(FOLDS), "b": summarize(FOLDS.assign(test_accuracy=0.5))}
    path = write_comparison(tmp_path, summaries)
    text = path.read_text()
    assert text == comparison_markdown(summaries)
    assert "- a: 80.00% (7.07%)" in text and "- b: 50.00% (0.00%)" in text
    assert list(pd.read_csv(tmp_path / "summary.csv")["config"]) == ["a", "b"]


def test_out_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ResultsError, match="exists and is not a directory"):
        prepare_out_dir(tmp_path / "f")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_out_dir_not_writable_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ResultsError, match="cannot write results there"):
        prepare_out_dir(locked / "sub")


def test_out_dir_under_a_file_is_refused(tmp_path):
    (tmp_path / "f").write_text("")
    with pytest.raises(ResultsError, match="cannot write results there: Not a directory"):
        prepare_out_dir(tmp_path / "f" / "sub")


# --- issue 9 ---

def test_the_comparison_marks_runs_evaluated_with_another_protocol_or_epochs(tmp_path):
    for name, overrides in (("a", []), ("b", []), ("c", ["evaluation.n_splits=3", "training.epochs=3"])):
        folds = FOLDS.assign(repeat=1, split_seed=7, n_train=187, n_test=21)
        write_run(tmp_path, load_config(CONFIGS / "sonar_hidden.yaml", [f"name={name}", *overrides]), folds, {},
                  plots=False)
    _, text = update_comparison(tmp_path, ["a", "b", "c"], plots=False)
    assert "| a | 0.8000 |" in text and "| 10-fold CV | 300 |" in text
    assert "| c (*) | 0.8000 |" in text and "| 3-fold CV | 3 |" in text
    assert "(*) evaluated with another protocol or number of epochs than the others (10-fold CV, 300 epochs)" in text
    table = pd.read_csv(tmp_path / "summary.csv").set_index("config")
    assert table["same_setup"].tolist() == [True, True, False] and table.loc["c", "epochs"] == 3


def test_intervals_of_scores_bounded_below_by_0_stay_above_it_and_the_footnote_says_so():
    # three folds, one far off: the plain t-interval of each mean reaches below 0
    spread = [0.01, 0.02, 1.0]
    folds = pd.DataFrame({"test_accuracy": [0.7, 0.8, 0.75], "train_accuracy": [0.9, 0.95, 0.9],
                          "test_loss": [0.02, 0.05, 1.5], "test_brier": spread, "test_ece": spread,
                          "mc_test_loss": [0.02, 0.05, 1.5]})
    summary = summarize(folds)
    for metric in ("test_loss", "test_brier", "test_ece", "mc_test_loss"):
        plain = mean_ci(folds[metric])
        assert plain.lo < 0.0  # what there is to clip
        assert summary.loc[metric, "ci95_low"] == 0.0
        # the upper end is cut only where the score ends: loss none, Brier 2, ECE 1
        expected_high = min(plain.hi, {"test_loss": math.inf, "test_brier": 2.0, "test_ece": 1.0,
                                       "mc_test_loss": math.inf}[metric])
        assert summary.loc[metric, "ci95_high"] == expected_high
    assert summary.loc["test_ece", "ci95_high"] == 1.0 and summary.loc["test_loss", "ci95_high"] > 1.0
    footnote = summary_markdown("x", summary).splitlines()[-1]
    assert footnote == ("std: as the tutorial prints it (ddof=0); sem and the t-based 95% interval of the mean use "
                        "ddof=1. Intervals are clipped to their score's range: [0, 1] for accuracy, ece; "
                        "[0, ∞) for loss; [0, 2] for brier.")


def test_accuracy_intervals_stay_within_0_and_1(tmp_path):
    # accuracies near 1: the plain t-interval of the mean train accuracy is [0.9914, 1.0018]
    folds = pd.DataFrame({
        "repeat": 1, "fold": range(1, 11), "split_seed": 7, "n_train": 187, "n_test": 21,
        "train_accuracy": [1.0] * 8 + [0.986, 0.9802], "test_accuracy": [1.0] * 8 + [0.9524, 0.9524],
        "test_loss": 0.1})
    summary = summarize(folds)
    for metric in ("train_accuracy", "test_accuracy"):
        assert 0.0 <= summary.loc[metric, "ci95_low"] <= summary.loc[metric, "ci95_high"] == 1.0
    train_row = next(line for line in summary_markdown("x", summary).splitlines() if "| train_accuracy |" in line)
    assert "| [0.9914, 1.0000] |" in train_row
    # compare: a difference of accuracies lies in [-1, 1]
    flip = folds.assign(test_accuracy=[0.0, 1.0] * 5)
    row = compare_runs({"a": flip, "b": flip.assign(test_accuracy=[1.0, 0.0] * 5)}).iloc[0]
    assert -1.0 <= row["ci_lo"] < row["ci_hi"] <= 1.0
    # the sweep plot's axis ends at 1
    sweep = expand(CONFIGS / "smoke.yaml", (), ["model.layers[1].rate=0.0,0.5"])
    _, figure = sweep_files(sweep, {cell.name: folds for cell in sweep.cells})
    assert figure.axes[0].get_ylim()[1] <= 1.0
