import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from dropout_lab.cli import main
from dropout_lab.compare import against_markdown, compare_markdown, compare_runs, run_means
from dropout_lab.errors import ResultsError, StatsError
from dropout_lab.results import read_run
from dropout_lab.stats import corrected_resampled_ttest, mean_ci, p_value_text, paired_ttest

from .conftest import write

# Test accuracies of three runs on the same ten folds of 208 rows (n_test 21 on eight folds, 20 on two).
BASELINE = [0.81, 0.86, 0.76, 0.90, 0.85, 0.81, 0.90, 0.86, 0.80, 0.85]
INPUT = [0.83, 0.85, 0.81, 0.93, 0.85, 0.85, 0.91, 0.88, 0.78, 0.88]
HIDDEN = [0.86, 0.88, 0.81, 0.95, 0.86, 0.86, 0.95, 0.90, 0.81, 0.90]
N_TEST = [21] * 8 + [20] * 2
CHECKSUM = "ab" * 32  # SHA-256 in hex, as dropout_lab.data.checksum writes it


def make_run(root, name, accuracies, *, repeats=1, split_seed=7, n_test=None, checksum=CHECKSUM,
             repeat_column=True):
    """A run directory as `dropout-lab run` would leave it, written by hand (no training)."""
    n_test = n_test or N_TEST
    k = len(accuracies) // repeats
    rows = [{"repeat": r + 1, "fold": f + 1, "split_seed": split_seed + r, "model_seed": 1000 * r + f,
             "n_train": 208 - n_test[f], "n_test": n_test[f], "train_accuracy": 1.0,
             "test_accuracy": accuracies[r * k + f], "test_loss": 0.4, "fit_seconds": 1.5}
            for r in range(repeats) for f in range(k)]
    folds = pd.DataFrame(rows)
    if not repeat_column:
        folds = folds.drop(columns="repeat")
    run_dir = root / name
    write(run_dir / "config.yaml", f"name: {name}\nseed: {split_seed}\n")
    write(run_dir / "folds.csv", folds.to_csv(index=False))
    write(run_dir / "run.json", json.dumps({"name": name, "seed": split_seed,
                                            "dataset": {"name": "sonar", "checksum": checksum}}))
    return run_dir


def invoke(*args):
    return CliRunner().invoke(main, ["compare", *map(str, args)])


@pytest.fixture
def runs(tmp_path):
    return [make_run(tmp_path, "sonar_baseline", BASELINE, repeat_column=False),
            make_run(tmp_path, "sonar_input", INPUT), make_run(tmp_path, "sonar_hidden", HIDDEN)]


def expected(a, b):
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    n_test = sum(N_TEST) / 10
    return corrected_resampled_ttest(diffs, 208 - n_test, n_test), paired_ttest(diffs)


