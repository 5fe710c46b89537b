"""tune's search spaces and its bad input: each problem one Error line before anything trains."""

import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config.search_rules import Space, parse_space
from dropout_lab.errors import ConfigError
from dropout_lab.tune import parse_search_option, plan_search

from .conftest import CONFIGS, write

SMOKE = str(CONFIGS / "smoke.yaml")
RATE = "model.layers[1].rate"


@pytest.mark.parametrize("text, space", [
    ("float(0.0, 0.7)", Space("float", 0.0, 0.7)),
    ("log(1e-4, 1e-1)", Space("log", 1e-4, 1e-1)),
    ("int(8, 256)", Space("int", 8, 256)),
    ([None, 2, 3], Space("choice", choices=(None, 2, 3))),
])
def test_spaces_are_written_like_sweep_values(text, space):
    assert parse_space(text) == space


def test_a_search_option_takes_a_range_or_choices():
    assert parse_search_option(f"{RATE}=float(0.0, 0.7)") == (RATE, "float(0.0, 0.7)")
    assert parse_search_option("model.layers[0].max_norm=null,2,3") == ("model.layers[0].max_norm", [None, 2, 3])
    assert parse_search_option("training.optimizer=[{name: adam}, {name: sgd}]")[1] == [{"name": "adam"},
                                                                                         {"name": "sgd"}]


def test_a_config_may_carry_a_search_section_and_the_option_replaces_its_entry(tmp_path):
    config = write(tmp_path / "s.yaml", f"extends: {SMOKE}\nsearch:\n  {RATE}: float(0.0, 0.5)\n"
                                        "  model.layers[0].units: int(8, 32)\n")
    search = plan_search(config, items=[f"{RATE}=0.1,0.2"])
    assert search.spaces == {RATE: Space("choice", choices=(0.1, 0.2)), "model.layers[0].units": Space("int", 8, 32)}
    assert search.base.search is None
    assert search.baseline_values() is None  # its 60 units are not in int(8, 32): no baseline trial
    cfg, _ = search.trial({RATE: 0.1, "model.layers[0].units": 9}, "trial_0001")
    assert (cfg.name, cfg.model.layers[1].rate, cfg.model.layers[0].units, cfg.search) == ("trial_0001", 0.1, 9, None)


def test_the_baseline_is_the_first_trial_when_its_values_lie_in_the_spaces():
    search = plan_search(SMOKE, items=[f"{RATE}=float(0.0, 0.7)", "model.layers[0].max_norm=null,2,3"])
    assert search.baseline_values() == {RATE: 0.2, "model.layers[0].max_norm": 3}  # 3 as listed, not 3.0


BAD = {
    "unknown key": ([f"{RATE[:-1]}=float(0.0, 0.5)"],
                    'smoke.yaml: search["model.layers[1].rat"] is not a key of the config: model.layers[1].rat is '
                    "not a known key (did you mean 'rate'?); valid keys: type, rate"),
    "missing layer": (["model.layers[9].rate=float(0.0, 0.5)"],
                      'smoke.yaml: search["model.layers[9].rate"]: model.layers[9] does not exist'),
    "empty range": ([f"{RATE}=float(0.5, 0.5)"],
                    f'smoke.yaml: search["{RATE}"] is an empty range: LOW and HIGH are both 0.5 in '
                    "'float(0.5, 0.5)'; give a range, or set the value"),
    "inverted range": ([f"{RATE}=float(0.6, 0.1)"],
                       f'smoke.yaml: search["{RATE}"] is an inverted range: LOW 0.6 is above HIGH 0.1 in '
                       "'float(0.6, 0.1)'"),
    "rate up to 1.5": ([f"{RATE}=float(0.0, 1.5)"],
                       f'smoke.yaml: search["{RATE}"] = float(0.0, 1.5) reaches 1.5: {RATE} must be a float in '
                       "[0, 1); got 1.5"),
    "a choice out of range": (["model.layers[0].max_norm=null,2,-3"],
                              'smoke.yaml: search["model.layers[0].max_norm"] = [null, 2, -3] lists -3: '
                              "model.layers[0].max_norm must be a float > 0 or null; got -3"),
    "units from 0": (["model.layers[0].units=int(0, 8)"],
                     'smoke.yaml: search["model.layers[0].units"] = int(0, 8) reaches 0: model.layers[0].units '
                     "must be an integer >= 1; got 0"),
    "log from 0": (["training.optimizer.learning_rate=log(0, 0.1)"],
                   'smoke.yaml: search["training.optimizer.learning_rate"] is a log range, so LOW must be above 0; '
                   "got 'log(0, 0.1)'"),
    "not a space": ([f"{RATE}=uniform(0, 1)"],
                    f'smoke.yaml: search["{RATE}"] must be float(LOW, HIGH), log(LOW, HIGH), int(LOW, HIGH) or a '
                    "list of values; got a string 'uniform(0, 1)'"),
    "the seed": (["seed=int(1, 5)"],
                 'smoke.yaml: search["seed"] cannot be searched: every trial keeps the base seed, so that all trials '
                 "are scored on the same folds"),
    "nothing to search": ([], "smoke.yaml: nothing to search; give --search KEY=SPACE, e.g. --search "
                              "'model.layers[1].rate=float(0.0, 0.7)', or a search: section"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_error_line_before_anything_is_written(tmp_path, case):
    items, message = BAD[case]
    args = [arg for item in items for arg in ("--search", item)]
    result = CliRunner().invoke(main, ["tune", SMOKE, *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"Error: {CONFIGS / message}"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option, value, message", [
    ("--trials", "0", "Error: Expected trials to be a whole number >= 1. Received: trials=0"),
    ("--batch", "0", "Error: Expected batch to be a whole number >= 1. Received: batch=0"),
    ("--confirm-repeats", "-1", "Error: Expected confirm_repeats to be a whole number >= 0. Received: "
                                "confirm_repeats=-1"),
])
def test_bad_counts_are_one_error_line(tmp_path, option, value, message):
    result = CliRunner().invoke(main, ["tune", SMOKE, "--search", f"{RATE}=float(0.0, 0.5)", option, value,
                                       "--out", str(tmp_path / "out")])
    assert (result.exit_code, result.output.strip()) == (1, message)
    assert not (tmp_path / "out").exists()


def test_a_config_with_a_sweep_is_refused():
    with pytest.raises(ConfigError, match="has a sweep; tune searches one config"):
        plan_search(CONFIGS / "sonar_rate_sweep.yaml", items=[f"{RATE}=float(0.0, 0.5)"])


def test_a_search_section_round_trips_and_a_config_without_one_hashes_as_before(tmp_path):
    from dropout_lab.config import dump_config, load_config

    config = write(tmp_path / "s.yaml", f"extends: {SMOKE}\nsearch:\n  {RATE}: float(0.0, 0.5)\n")
    cfg = load_config(config)
    assert cfg.search == {RATE: "float(0.0, 0.5)"}
    assert load_config(write(tmp_path / "again.yaml", dump_config(cfg))) == cfg
    plain = load_config(SMOKE)
    assert "search" not in plain.to_dict() and cfg.model_copy(update={"search": None, "name": "smoke"}
                                                             ).config_hash() == plain.config_hash()
