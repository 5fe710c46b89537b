import json

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import ConfigError
from dropout_lab.results import RUN_FILES, write_run
from dropout_lab.sweep import cell_name, expand, find_done, key_labels, parse_sweep_option, value_text
from dropout_lab.sweep_tables import sweep_files

from .conftest import CONFIGS, count_trained_runs, write

BASE = f"extends: {CONFIGS / 'smoke.yaml'}\n"  # layers: dense, dropout(0.2), dense, dropout(0.2), dense(1)
RATE = "model.layers[1].rate"
TINY = ["--set", "training.epochs=1", "--set", "evaluation.n_splits=2"]


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def sweep_config(tmp_path, sweep: str, name: str = "s") -> str:
    return write(tmp_path / f"{name}.yaml", f"{BASE}sweep: {sweep}\n")


# --- expansion ---

def test_one_key_gives_one_cell_per_value_each_a_plain_config(tmp_path):
    path = sweep_config(tmp_path, f'{{"{RATE}": [0.0, 0.1, 0.5]}}')
    sweep = expand(path)
    assert sweep.name == "s" and sweep.keys == [RATE]
    assert [cell.name for cell in sweep.cells] == ["rate=0.0", "rate=0.1", "rate=0.5"]
    base = load_config(CONFIGS / "smoke.yaml")
    for cell, rate in zip(sweep.cells, [0.0, 0.1, 0.5], strict=True):
        assert cell.values == {RATE: rate}
        assert cell.cfg.model.layers[1].rate == rate and cell.cfg.model.layers[3].rate == 0.2
        assert cell.cfg.name == cell.name and cell.cfg.sweep is None and "sweep" not in cell.cfg.to_dict()
        assert cell.cfg.seed == base.seed and cell.cfg.evaluation == base.evaluation  # paired: the same folds
    assert len({cell.cfg.config_hash() for cell in sweep.cells}) == 3


def test_several_keys_give_the_cross_product_first_key_slowest(tmp_path):
    path = sweep_config(tmp_path, f'{{"{RATE}": [0.0, 0.5], "model.layers[0].max_norm": [null, 3]}}')
    cells = expand(path, ["training.epochs=4"]).cells
    assert [c.name for c in cells] == ["rate=0.0,max_norm=null", "rate=0.0,max_norm=3",
                                       "rate=0.5,max_norm=null", "rate=0.5,max_norm=3"]
    assert [(c.cfg.model.layers[1].rate, c.cfg.model.layers[0].max_norm) for c in cells] == [
        (0.0, None), (0.0, 3), (0.5, None), (0.5, 3)]
    assert all(c.cfg.training.epochs == 4 for c in cells)  # --set applies to every cell


def test_cli_sweep_adds_keys_after_the_files(tmp_path):
    path = sweep_config(tmp_path, '{"model.layers[3].rate": [0.1]}')
    cells = expand(path, (), [f"{RATE}=0.0,0.2"]).cells
    assert [c.name for c in cells] == ["layers3.rate=0.1,layers1.rate=0.0", "layers3.rate=0.1,layers1.rate=0.2"]
    assert [c.cfg.model.layers[1].rate for c in cells] == [0.0, 0.2]


def test_cli_sweep_without_a_sweep_in_the_file_and_replacing_the_files_values(tmp_path):
    cells = expand(CONFIGS / "smoke.yaml", (), [f"{RATE}=0.0,0.2,0.4"]).cells
    assert [c.name for c in cells] == ["rate=0.0", "rate=0.2", "rate=0.4"]
    path = sweep_config(tmp_path, f'{{"{RATE}": [0.1, 0.3]}}')
    assert [c.name for c in expand(path, (), [f"{RATE}=0.4"]).cells] == ["rate=0.4"]
    assert expand(CONFIGS / "smoke.yaml") is None


@pytest.mark.parametrize("item, key, values", [
    ("model.layers[1].rate=0.0,0.2,0.4", RATE, [0.0, 0.2, 0.4]),
    ("model.layers[0].max_norm=null,3,4.5", "model.layers[0].max_norm", [None, 3, 4.5]),
    ("training.optimizer={name: adam},{name: sgd, momentum: 0.9}", "training.optimizer",
     [{"name": "adam"}, {"name": "sgd", "momentum": 0.9}]),
    ("evaluation.shuffle=true", "evaluation.shuffle", [True]),
])
def test_parse_sweep_option(item, key, values):
    assert parse_sweep_option(item) == (key, values)


