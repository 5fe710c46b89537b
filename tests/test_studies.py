"""The shipped CNN and RNN dropout studies on digits (``make digits-studies``): every config
runs end to end on tiny settings, ``validate`` prints its layers' shapes, and each family
shares its baseline's seed and folds so that ``compare`` pairs the runs fold by fold."""

import io

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config

from .conftest import CONFIGS

TINY = ["--set", "training.epochs=2", "--set", "evaluation.n_splits=3"]
CLASSIFIER = ["digits_cnn_baseline", "digits_cnn"]
CNN = ["digits_cnn_dropout_none", "digits_cnn_dropout", "digits_cnn_dropout_spatial", "digits_cnn_dropout_both"]
LSTM = ["digits_lstm", "digits_lstm_dropout", "digits_lstm_input_dropout", "digits_lstm_variational"]
SWEEP = "digits_cnn_spatial_sweep"
RATES = ["rate=0.0", "rate=0.1", "rate=0.2", "rate=0.3", "rate=0.5"]

# config: each layer's (Keras class, output shape) as `validate` prints them, after the reshape of the rows
SHAPES = {
    "digits_cnn": [("Conv2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"), ("Conv2D", "(4, 4, 64)"),
                   ("MaxPooling2D", "(2, 2, 64)"), ("Flatten", "(256,)"), ("Dense", "(128,)"),
                   ("Dropout", "(128,)"), ("Dense", "(10,)")],
    "digits_cnn_baseline": [("Conv2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"), ("Conv2D", "(4, 4, 64)"),
                            ("MaxPooling2D", "(2, 2, 64)"), ("Flatten", "(256,)"), ("Dense", "(128,)"),
                            ("Dense", "(10,)")],
    "digits_cnn_dropout_none": [("Conv2D", "(8, 8, 32)"), ("Conv2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"),
                                ("Flatten", "(512,)"), ("Dense", "(10,)")],
    "digits_cnn_dropout": [("Conv2D", "(8, 8, 32)"), ("Conv2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"),
                           ("Dropout", "(4, 4, 32)"), ("Flatten", "(512,)"), ("Dense", "(10,)")],
    "digits_cnn_dropout_spatial": [("Conv2D", "(8, 8, 32)"), ("Conv2D", "(8, 8, 32)"),
                                   ("SpatialDropout2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"),
                                   ("Flatten", "(512,)"), ("Dense", "(10,)")],
    "digits_cnn_dropout_both": [("Conv2D", "(8, 8, 32)"), ("Conv2D", "(8, 8, 32)"),
                                ("SpatialDropout2D", "(8, 8, 32)"), ("MaxPooling2D", "(4, 4, 32)"),
                                ("Dropout", "(4, 4, 32)"), ("Flatten", "(512,)"), ("Dense", "(10,)")],
    SWEEP: [("Conv2D", "(8, 8, 32)"), ("Conv2D", "(8, 8, 32)"), ("SpatialDropout2D", "(8, 8, 32)"),
            ("MaxPooling2D", "(4, 4, 32)"), ("Flatten", "(512,)"), ("Dense", "(10,)")],
    "digits_lstm": [("LSTM", "(32,)"), ("Dense", "(10,)")],
    "digits_lstm_dropout": [("LSTM", "(32,)"), ("Dropout", "(32,)"), ("Dense", "(10,)")],
    "digits_lstm_input_dropout": [("Dropout", "(8, 8)"), ("LSTM", "(32,)"), ("Dense", "(10,)")],
    "digits_lstm_variational": [("LSTM", "(32,)"), ("Dense", "(10,)")],
}


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _printed_layers(output: str, name: str) -> list[tuple[str, str]]:
    """(Keras class, output shape) of each layer `validate` printed for config ``name``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{name}: ok"))
    rows = []
    for line in lines[start + 3:]:
        if line.strip().startswith("total parameters"):
            return rows
        words = line.split()
        shape = line[line.index("("):line.index(")") + 1]
        rows.append((words[1], shape))
    raise AssertionError(f"no parameter total for {name}")


def test_every_study_config_is_shipped_with_its_description():
    for name in SHAPES:
        cfg = load_config(CONFIGS / f"{name}.yaml")
        assert cfg.data.dataset == "digits" and cfg.training.engine == "scikeras"
        assert "tutorial" in cfg.description
    # each family shares its baseline's seed, data, training and folds: only the layers differ
    for family in (CLASSIFIER, CNN, LSTM):
        base = load_config(CONFIGS / f"{family[0]}.yaml")
        for name in family[1:]:
            cfg = load_config(CONFIGS / f"{name}.yaml")
            assert (cfg.seed, cfg.data, cfg.training, cfg.evaluation) == (
                base.seed, base.data, base.training, base.evaluation)
            assert cfg.model != base.model


def _validate_prints_layer_shapes(names):
    result = invoke("validate", *(CONFIGS / f"{name}.yaml" for name in names))
    assert result.exit_code == 0, result.output
    for name in names:
        assert _printed_layers(result.output, name) == [("Reshape", "(8, 8, 1)" if "cnn" in name else "(8, 8)"),
                                                          *SHAPES[name]], name
    return result.output


def test_validate_prints_a_cnn_and_an_lstm_studys_layer_shapes():
    """The fast cover of the test below: one study of each kind (validate builds each layer)."""
    output = _validate_prints_layer_shapes(["digits_cnn_dropout_both", "digits_lstm_variational"])
    assert "sample shape (8, 8, 1)" in output and "sample shape (8, 8))" in output


@pytest.mark.slow
def test_validate_prints_each_study_configs_layer_shapes():
    output = _validate_prints_layer_shapes(list(SHAPES))  # the sweep among them
    assert f"sweep: 5 cells, each ok: {'; '.join(RATES)}" in output


def test_a_study_trains_on_its_view_of_the_digits(tmp_path):
    """The fast cover of the slow test below: the CNN with both dropouts (spatial, then
    standard) on 8x8 images learns above the 1/10 chance in 2 epochs on 2 folds. (An LSTM with input
    and recurrent dropout trains on flat rows in test_evaluation.py; validate builds every study above.)"""
    name = "digits_cnn_dropout_both"
    result = invoke("run", CONFIGS / f"{name}.yaml", *TINY, "--set", "evaluation.n_splits=2", "--no-plots", "-q",
                    "--out", tmp_path)
    assert result.exit_code == 0, result.output
    folds = pd.read_csv(tmp_path / name / "folds.csv")
    assert len(folds) == 2 and folds["n_test"].sum() == 1797
    assert folds["test_accuracy"].mean() > 0.2


@pytest.mark.slow
def test_every_study_runs_and_each_family_pairs_with_its_baseline(tmp_path):
    """All the studies in one run (2 epochs, 3 folds) on the fused engine, as `make
    digits-studies` trains them: each learns (above the 1/10 chance), and compare pairs each
    family's variants with its no-dropout baseline.  The sweep runs its ends (rates 0.0 and
    0.5) to save time; validate checks all its cells.  (The SciKeras engine trains a study's
    CNN in test_a_study_trains_on_its_view_of_the_digits, and CNNs and LSTMs with dropout in
    test_evaluation.py.)"""
    configs = [*CLASSIFIER, *CNN, *LSTM, SWEEP]
    ends = [RATES[0], RATES[-1]]
    result = invoke("run", *(CONFIGS / f"{name}.yaml" for name in configs[:-1]), *TINY, "--engine", "fused",
                    "--no-plots", "-q", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    swept = invoke("run", CONFIGS / f"{SWEEP}.yaml", *TINY, "--engine", "fused", "--sweep",
                   "model.layers[2].rate=0.0,0.5", "--no-plots", "-q", "--out", tmp_path)
    assert swept.exit_code == 0, swept.output
    runs = [tmp_path / name for name in configs[:-1]] + [tmp_path / SWEEP / rate for rate in ends]
    for run in runs:
        folds = pd.read_csv(run / "folds.csv")
        assert len(folds) == 3 and folds["n_test"].sum() == 1797, run
        assert folds["test_accuracy"].mean() > 0.2, run
    assert len(pd.read_csv(tmp_path / SWEEP / "sweep.csv")) == len(ends)
    for family in (CLASSIFIER, CNN, LSTM):
        compared = invoke("compare", *(tmp_path / name for name in family), "--against", family[0],
                          "--format", "csv")
        assert compared.exit_code == 0, compared.output
        table = pd.read_csv(io.StringIO(compared.stdout))
        pairs = sorted(zip(table["run_a"], table["run_b"], strict=True))
        assert pairs == sorted((family[0], name) for name in family[1:])
        assert set(table["folds"]) == {3}
