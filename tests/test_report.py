import re
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import ResultsError
from dropout_lab.predictions import predictions_frame
from dropout_lab.report import COLUMNS, build_report
from dropout_lab.results import write_run

from .conftest import CONFIGS, write


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def folds(accuracies, repeats=1, n_train=104, n_test=104):
    per_repeat = len(accuracies) // repeats
    return pd.DataFrame({
        "repeat": [r for r in range(1, repeats + 1) for _ in range(per_repeat)],
        "fold": list(range(1, per_repeat + 1)) * repeats,
        "split_seed": 7, "n_train": n_train, "n_test": n_test,
        "train_accuracy": 1.0, "test_accuracy": accuracies,
    })


def info(cfg, dataset="sonar"):
    return {"config_hash": cfg.config_hash(), "dataset": {"name": dataset, "checksum": "abc"}}


@pytest.fixture
def results(tmp_path) -> Path:
    """A results directory: a k-fold run, a holdout run with repeats, a sweep of two cells
    (9 before 10), a run being written (hidden) and a broken one."""
    root = tmp_path / "results"
    (root / "sweep").mkdir(parents=True)
    kfold = load_config(CONFIGS / "sonar_baseline.yaml", ["evaluation.n_splits=2"])
    write_run(root, kfold, folds([0.8, 0.9]), info(kfold))
    holdout = load_config(CONFIGS / "circles_dropout.yaml", ["evaluation.repeats=3", "training.epochs=5"])
    write_run(root, holdout, folds([0.7, 0.8, 0.9], repeats=3, n_train=30, n_test=70), info(holdout, "circles"),
              history=pd.DataFrame({"repeat": 1, "fold": 1, "epoch": [1, 2], "train_loss": 0.5,
                                    "train_accuracy": 0.9, "test_loss": 0.6, "test_accuracy": 0.8}))
    sweep = root / "sweep"
    for n in (9, 10):
        cell = load_config(CONFIGS / "smoke.yaml", [f"name=epochs={n}", f"training.epochs={n}"])
        write_run(sweep, cell, folds([0.6, 0.7, 0.8]), info(cell), plots=False)
    write(sweep / "sweep.csv", "cell,training.epochs\nepochs=9,9\nepochs=10,10\n")
    write(sweep / "sweep.md", "# sweep\n")
    write(root / ".smoke.abc.partial" / "run.json", "{}")
    write(root / ".smoke.abc.partial" / "folds.csv", "not,a,run\n")
    write(root / "broken" / "run.json", "{not json")
    write(root / "broken" / "folds.csv", "fold,test_accuracy\n1,0.5\n")
    write(root / "broken" / "config.yaml", "name: broken\n")
    return root


def test_report_has_a_row_per_run_in_order(results):
    report = build_report(results, results)
    table = report.table
    assert list(table.columns) == COLUMNS
    assert table["run"].tolist() == ["circles_dropout", "sonar_baseline", "sweep/epochs=9", "sweep/epochs=10"]
    circles, sonar = table.iloc[0], table.iloc[1]
    assert (circles["protocol"], circles["runs"], circles["repeats"], circles["folds"]) == (
        "holdout (30 train / 70 test)", 3, 3, 1)
    assert (sonar["protocol"], sonar["runs"], sonar["dataset"], sonar["epochs"]) == ("2-fold CV", 2, "sonar", 300)
    assert sonar["test_mean"] == pytest.approx(0.85) and sonar["test_std"] == pytest.approx(0.05)
    assert circles["test_ci95_low"] < 0.8 < circles["test_ci95_high"]
    assert report.sweeps == [results / "sweep"]
    assert len(report.skipped) == 1 and report.skipped[0].startswith(f"{results / 'broken' / 'run.json'}: ")


def test_report_markdown_rows_and_links(results):
    md = build_report(results, results).markdown
    assert "4 runs, 2 of them cells of 1 sweep." in md
    assert ("| [sonar_baseline](sonar_baseline/summary.md) | sonar | 2-fold CV | 300 | 2 (1 x 2) "
            "| 0.8500 ± 0.0500 |") in md
    assert "| 3 (3 x 1) | 0.8000 ± 0.0816 |" in md
    assert "[learning curve](circles_dropout/learning_curve.png)" in md
    assert "- sweep: [table](sweep/sweep.md), [CSV](sweep/sweep.csv)" in md
    assert "## Not included" in md and "broken" in md


@pytest.mark.parametrize("where", ["inside", "elsewhere"])
def test_every_link_resolves_from_where_the_report_is(results, tmp_path, where):
    out = results / "report.md" if where == "inside" else tmp_path / "papers" / "draft" / "table.md"
    result = invoke("report", results, *(["--out", out] if where == "elsewhere" else []))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"4 runs and 1 sweep -> {out}, {out.with_suffix('.csv')}"
    assert "not included: " in result.stderr and "broken" in result.stderr
    md = out.read_text()
    links = re.findall(r"\]\(([^)]+)\)", md)
    assert len(links) >= 4 + 3 + 2
    for link in links:
        assert (out.parent / unquote(link)).is_file(), link
    assert pd.read_csv(out.with_suffix(".csv"))["run"].tolist()[-1] == "sweep/epochs=10"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.stem}")]  # no temporary file left


def test_a_second_report_reads_the_same_runs(results):
    assert invoke("report", results).exit_code == 0
    first = (results / "report.md").read_text()
    assert invoke("report", results).exit_code == 0
    assert (results / "report.md").read_text() == first


@pytest.mark.parametrize("setup, args, message", [
    ("empty", [], "no run directories (holding run.json and folds.csv) found"),
    ("missing", [], "no such directory"),
    ("run", ["--out", "r.csv"], "the report is Markdown"),
])
def test_report_errors(tmp_path, setup, args, message):
    root = tmp_path / "r"
    if setup == "empty":
        root.mkdir()
    if setup == "run":
        root.mkdir()
        cfg = load_config(CONFIGS / "smoke.yaml")
        write_run(root, cfg, folds([0.5, 0.6]), info(cfg), plots=False)
    args = [tmp_path / a if a.endswith(".csv") else a for a in args]
    result = invoke("report", root, *args)
    assert result.exit_code == 1 and message in result.stderr, result.output


def test_a_single_run_directory_reports_itself(tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml")
    where = write_run(tmp_path, cfg, folds([0.5, 0.6]), info(cfg))
    report = build_report(where, where)
    assert report.table["run"].tolist() == ["."]
    assert "[test accuracy](test_accuracy.png)" in report.markdown
    with pytest.raises(ResultsError):
        build_report(tmp_path / "nowhere", tmp_path)


def test_the_report_links_every_plot_a_run_has_the_reliability_diagram_too(tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml")
    predictions = pd.concat([predictions_frame(range(4 * f, 4 * f + 4), 1, f, [0, 1, 1, 0],
                                                       [0.2, 0.7, 0.4, 0.1], ["M", "R"]) for f in (1, 2)])
    history = pd.DataFrame({"repeat": 1, "fold": 1, "epoch": [1, 2], "train_loss": 0.5, "train_accuracy": 0.9,
                            "test_loss": 0.6, "test_accuracy": 0.8})
    where = write_run(tmp_path, cfg, folds([0.5, 0.6]), info(cfg), history=history, predictions=predictions,
                      classes=["M", "R"])
    plots = sorted(p.name for p in where.glob("*.png"))
    assert plots == ["confusion.png", "learning_curve.png", "reliability.png", "test_accuracy.png"]
    md = build_report(where, where).markdown
    assert [name for name in plots if f"]({name})" not in md] == []  # every plot linked
    assert "[reliability diagram](reliability.png)" in md