@pytest.mark.parametrize("keys, labels", [
    ([RATE], ["rate"]),
    ([RATE, "model.layers[0].max_norm"], ["rate", "max_norm"]),
    ([RATE, "model.layers[3].rate"], ["layers1.rate", "layers3.rate"]),
    (["training.epochs", "training.optimizer.learning_rate"], ["epochs", "learning_rate"]),
    (["model.layers[2]", "evaluation.n_splits"], ["layers2", "n_splits"]),
    (["model.layers[1].rate", "x.layers1.rate"], ["model.layers1.rate", "x.layers1.rate"]),  # tails alike
])
def test_key_labels_are_the_shortest_distinct_tails(keys, labels):
    assert list(key_labels(keys).values()) == labels


@pytest.mark.parametrize("value, text, part", [
    (0.2, "0.2", "0.2"), (0.0, "0.0", "0.0"), (3, "3", "3"), (None, "null", "null"), (True, "true", "true"),
    (1e-05, "1e-05", "1e-05"), (-0.5, "-0.5", "-0.5"), ("relu", "relu", "relu"),
    ({"name": "adam", "learning_rate": 0.001}, "{name: adam, learning_rate: 0.001}", "name_adam_learning_rate_0.001"),
])
def test_values_in_tables_and_in_cell_names(value, text, part):
    assert value_text(value) == text
    assert cell_name({"k": value}, {"k": "k"}) == f"k={part}"


# --- validation ---

NOT_A_LIST = f's.yaml: sweep["{RATE}"] must be a non-empty list of values'
RATE_RANGE = "s.yaml: model.layers[1].rate must be a float in [0, 1)"
SWEEP_ERRORS = {
    "missing list item": ('{"model.layers[9].rate": [0.1]}', [],
                          's.yaml: sweep["model.layers[9].rate"]: model.layers[9] does not exist'),
    "empty list": (f'{{"{RATE}": []}}', [], f"{NOT_A_LIST}; got a list []"),
    "not a list": (f'{{"{RATE}": 0.1}}', [], f"{NOT_A_LIST}; got a float 0.1"),
    "not a key path": ('{"model..rate": [0.1]}', [], 's.yaml: sweep["model..rate"]: not a dotted key path'),
    "not a mapping": ("[0.1, 0.2]", [], "s.yaml: sweep must be a mapping of key paths to lists of values"),
    "empty mapping": ("{}", [], "s.yaml: sweep must be a mapping of key paths to lists of values"),
    "unknown key": ('{"model.layers[1].rat": [0.1]}', [],
                    "s.yaml: model.layers[1].rat is not a known key (did you mean 'rate'?)"),
    "unknown section": ('{"trainig.epochs": [1]}', [],
                        "s.yaml: trainig is not a known key (did you mean 'training'?)"),
    "value out of range": (f'{{"{RATE}": [0.1, 1.5]}}', [], f"{RATE_RANGE}; got 1.5"),
    "value of a wrong type": (f'{{"{RATE}": ["0.2"]}}', [], f"{RATE_RANGE}; got '0.2'"),
    "seed": ('{"seed": [1, 2]}', [], 's.yaml: sweep["seed"] cannot be swept: every cell keeps the base seed'),
    "name": ('{"name": [a, b]}', [], 's.yaml: sweep["name"] cannot be swept'),
    "overlap": (f'{{"{RATE}": [0.1], "model.layers[1]": [{{type: dropout, rate: 0.3}}]}}', [],
                f's.yaml: sweep["model.layers[1]"] overlaps sweep["{RATE}"]'),
    "repeated value": (f'{{"{RATE}": [0.1, 0.2, 0.1]}}', [],
                       f's.yaml: sweep["{RATE}"] lists the value 0.1 more than once'),
    "names collide": ('{"description": ["a b", "a_b"]}', [],
                      "s.yaml: sweep cells description=a b and description=a_b would share the name 'description=a_b'"),
    "cli: missing list item": (f'{{"{RATE}": [0.1]}}', ["model.layers[7].rate=0.1"],
                               's.yaml: sweep["model.layers[7].rate"]: model.layers[7] does not exist'),
    "cli: overlap": (f'{{"{RATE}": [0.1]}}', ["model.layers[1]={type: dropout, rate: 0.3}"],
                     f'sweep["model.layers[1]"] overlaps sweep["{RATE}"]'),
    "cli: no values": ('{"training.epochs": [1]}', [f"{RATE}="], f"--sweep '{RATE}=': expected KEY=V1,V2,..."),
    "cli: no key path": ('{"training.epochs": [1]}', ["rate 0.1"], "--sweep 'rate 0.1': expected KEY=V1,V2,..."),
    "cli: bad yaml": ('{"training.epochs": [1]}', [f"{RATE}=[0.1"], "the values must be YAML separated by commas"),
}