def test_csv_has_one_row_per_pair_with_the_corrected_numbers(runs):
    result = invoke(*runs, "--format", "csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output))
    assert list(zip(table.run_a, table.run_b, strict=True)) == [
        ("sonar_baseline", "sonar_input"), ("sonar_baseline", "sonar_hidden"), ("sonar_input", "sonar_hidden")]
    row = table.iloc[0]
    corrected, plain = expected(BASELINE, INPUT)
    assert row["mean_a"] == pytest.approx(sum(BASELINE) / 10) and row["mean_b"] == pytest.approx(sum(INPUT) / 10)
    assert row["diff"] == pytest.approx(corrected.mean)
    assert (row["ci_lo"], row["ci_hi"]) == (pytest.approx(corrected.lo), pytest.approx(corrected.hi))
    assert row["t"] == pytest.approx(corrected.t) and row["df"] == 9
    assert row["p"] == pytest.approx(corrected.p) and row["p_uncorrected"] == pytest.approx(plain.p)
    assert row["p"] > row["p_uncorrected"]
    assert (row["folds"], row["repeats"], row["n_test"], row["n_train"]) == (10, 1, 20.8, 187.2)
    assert row["verdict"].startswith("sonar_input is not significantly different from sonar_baseline")


def test_json_parses_and_matches_csv(runs):
    as_json = json.loads(invoke(*runs, "--format", "json").output)
    as_csv = pd.read_csv(io.StringIO(invoke(*runs, "--format", "csv").output))
    assert len(as_json) == 3 and [r["run_b"] for r in as_json] == list(as_csv.run_b)
    for record, (_, row) in zip(as_json, as_csv.iterrows(), strict=True):
        assert record["p"] == pytest.approx(row["p"]) and record["diff"] == pytest.approx(row["diff"])
        assert record["verdict"] == row["verdict"]


def test_markdown_table_and_verdicts(runs):
    result = invoke(*runs)  # md is the default
    assert result.exit_code == 0, result.output
    corrected, plain = expected(BASELINE, HIDDEN)
    lines = result.output.splitlines()
    row = next(line for line in lines if line.startswith("| sonar_baseline | sonar_hidden |"))
    assert f"| {corrected.mean:+.4f} | [{corrected.lo:+.4f}, {corrected.hi:+.4f}] | {corrected.t:.3f} | 9 |" in row
    assert "n_test/n_train = 20.8/187.2" in result.output and "Paired over 10 folds (1 repeat)" in result.output
    assert sum(line.startswith("- ") for line in lines) == 3
    assert "- sonar_hidden is significantly better than sonar_baseline (corrected p = " in result.output


def test_repeated_runs_pair_every_repeat_and_fold(tmp_path):
    a = make_run(tmp_path, "a", BASELINE + INPUT, repeats=2)
    b = make_run(tmp_path, "b", INPUT + HIDDEN, repeats=2)
    row = json.loads(invoke(a, b, "--format", "json").output)[0]
    corrected = corrected_resampled_ttest([y - x for x, y in zip(BASELINE + INPUT, INPUT + HIDDEN, strict=True)],
                                          187.2, 20.8)
    assert (row["folds"], row["repeats"], row["df"]) == (20, 2, 19)
    assert row["t"] == pytest.approx(corrected.t) and row["p"] == pytest.approx(corrected.p)


def test_compare_runs_on_dataframes_directly():
    frame = pd.DataFrame({"repeat": 1, "fold": [1, 2, 3], "split_seed": 7, "n_train": 8, "n_test": 4})
    table = compare_runs({"a": frame.assign(test_accuracy=[0.5, 0.75, 1.0]),
                          "b": frame.assign(test_accuracy=[0.75, 1.0, 1.0])})
    assert table.loc[0, "diff"] == pytest.approx(1 / 6) and table.loc[0, "n_test"] == 4


@pytest.mark.parametrize("metric, means_low, note, pairwise_note", [
    ("test_loss", 0.0, "Intervals clipped to where the values lie: a mean's to [0, ∞).", ""),
    ("test_ece", 0.0, "Intervals clipped to where the values lie: a mean's to [0, 1], a difference's to [-1, 1].",
     "Intervals clipped to where the values lie: a difference's to [-1, 1]."),
])
def test_intervals_of_a_score_bounded_below_by_0_stay_above_it_and_the_tables_say_so(metric, means_low, note,
                                                                                        pairwise_note):
    frame = pd.DataFrame({"repeat": 1, "fold": [1, 2, 3], "split_seed": 7, "n_train": 8, "n_test": 4})
    folds = {"a": frame.assign(**{metric: [0.01, 0.02, 1.0]}), "b": frame.assign(**{metric: [0.02, 0.02, 0.9]})}
    assert mean_ci(folds["a"][metric]).lo < 0.0  # the plain interval reaches below 0
    means = run_means(folds, metric=metric)
    assert means["ci_lo"].tolist() == [means_low, means_low]
    table = compare_runs(folds, against=["a"], metric=metric)
    assert note in against_markdown(table, means)
    pairwise = compare_markdown(compare_runs(folds, metric=metric))
    assert (pairwise_note in pairwise) if pairwise_note else ("clipped" not in pairwise)  # a loss: nothing clipped


REFUSED = {
    "other split_seed": (dict(split_seed=8), "split_seed 7 vs 8 (repeat 1, fold 1)"),
    "other n_test": (dict(n_test=[20] * 2 + [21] * 8), "n_test 21 vs 20 (repeat 1, fold 1)"),
    "other repeat count": (dict(repeats=2, accuracies=INPUT * 2), "1 repeat vs 2 repeats"),
    "other fold count": (dict(accuracies=INPUT[:5]), "10 folds vs 5 folds"),
    "other dataset": (dict(checksum="cd" * 32), "dataset checksum abababababab... vs cdcdcdcdcdcd..."),
    "other dataset, same prefix": (dict(checksum="ab" * 10 + "cd" * 22),
                                   f"dataset checksum {'ab' * 10}a... vs {'ab' * 10}c..."),  # cut past the difference
}


@pytest.mark.parametrize(("changes", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_runs_on_different_folds_are_refused(tmp_path, changes, message):
    a = make_run(tmp_path, "sonar_baseline", BASELINE)
    b = make_run(tmp_path, "sonar_input", **{"accuracies": INPUT, **changes})
    result = invoke(a, b)
    assert result.exit_code == 1
    assert result.output == ("Error: runs sonar_baseline and sonar_input were not evaluated on the same folds: "
                             f"{message}\n")


def test_a_fold_missing_from_one_run_is_named(tmp_path):
    a = make_run(tmp_path, "a", BASELINE)
    b = make_run(tmp_path, "b", INPUT)
    folds = pd.read_csv(b / "folds.csv")
    folds.loc[folds.fold == 10, "fold"] = 11
    (b / "folds.csv").write_text(folds.to_csv(index=False))
    result = invoke(a, b)
    assert result.exit_code == 1 and result.output.count("Error:") == 1
    assert "repeat 1, fold 10 is only in a" in result.output


def test_each_later_run_is_checked_against_the_first(tmp_path):
    runs = [make_run(tmp_path, "a", BASELINE), make_run(tmp_path, "b", INPUT),
            make_run(tmp_path, "c", HIDDEN, split_seed=9)]
    result = invoke(*runs)
    assert result.exit_code == 1 and "runs a and c were not evaluated on the same folds" in result.output


BROKEN = {
    "missing run dir": (lambda d: d.rename(d.with_name("gone")), "no such run directory"),
    "missing folds.csv": (lambda d: (d / "folds.csv").unlink(), "folds.csv: missing"),
    "missing run.json": (lambda d: (d / "run.json").unlink(), "run.json: missing"),
    "malformed run.json": (lambda d: (d / "run.json").write_text("{"), "run.json: malformed JSON"),
    "malformed config.yaml": (lambda d: (d / "config.yaml").write_text("name: [x"), "config.yaml: malformed YAML"),
    "empty folds.csv": (lambda d: (d / "folds.csv").write_text(""), "folds.csv: malformed CSV"),
    "header-only folds.csv": (lambda d: (d / "folds.csv").write_text("fold,split_seed,n_train,n_test,test_accuracy\n"),
                              "folds.csv: no folds"),
    "column missing": (lambda d: (d / "folds.csv").write_text("fold,split_seed,n_train,n_test\n1,7,10,5\n"),
                       "folds.csv: missing column(s): test_accuracy"),
    "gap in a column": (lambda d: (d / "folds.csv").write_text("fold,split_seed,n_train,n_test,test_accuracy\n"
                                                                "1,7,10,5,\n2,7,10,5,0.8\n"),
                        "folds.csv: column test_accuracy has missing or non-numeric values"),
    "duplicate fold": (lambda d: (d / "folds.csv").write_text("fold,split_seed,n_train,n_test,test_accuracy\n"
                                                               "1,7,10,5,0.9\n1,7,10,5,0.8\n"),
                       "folds.csv: repeat 1, fold 1 appears more than once"),
    "fractional fold": (lambda d: (d / "folds.csv").write_text("fold,split_seed,n_train,n_test,test_accuracy\n"
                                                                "1.5,7,10,5,0.9\n"),
                        "folds.csv: column fold must hold whole numbers"),
}


@pytest.mark.parametrize(("breakage", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_unreadable_run_dirs_are_a_clear_error(tmp_path, breakage, message):
    a = make_run(tmp_path, "a", BASELINE)
    b = make_run(tmp_path, "b", INPUT)
    breakage(b)
    result = invoke(a, b)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {tmp_path / 'b'}") and message in result.output
    assert result.output.count("\n") == 1


def test_no_dataset_checksum_cannot_be_checked(tmp_path):
    a = make_run(tmp_path, "a", BASELINE)
    b = make_run(tmp_path, "b", INPUT, checksum=None)
    result = invoke(a, b)
    assert result.exit_code == 1 and "Error: run b: run.json has no dataset.checksum" in result.output


def test_a_single_run_is_an_error(runs):
    """One run directory (a directory may hold several, so this is known after reading it)."""
    result = invoke(runs[0])
    assert result.exit_code == 1 and result.output.startswith("Error: compare needs at least two run directories")


def test_same_config_name_in_two_dirs_is_told_apart(tmp_path):
    a = make_run(tmp_path / "x", "sonar", BASELINE)
    b = make_run(tmp_path / "y", "sonar", INPUT)
    row = json.loads(invoke(a, b, "--format", "json").output)[0]
    assert (row["run_a"], row["run_b"]) == (f"sonar ({a})", f"sonar ({b})")


def test_read_run_adds_repeat_1_and_reads_the_name(tmp_path):
    run = read_run(make_run(tmp_path, "sonar_input", INPUT, repeat_column=False))
    assert run.name == "sonar_input" and run.checksum == CHECKSUM
    assert list(run.folds.columns[:2]) == ["repeat", "fold"] and set(run.folds.repeat) == {1}
    folds = pd.read_csv(tmp_path / "sonar_input" / "folds.csv").assign(repeat=2)  # repeat as the last column
    (tmp_path / "sonar_input" / "folds.csv").write_text(folds.to_csv(index=False))
    assert read_run(tmp_path / "sonar_input").folds.columns[0] == "repeat"
    assert run.info["seed"] == 7
    with pytest.raises(ResultsError, match="no such run directory"):
        read_run(tmp_path / "nothing")


def test_refusal_is_a_stats_error_in_the_api():
    frame = pd.DataFrame({"repeat": 1, "fold": [1, 2], "n_train": 8, "n_test": 4, "test_accuracy": 0.5})
    with pytest.raises(StatsError, match="split_seed 7 vs 8"):
        compare_runs({"a": frame.assign(split_seed=7), "b": frame.assign(split_seed=8)})


def test_duplicate_folds_are_refused_in_the_api():
    frame = pd.DataFrame({"repeat": 1, "fold": [1, 1], "split_seed": 7, "n_train": 8, "n_test": 4,
                          "test_accuracy": [0.5, 0.6]})
    with pytest.raises(StatsError, match="run a: a \\(repeat, fold\\) pair appears more than once"):
        compare_runs({"a": frame, "b": frame})


def test_compare_on_a_sweep_directory_compares_its_cells(tmp_path, runs):
    """A sweep folder is not a run: its cells are (labelled sweep/cell), with any other run."""
    sweep = tmp_path / "sweep"
    write(sweep / "sweep.yaml", "name: sweep\n")
    cells = [make_run(sweep, name, BASELINE) for name in ("rate=0.0", "rate=0.2")]
    result = invoke(sweep, runs[0], "--format", "csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output))
    assert {"sweep/rate=0.0", "sweep/rate=0.2"} <= set(table.run_a) | set(table.run_b)
    assert invoke(*cells).exit_code == 0


# --- against one or more references ---

def test_compare_runs_against_references_pairs_each_run_with_each_reference():
    frame = pd.DataFrame({"repeat": 1, "fold": range(1, 11), "split_seed": 7, "n_train": 187, "n_test": 21})
    folds = {n: frame.assign(test_accuracy=acc) for n, acc in
             (("base", BASELINE), ("input", INPUT), ("hidden", HIDDEN))}
    table = compare_runs(folds, against=["hidden", "base"])
    assert list(zip(table.run_a, table.run_b, strict=True)) == [
        ("hidden", "base"), ("hidden", "input"), ("base", "input"), ("base", "hidden")]
    row = table.iloc[2]
    assert row["diff"] == pytest.approx(corrected_resampled_ttest(
        [b - a for a, b in zip(BASELINE, INPUT, strict=True)], 187, 21).mean)
    with pytest.raises(StatsError, match=r"cannot compare against 'nope': not one of the runs \(base, input, hidden\)"):
        compare_runs(folds, against=["nope"])
    means = run_means(folds)
    assert means["run"].tolist() == ["base", "input", "hidden"]
    ci = mean_ci(HIDDEN)
    assert (means.iloc[2]["mean"], means.iloc[2]["ci_lo"], means.iloc[2]["ci_hi"]) == (
        pytest.approx(ci.mean), pytest.approx(ci.lo), pytest.approx(ci.hi))


def test_cli_against_a_name_on_a_directory_of_runs(runs, tmp_path):
    """A directory argument brings every run under it; --against by config name; one row
    per run with its interval and the differences from each reference."""
    result = invoke(tmp_path, "--against", "sonar_baseline", "--against", "sonar_hidden")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "# Test accuracy against sonar_baseline, sonar_hidden"
    header = next(line for line in lines if line.startswith("| run |"))
    assert header == ("| run | runs | test accuracy [95% CI] | diff vs sonar_baseline [95% CI] | p | p Holm "
                      "| diff vs sonar_hidden [95% CI] | p | p Holm |")
    rows = {line.split(" | ")[0][2:]: line for line in lines if line.startswith("| sonar_")}
    assert list(rows) == ["sonar_baseline", "sonar_hidden", "sonar_input"]  # directory order
    corrected, _ = expected(BASELINE, INPUT)
    ci = mean_ci(INPUT)
    assert rows["sonar_input"].startswith(
        f"| sonar_input | 10 | {ci.mean:.4f} [{ci.lo:.4f}, {ci.hi:.4f}] "
        f"| {corrected.mean:+.4f} [{corrected.lo:+.4f}, {corrected.hi:+.4f}] | {p_value_text(corrected.p)} |")
    assert "| sonar_baseline | 10 | " in rows["sonar_baseline"] and "| (reference) |  |  |" in rows["sonar_baseline"]
    assert "Significant (corrected p < 0.05): " in result.output
    csv = pd.read_csv(io.StringIO(invoke(tmp_path, "--against", "sonar_hidden", "--format", "csv").output))
    assert list(zip(csv.run_a, csv.run_b, strict=True)) == [("sonar_hidden", "sonar_baseline"),
                                                            ("sonar_hidden", "sonar_input")]


def test_cli_against_a_directory_adds_it_and_sweep_cells_carry_their_sweep(tmp_path):
    base = make_run(tmp_path / "elsewhere", "base", BASELINE)
    for cell, acc in (("rate=0.2", INPUT), ("rate=0.5", HIDDEN)):
        make_run(tmp_path / "out" / "sweep", cell, acc)
    for name in ("sweep.yaml", "sweep.csv", "sweep.md"):
        write(tmp_path / "out" / "sweep" / name, "cell\nrate=0.2\nrate=0.5\n")
    for name in ("summary.md", "summary.csv"):  # what `run` with several configs leaves in OUT
        write(tmp_path / "out" / name, "name\n")
    result = invoke(tmp_path / "out", "--against", base, "--format", "csv")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output))
    assert list(zip(table.run_a, table.run_b, strict=True)) == [("base", "sweep/rate=0.2"), ("base", "sweep/rate=0.5")]


def test_cli_against_errors(runs, tmp_path):
    result = invoke(tmp_path, "--against", "sonar_nothing")
    assert result.exit_code == 1 and result.output.strip() == (
        "Error: --against sonar_nothing: is none of the compared runs (sonar_baseline, sonar_hidden, sonar_input)")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke(empty, runs[0])
    assert result.exit_code == 1 and result.output.strip() == (
        f"Error: {empty}: not a run directory, and no run directories under it")


def test_cli_plot_draws_one_line_per_run_and_fills_the_significant(runs, tmp_path):
    result = invoke(*runs, "--against", "sonar_baseline", "--plot", tmp_path / "diff.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "diff.png").read_bytes().startswith(b"\x89PNG")
    assert result.stdout.startswith("# Test accuracy against sonar_baseline")  # the table, as without --plot
    assert result.stderr.strip() == f"-> {tmp_path / 'diff.png'}"

    from dropout_lab.plots import difference_plot

    frame = pd.DataFrame({"repeat": 1, "fold": range(1, 11), "split_seed": 7, "n_train": 187, "n_test": 21})
    table = compare_runs({n: frame.assign(test_accuracy=a) for n, a in
                          (("base", BASELINE), ("input", INPUT), ("hidden", HIDDEN))}, against=["base"])
    ax = difference_plot(table, "t").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["input", "hidden"]
    from matplotlib.collections import PathCollection

    points = [c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    filled = sum(len(c.get_offsets()) for c in points if c.get_facecolor()[0][:3].tolist() != [1, 1, 1])
    assert sum(len(c.get_offsets()) for c in points) == 2
    assert filled == int((table["p"] < 0.05).sum()) == 1  # hidden, not input


@pytest.mark.parametrize("runs, against, metric", [
    ((("base", BASELINE), ("input", INPUT), ("hidden", HIDDEN)), ["base"], "test_accuracy"),  # one filled, one open
    ((("base", BASELINE), ("input", INPUT)), ["base"], "test_accuracy"),  # none significant: all open
    ((("base", BASELINE), ("input", INPUT), ("hidden", HIDDEN)), ["base", "hidden"], "test_loss"),
])
def test_the_plots_legend_says_which_colour_is_which_reference_and_what_filled_means(runs, against, metric):
    from dropout_lab.plots import difference_plot

    frame = pd.DataFrame({"repeat": 1, "fold": range(1, 11), "split_seed": 7, "n_train": 187, "n_test": 21})
    table = compare_runs({n: frame.assign(**{metric: a}) for n, a in runs}, against=against, metric=metric)
    ax = difference_plot(table, "t").axes[0]
    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert texts == [*(f"vs {ref}" for ref in against), "filled: corrected p < 0.05", "open: corrected p ≥ 0.05"]
    filled, hollow = legend.legend_handles[-2:]
    assert filled.get_markerfacecolor() != "white" and hollow.get_markerfacecolor() == "white"
    from matplotlib.colors import to_rgba

    # each reference's colour in the legend is its error bars' colour (one container per reference)
    colours = [to_rgba(h.get_color()) for h in legend.legend_handles[:len(against)]]
    assert colours == [tuple(bars.lines[2][0].get_color()[0]) for bars in ax.containers]
    assert len(set(colours)) == len(against)
    assert ax.get_xlabel() == f"difference in mean {metric.replace('_', ' ')} (run - reference)"


def test_holm_adjusts_the_p_values_of_the_tables_comparisons(runs, tmp_path):
    table = pd.read_csv(io.StringIO(invoke(*runs, "--format", "csv").output))
    p = table["p"].tolist()  # three comparisons: Holm multiplies the smallest by 3, the next by 2, the last by 1
    order = sorted(range(3), key=p.__getitem__)
    steps = [min(1.0, (3 - rank) * p[i]) for rank, i in enumerate(order)]
    by_hand = [max(steps[: rank + 1]) for rank in range(3)]
    assert [table["p_holm"][i] for i in order] == pytest.approx(by_hand)
    assert all(table["p_holm"] >= table["p"])
    md = invoke(tmp_path, "--against", "sonar_baseline").output
    assert "p Holm: p adjusted for the 2 comparisons (Holm 1979)" in md
    row = next(line for line in md.splitlines() if line.startswith("| sonar_hidden |"))
    against = compare_runs({"b": read_run(runs[0]).folds, "h": read_run(runs[2]).folds,
                            "i": read_run(runs[1]).folds}, against=["b"])
    assert row.endswith(f"| {p_value_text(against['p'][0])} | {p_value_text(against['p_holm'][0])} |")


def test_bayes_adds_the_three_posterior_probabilities(runs):
    result = invoke(runs[0], runs[2], "--bayes", "--rope", "0.01", "--format", "json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output)[0]
    diffs = [h - b for b, h in zip(BASELINE, HIDDEN, strict=True)]
    n, mean = 10, sum(diffs) / 10
    s2 = sum((d - mean) ** 2 for d in diffs) / (n - 1)
    scale = (s2 * (1 / n + 20.8 / 187.2)) ** 0.5  # rho / (1 - rho) = n_test / n_train
    posterior = stats.t(n - 1, loc=mean, scale=scale)
    assert row["rope"] == 0.01
    assert row["p_a_better"] == pytest.approx(posterior.cdf(-0.01))
    assert row["p_equivalent"] == pytest.approx(posterior.cdf(0.01) - posterior.cdf(-0.01))
    assert row["p_b_better"] == pytest.approx(posterior.sf(0.01))
    md = invoke(runs[0], runs[2], "--bayes").output
    assert "| P(A better) | P(equiv.) | P(B better) |" in md and "rope 0.01" in md
    assert "p_b_better" not in invoke(runs[0], runs[2], "--format", "csv").output  # only with --bayes


def test_for_a_loss_b_better_is_the_mass_below_the_rope():
    frame = pd.DataFrame({"repeat": 1, "fold": [1, 2, 3], "split_seed": 7, "n_train": 8, "n_test": 4})
    folds = {"a": frame.assign(test_loss=[0.5, 0.6, 0.7]), "b": frame.assign(test_loss=[0.3, 0.45, 0.4])}
    row = compare_runs(folds, metric="test_loss", rope=0.01).iloc[0]
    assert row["p_b_better"] > 0.9 > row["p_a_better"]


def test_bayes_against_a_reference_has_three_columns_per_reference(runs, tmp_path):
    md = invoke(tmp_path, "--against", "sonar_baseline", "--bayes").output
    header = next(line for line in md.splitlines() if line.startswith("| run |"))
    assert header.endswith("| p | p Holm | P(ref better) | P(equiv.) | P(run better) |")
    row = next(line for line in md.splitlines() if line.startswith("| sonar_baseline |"))
    assert row.endswith("| (reference) |  |  |  |  |  |")
    csv = pd.read_csv(io.StringIO(invoke(tmp_path, "--against", "sonar_baseline", "--bayes", "--format", "csv").output))
    assert (csv["p_a_better"] + csv["p_equivalent"] + csv["p_b_better"]).tolist() == pytest.approx([1.0, 1.0])