@pytest.mark.parametrize("case", sorted(SWEEP_ERRORS))
def test_sweep_errors_name_the_file_and_the_key(tmp_path, case):
    sweep, items, message = SWEEP_ERRORS[case]
    path = sweep_config(tmp_path, sweep)
    with pytest.raises(ConfigError) as error:
        expand(path, (), items)
    assert message in str(error.value)
    if not case.startswith("cli: no") and "yaml" not in case:
        assert str(error.value).startswith(f"{path}: ")


@pytest.mark.parametrize("child, keys", [
    ("training: {epochs: 1}\n", [RATE]),  # inherited
    ('sweep: {"model.layers[0].max_norm": [null, 3]}\n', ["model.layers[0].max_norm"]),  # replaced whole
    ("sweep: null\n", None),  # dropped
])
def test_a_child_config_inherits_replaces_or_drops_the_sweep(tmp_path, child, keys):
    sweep_config(tmp_path, f'{{"{RATE}": [0.0, 0.5]}}', name="parent")
    sweep = expand(write(tmp_path / "child.yaml", f"extends: parent.yaml\n{child}"))
    assert (sweep.keys if sweep else None) == keys


def test_a_sweep_config_round_trips_and_hashes_as_before_without_one(tmp_path):
    from dropout_lab.config import dump_config

    cfg = load_config(sweep_config(tmp_path, f'{{"{RATE}": [0.0, 0.5]}}'))
    assert cfg.sweep == {RATE: [0.0, 0.5]}
    again = load_config(write(tmp_path / "again.yaml", dump_config(cfg)))
    assert again == cfg
    plain = load_config(CONFIGS / "smoke.yaml")
    assert "sweep" not in plain.to_dict() and "sweep" not in dump_config(plain)


# --- reuse ---

FOLDS = pd.DataFrame({"repeat": 1, "fold": [1, 2], "split_seed": 7, "n_train": [104, 104], "n_test": [104, 104],
                      "train_accuracy": [0.9, 0.95], "test_accuracy": [0.8, 0.7]})


def _edit_info(where, **changes):
    info = json.loads((where / "run.json").read_text())
    (where / "run.json").write_text(json.dumps({**info, **changes}))


SPOILERS = {
    "a run file missing": lambda where: (where / "summary.md").unlink(),
    "another config": lambda where: _edit_info(where, config_hash="0" * 64),
    "other data": lambda where: _edit_info(where, dataset={"checksum": "def"}),
    "unreadable folds": lambda where: (where / "folds.csv").write_text("fold\n1\n"),
}


@pytest.mark.parametrize("spoiled", [None, *SPOILERS])
def test_find_done_only_a_complete_run_of_the_same_config_and_data(tmp_path, spoiled):
    cfg = expand(CONFIGS / "smoke.yaml", (), [f"{RATE}=0.3"]).cells[0].cfg
    where = write_run(tmp_path, cfg, FOLDS, {"config_hash": cfg.config_hash(), "dataset": {"checksum": "abc"}},
                      plots=False)
    if spoiled:
        SPOILERS[spoiled](where)
        assert find_done(where, cfg, "abc") is None
    else:
        assert find_done(where, cfg, "abc").folds["test_accuracy"].tolist() == [0.8, 0.7]


# --- sweep table without training ---

def test_sweep_files_pair_every_cell_with_the_first(tmp_path):
    sweep = expand(CONFIGS / "smoke.yaml", (), [f"{RATE}=0.0,0.5", "model.layers[0].max_norm=null,3"])
    folds = {cell.name: FOLDS.assign(test_accuracy=FOLDS["test_accuracy"] + 0.05 * i)
             for i, cell in enumerate(sweep.cells)}
    texts, figure = sweep_files(sweep, folds, {cell.name: "abc" for cell in sweep.cells})
    assert sorted(texts) == ["sweep.csv", "sweep.md", "sweep.yaml"] and figure is not None
    table = pd.read_csv(pd.io.common.StringIO(texts["sweep.csv"]), keep_default_na=False)
    assert table["cell"].tolist() == [c.name for c in sweep.cells]
    assert table["model.layers[0].max_norm"].astype(str).tolist() == ["null", "3", "null", "3"]
    assert table["test_mean"].tolist() == pytest.approx([0.75, 0.80, 0.85, 0.90])
    assert table["diff_vs_first"].tolist() == pytest.approx([0.0, 0.05, 0.10, 0.15])
    md = texts["sweep.md"]
    assert "| 0.5 | 3 | 2 | 0.9000 ± 0.0500 |" in md and "Highest mean test accuracy: rate=0.5,max_norm=3" in md
    assert "test diff vs rate=0.0,max_norm=null" in md and "adjusted for the 3 comparisons (Holm 1979)" in md
    assert load_config(write(tmp_path / "again.yaml", texts["sweep.yaml"])).sweep == sweep.base.sweep


def test_the_sweep_table_adjusts_its_p_values_for_the_number_of_cells():
    sweep = expand(CONFIGS / "smoke.yaml", (), [f"{RATE}=0.0,0.2,0.4"])
    frame = FOLDS.loc[[0, 1, 0, 1]].assign(fold=[1, 2, 3, 4]).reset_index(drop=True)
    gains = {"rate=0.0": [0, 0, 0, 0], "rate=0.2": [0.04, 0.01, 0.03, 0.00], "rate=0.4": [0.02, -0.01, 0.05, 0.0]}
    folds = {name: frame.assign(test_accuracy=frame["test_accuracy"] + pd.Series(gain)) for name, gain in gains.items()}
    table = pd.read_csv(pd.io.common.StringIO(sweep_files(sweep, folds, plots=False)[0]["sweep.csv"]))
    p = table["p_vs_first"].tolist()[1:]  # two comparisons: the smaller p x 2, the larger x 1 (kept monotone)
    low, high = sorted(p)
    adjusted = {low: min(1.0, 2 * low), high: max(min(1.0, 2 * low), high)}
    assert table["p_vs_first_holm"].tolist()[1:] == pytest.approx([adjusted[x] for x in p])
    assert pd.isna(table["p_vs_first_holm"][0]) and all(table["p_vs_first_holm"][1:] >= table["p_vs_first"][1:])


@pytest.mark.parametrize("items, lines", [
    ([f"{RATE}=0.0,0.5,0.6"], [None]),
    ([f"{RATE}=0.0,0.5,0.6", "model.layers[0].max_norm=null,3"], ["max_norm=null", "max_norm=3"]),
])
def test_the_sweep_plot_draws_each_lines_train_accuracy_dashed_as_the_readme_says(items, lines):
    sweep = expand(CONFIGS / "smoke.yaml", (), items)
    folds = {cell.name: FOLDS.assign(train_accuracy=FOLDS["train_accuracy"] - 0.01 * i)
             for i, cell in enumerate(sweep.cells)}
    _, figure = sweep_files(sweep, folds)
    ax = figure.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == len(lines)  # one dashed train line per line of test accuracies
    per_line = len(sweep.cells) // len(lines)  # the first key varies slowest: line j holds cells j, j + n, ...
    for j, train in enumerate(dashed):
        expected = [FOLDS["train_accuracy"].mean() - 0.01 * i for i in range(j, len(sweep.cells), len(lines))]
        assert list(train.get_ydata()) == pytest.approx(expected) and len(expected) == per_line
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    if lines == [None]:
        assert sorted(legend) == ["test (mean, 95% CI)", "train (mean)"]
    else:  # each line's colour, then what solid and dashed mean
        assert legend == [*lines, "solid: test (mean, 95% CI)", "dashed: train (mean)"]
        # in the colour of its line's test accuracies (the error bars' line)
        assert [train.get_color() for train in dashed] == [bars.lines[0].get_color() for bars in ax.containers]


def test_cells_not_on_the_same_folds_get_no_paired_columns():
    sweep = expand(CONFIGS / "smoke.yaml", (), ["evaluation.n_splits=2,3"])
    folds = {"n_splits=2": FOLDS, "n_splits=3": pd.concat([FOLDS, FOLDS[:1].assign(fold=3)], ignore_index=True)}
    texts, _ = sweep_files(sweep, folds, plots=False)
    assert "No paired differences: runs n_splits=2 and n_splits=3 were not evaluated on the same folds" in (
        texts["sweep.md"])
    assert "diff vs" not in texts["sweep.md"]


# --- the command ---

def test_run_a_sweep_then_reuse_every_cell_then_rerun_a_changed_one(sonar_env, tmp_path, monkeypatch):
    config = sweep_config(tmp_path, f'{{"{RATE}": [0.0, 0.5]}}', name="tiny_sweep")
    out = tmp_path / "out"
    result = invoke("run", config, *TINY, "-q", "--out", out)
    assert result.exit_code == 0, result.output
    where = out / "tiny_sweep"
    assert sorted(p.name for p in where.iterdir()) == ["rate=0.0", "rate=0.5", "sweep.csv", "sweep.md", "sweep.png",
                                                       "sweep.yaml"]
    for cell in ("rate=0.0", "rate=0.5"):
        assert set(RUN_FILES) <= {p.name for p in (where / cell).iterdir()}
        assert load_config(where / cell / "config.yaml").model.layers[1].rate == float(cell[5:])
    assert (where / "sweep.png").read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(where / "sweep.csv")
    assert table["cell"].tolist() == ["rate=0.0", "rate=0.5"] and table["runs"].tolist() == [2, 2]
    assert "| 0.5 | 2 |" in (where / "sweep.md").read_text() and "rate=0.0: " in result.stdout
    before = {cell: (where / cell / "run.json").read_bytes() for cell in ("rate=0.0", "rate=0.5")}

    calls = count_trained_runs(monkeypatch)
    again = invoke("run", config, *TINY, "-q", "--no-plots", "--out", out)
    assert again.exit_code == 0, again.output
    assert calls == []  # nothing trained
    for cell in before:
        assert f"{cell}: already done, reusing {where / cell}" in again.stdout
        assert (where / cell / "run.json").read_bytes() == before[cell]
    assert pd.read_csv(where / "sweep.csv").equals(table)

    info = json.loads((where / "rate=0.5" / "run.json").read_text())
    (where / "rate=0.5" / "run.json").write_text(json.dumps({**info, "config_hash": "from another config"}))
    third = invoke("run", config, *TINY, "-q", "--no-plots", "--out", out)
    assert third.exit_code == 0, third.output
    assert calls == ["rate=0.5"] and "rate=0.0: already done" in third.stdout
    assert "rate=0.5: already done" not in third.stdout
    fresh = json.loads((where / "rate=0.5" / "run.json").read_text())["config_hash"]
    assert fresh == info["config_hash"] and (where / "rate=0.0" / "run.json").read_bytes() == before["rate=0.0"]


def test_sweep_errors_stop_the_command_before_anything_is_written(sonar_env, tmp_path):
    out = tmp_path / "out"
    result = invoke("run", CONFIGS / "smoke.yaml", "--sweep", "model.layers[1].rate=0.1,1.5", "--out", out)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.strip() == (f"Error: {CONFIGS / 'smoke.yaml'}: model.layers[1].rate must be a float "
                                     "in [0, 1); got 1.5")
    twin = write(tmp_path / "twin.yaml", f"{BASE}name: smoke\n")
    result = invoke("run", CONFIGS / "smoke.yaml", twin, "--sweep", f"{RATE}=0.1", "--out", out)
    assert result.exit_code == 1 and "name 'smoke' is used by more than one config" in result.stderr


def test_a_sweep_refuses_a_directory_holding_a_single_run(sonar_env, tmp_path):
    write(tmp_path / "out" / "smoke" / "run.json", "{}")
    result = invoke("run", CONFIGS / "smoke.yaml", "--sweep", f"{RATE}=0.1", "--out", tmp_path / "out")
    assert result.exit_code == 1 and "holds the results of a single run, not a sweep" in result.stderr


def test_validate_checks_every_cell(sonar_env):
    result = invoke("validate", CONFIGS / "sonar_rate_sweep.yaml")
    assert result.exit_code == 0, result.output
    assert "sweep: 6 cells, each ok: rate=0.0; rate=0.1; rate=0.2; rate=0.3; rate=0.4; rate=0.5" in result.output


@pytest.mark.parametrize("config, cells, protocol", [
    ("sonar_rate_sweep.yaml", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5], "kfold"),
    ("circles_rate_sweep.yaml", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], "holdout"),
])
def test_shipped_sweeps(config, cells, protocol):
    sweep = expand(CONFIGS / config)
    assert [c.cfg.model.layers[1].rate for c in sweep.cells] == cells
    assert all(c.cfg.evaluation.protocol == protocol for c in sweep.cells)
    assert "grid search the dropout rate" in sweep.base.description


@pytest.mark.parametrize("item, where", [
    (f"{RATE}=0.1,", "the last of the 2"),
    (f"{RATE}=0.1,,0.2", "value 2 of the 3"),
    (f"{RATE}=,0.1", "value 1 of the 2"),
    ("training.optimizer={name: adam, learning_rate: 0.1},", "the last of the 2"),
])
def test_an_empty_sweep_value_is_an_error(item, where):
    with pytest.raises(ConfigError) as err:
        parse_sweep_option(item)
    assert str(err.value) == (f"--sweep {item!r}: {where} comma-separated values is empty; "
                              "remove the extra comma (write null for a null value)")
    assert parse_sweep_option(f"{RATE}=null,0.1")[1] == [None, 0.1]
    assert parse_sweep_option("training.optimizer={name: adam, beta_1: 0.8},{name: sgd}")[1] == [
        {"name": "adam", "beta_1": 0.8}, {"name": "sgd"}]


def test_a_swept_csv_path_from_the_command_line_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert parse_sweep_option("data.path=a.csv,sub/b.csv") == (
        "data.path", [str(tmp_path / "a.csv"), str(tmp_path / "sub" / "b.csv")])


@pytest.mark.parametrize("engine", ["fused", "scikeras"])
def test_a_sweep_over_a_schedule_parameter_runs_end_to_end(sonar_env, tmp_path, engine):
    """`--sweep training.optimizer.learning_rate.decay_rate=...` on a config whose rate
    decays: one cell per value, each training with its own schedule (on either engine)."""
    lr = "{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 2, decay_rate: 0.5}"
    out = tmp_path / "out"
    one_split = "evaluation={protocol: holdout, train_fraction: 0.5, shuffle: true, history: false}"
    result = invoke("run", CONFIGS / "smoke.yaml", *TINY, "--set", one_split, "--engine", engine, "-q", "--no-plots",
                    "--out", out,
                    "--set", f"training.optimizer.learning_rate={lr}",
                    "--sweep", "training.optimizer.learning_rate.decay_rate=0.01,0.99")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "smoke" / "sweep.csv")
    assert table["cell"].tolist() == ["decay_rate=0.01", "decay_rate=0.99"]
    for cell, rate in (("decay_rate=0.01", 0.01), ("decay_rate=0.99", 0.99)):
        schedule = load_config(out / "smoke" / cell / "config.yaml").training.optimizer.learning_rate
        assert (schedule.schedule, schedule.decay_rate, schedule.decay_steps) == ("exponential_decay", rate, 2)
    folds = [pd.read_csv(out / "smoke" / c / "folds.csv") for c in table["cell"]]
    assert not folds[0]["test_loss"].equals(folds[1]["test_loss"])  # the decay rate mattered


def test_a_fused_sweep_compiles_one_program_for_all_its_cells(sonar_env, tmp_path):
    from dropout_lab.engines import fused

    before = fused.trace_count()
    result = invoke("run", CONFIGS / "smoke.yaml", "--engine", "fused", "--sweep", "model.layers[1].rate=0.0,0.2,0.4",
                    "--set", "training.batch_size=11", "--out", tmp_path, "--no-plots", "-q")  # batch 11: a new program
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "smoke").glob("*/folds.csv"))) == 3
    assert fused.trace_count() - before == 1  # three cells, one program
