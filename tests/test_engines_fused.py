"""The fused engine as an engine (engines/fused/adapter.py, support.py, grouping.py):
train_tasks and train_runs, what it trains and refuses, XLA's policy, sweeps."""

import numpy as np
import pandas as pd
import pytest
from pydantic import ConfigDict

from dropout_lab.config import DenseLayer, SGDConfig, load_config
from dropout_lab.data import load_dataset
from dropout_lab.engines import Task, architecture_key, check_supported, fused, train_tasks
from dropout_lab.errors import ConfigError
from dropout_lab.evaluation import evaluate
from dropout_lab.splits import derive_seed, splits

from ._fused import (  # noqa: F401  (seeded_keras: an autouse fixture)
    NOISE_LAYERS,
    OUTPUT,
    SCORES,
    blobs_k,
    dense,
    experiment,
    multiclass,
    seeded_keras,
    task,
    task_k,
)
from .conftest import CONFIGS


def test_softmax_learns_a_four_class_problem():
    cfg = multiclass([dense(16), dense(4, "softmax")], {"name": "adam", "learning_rate": 0.02},
                     "sparse_categorical_crossentropy", epochs=40, batch_size=16)
    rows = train_tasks([task_k(cfg, 300, n_test=200, seed=s) for s in (1, 2)])
    for row in rows:
        assert row["test_accuracy"] > 0.8 and row["test_proba"].shape == (200, 4)
        assert row["test_accuracy"] == pytest.approx(row["test_balanced_accuracy"], abs=0.1)


def test_standardize_fits_each_models_own_training_part():
    cfg = experiment([dense(5), OUTPUT], {"name": "adam", "learning_rate": 0.01}, epochs=2, standardize=True)
    raw = task(cfg, n_train=30, seed=3)
    X_train = raw.X_train * 5 + 2
    X_test = raw.X_test * 5 + 2
    mean, std = X_train.mean(0), X_train.std(0)
    scaled = Task(cfg.model_copy(update={"evaluation": cfg.evaluation.model_copy(update={"standardize": False})}),
                  (X_train - mean) / std, raw.y_train, (X_test - mean) / std, raw.y_test, seed=3)
    a, b = train_tasks([Task(cfg, X_train, raw.y_train, X_test, raw.y_test, seed=3), scaled])
    for key in SCORES:
        assert a[key] == pytest.approx(b[key], rel=1e-4)


# --- API ---

def test_deterministic_and_seeded():
    cfg = experiment([dense(6), {"type": "dropout", "rate": 0.2}, OUTPUT], {"name": "sgd", "momentum": 0.9}, epochs=3)
    tasks = [task(cfg, 30, seed=s) for s in (1, 2)]
    first, again = train_tasks(tasks, history=True), train_tasks(tasks, history=True)
    for a, b in zip(first, again, strict=True):
        assert {k: a[k] for k in SCORES} == {k: b[k] for k in SCORES}
        assert a["history"].equals(b["history"])
    assert first[0]["history"]["loss"].tolist() != first[1]["history"]["loss"].tolist()  # seeds matter


def test_groups_by_architecture_and_keeps_order():
    sgd, adam = {"name": "sgd"}, {"name": "adam"}
    a = experiment([dense(6), OUTPUT], sgd)
    b = experiment([dense(6, max_norm=2.0), {"type": "dropout", "rate": 0.1}, OUTPUT], sgd)
    b_no_dropout = experiment([dense(6), {"type": "dropout", "rate": 0.0}, OUTPUT], {"name": "sgd", "momentum": 0.5})
    c = experiment([dense(6), OUTPUT], adam)
    assert architecture_key(b) == architecture_key(b_no_dropout) != architecture_key(a) != architecture_key(c)
    tasks = [task(cfg, 20 + i, seed=i) for i, cfg in enumerate((a, b, c, b_no_dropout))]
    rows = train_tasks(tasks)
    assert [r["n_train"] for r in rows] == [20, 21, 22, 23]
    for t, row in zip(tasks, rows, strict=True):  # the same numbers as when trained alone
        alone = train_tasks([t])[0]
        assert {k: row[k] for k in SCORES} == {k: alone[k] for k in SCORES}


def test_learns_a_separable_problem():
    cfg = experiment([dense(8), OUTPUT], {"name": "adam", "learning_rate": 0.01}, epochs=40, batch_size=16)
    rows = train_tasks([task(cfg, 150, n_test=100, seed=s) for s in (1, 2)], history=True)
    for row in rows:
        assert row["test_accuracy"] > 0.9 and row["train_accuracy"] > 0.9
        curve = row["history"]
        assert curve["loss"].iloc[-1] < 0.5 * curve["loss"].iloc[0]
        assert curve["val_accuracy"].iloc[-1] == pytest.approx(row["test_accuracy"])


class _FutureSGD(SGDConfig):
    """A schema a later version may have: an SGD option this engine does not implement."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weight_decay: float | None = None


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda c: {"model": c.model.model_copy(update={"layers": [DenseLayer.model_construct(
            type="dense", units=1, activation="gelu", max_norm=None, kernel_initializer="glorot_uniform")]})},
         "model.layers[0].activation 'gelu'"),
        (lambda c: {"model": c.model.model_copy(update={"layers": [*c.model.layers[:1], DenseLayer.model_construct(
            type="batch_norm", units=1, activation="sigmoid"), *c.model.layers[1:]]})},
         "model.layers[1].type 'batch_norm'"),
        (lambda c: {"model": c.model.model_copy(update={"layers": [DenseLayer.model_construct(
            type="dense", units=1, activation="relu", max_norm=None, kernel_initializer="glorot_uniform")]})},
         "the output must be dense: 1 unit with sigmoid, or K units with softmax"),
        (lambda c: {"training": c.training.model_copy(update={"loss": "hinge"})}, "training.loss 'hinge'"),
        (lambda c: {"training": c.training.model_copy(update={"loss": "categorical_crossentropy"})},
         "training.loss 'categorical_crossentropy' is not supported by the fused engine with a sigmoid output"),
        (lambda c: {"training": c.training.model_copy(update={"optimizer": SGDConfig.model_construct(name="adagrad")})},
         "training.optimizer.name 'adagrad'"),
        (lambda c: {"training": c.training.model_copy(update={"optimizer": _FutureSGD(name="sgd", weight_decay=0.01)})},
         "training.optimizer.weight_decay = 0.01"),
    ],
)
def test_unsupported_configs_are_refused(change, named):
    cfg = experiment([dense(4), OUTPUT], {"name": "sgd"})
    check_supported(cfg)
    check_supported(cfg.model_copy(update={"training": cfg.training.model_copy(
        update={"optimizer": _FutureSGD(name="sgd")})}))  # an unknown option left at its default is fine
    bad = cfg.model_copy(update=change(cfg))
    with pytest.raises(ConfigError) as err:
        check_supported(bad)
    assert named in str(err.value) and "training.engine: scikeras" in str(err.value)
    with pytest.raises(ConfigError):
        train_tasks([task(bad, 10)])


def test_malformed_task_data_is_refused():
    cfg = experiment([dense(4), OUTPUT], {"name": "sgd"})
    good = task(cfg, 10)
    with pytest.raises(ValueError, match="class indices 0..1 only"):
        train_tasks([good, Task(cfg, good.X_train, good.y_train + 1, good.X_test, good.y_test, 1)])
    with pytest.raises(ValueError, match="same non-zero length"):
        train_tasks([Task(cfg, good.X_train, good.y_train[:5], good.X_test, good.y_test, 1)])


def test_the_engine_refuses_samples_that_are_not_flat():
    from dropout_lab.data import Dataset

    cfg = multiclass([dense(4), dense(3, "softmax")], {"name": "sgd"}, "categorical_crossentropy")
    X, y = blobs_k(12, 3)
    flat = Dataset("t", X, y, "-", "-", classes=("a", "b", "c"))
    image = Dataset("t", X, y, "-", "-", classes=("a", "b", "c"), input_shape=(2, 2))
    assert fused.supports(cfg, flat) and not fused.supports(cfg, image)
    with pytest.raises(ConfigError, match=r"data input_shape \(2, 2\) is not supported by the fused engine"):
        fused.check(cfg, image)


# --- a real outcome on the Sonar data ---

@pytest.mark.slow  # fast cover: test_engines_fused_program's per-step equality with Keras
def test_sonar_baseline_close_to_the_scikeras_engine(sonar_dir):
    """3 folds x 15 epochs (the SciKeras side takes ~10 s).  Over six split seeds the two
    engines' means differed by 0.026 (sd), with no sign of a bias; here 0.83 vs 0.78."""
    cfg = load_config(CONFIGS / "sonar_baseline.yaml", ["evaluation.n_splits=3", "training.epochs=15"])
    data = load_dataset(cfg.data, sonar_dir)
    X, y = data.X.astype("float32"), data.y
    tasks = [Task(cfg, X[tr], y[tr], X[te], y[te], derive_seed(cfg.seed, k))
             for k, (tr, te) in enumerate(splits(cfg, y), start=1)]
    rows = train_tasks(tasks)
    ours = np.mean([r["test_accuracy"] for r in rows])
    theirs = evaluate(cfg, data).folds["test_accuracy"].mean()
    assert 0.7 <= ours <= 0.95
    assert abs(ours - theirs) <= 0.08, (ours, theirs)
    assert [r["n_test"] for r in rows] == [70, 69, 69]
    assert all(r["train_accuracy"] > 0.9 for r in rows)


def test_the_runner_dispatches_to_the_fused_engine_with_history(sonar_env, tmp_path):
    """`training.engine: fused` through the CLI: the same tables, plus history for holdout."""
    from click.testing import CliRunner

    from dropout_lab.cli import main

    args = ["run", str(CONFIGS / "circles_dropout.yaml"), "--engine", "fused", "--repeats", "2",
            "--set", "training.epochs=20", "--no-plots", "--out", str(tmp_path), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    history = pd.read_csv(tmp_path / "circles_dropout" / "history.csv")
    assert len(history) == 2 * 20 and list(history["epoch"][:3]) == [1, 2, 3]
    assert set(history.columns) >= {"repeat", "fold", "train_accuracy", "test_accuracy"}
    folds = pd.read_csv(tmp_path / "circles_dropout" / "folds.csv")
    assert list(folds["n_train"]) == [30, 30] and list(folds["n_test"]) == [70, 70]
    again = CliRunner().invoke(main, [*args[:-3], "--out", str(tmp_path / "again"), "-q"])
    assert again.exit_code == 0
    pd.testing.assert_frame_equal(folds.drop(columns="fit_seconds"), pd.read_csv(
        tmp_path / "again" / "circles_dropout" / "folds.csv").drop(columns="fit_seconds"))



# every registered layer kind: the least config that has it (the fused engine trains the
# first group, refuses the second by name)
FUSED_KINDS = {
    "dense": dense(3), "dropout": {"type": "dropout", "rate": 0.1}, **NOISE_LAYERS, "flatten": {"type": "flatten"},
    "conv1d": {"type": "conv1d", "filters": 2, "kernel_size": 2},
    "conv2d": {"type": "conv2d", "filters": 2, "kernel_size": 2},
    **{kind: {"type": kind} for kind in ("max_pooling1d", "max_pooling2d", "average_pooling1d", "average_pooling2d",
                                          "global_average_pooling1d", "global_average_pooling2d")},
    "lstm": {"type": "lstm", "units": 2},
    "gru": {"type": "gru", "units": 2},
    "spatial_dropout1d": {"type": "spatial_dropout1d", "rate": 0.1},
    "spatial_dropout2d": {"type": "spatial_dropout2d", "rate": 0.1},
    "batch_normalization": {"type": "batch_normalization", "momentum": 0.9, "epsilon": 0.01},
}


def test_every_layer_kind_is_either_trained_or_refused_by_the_fused_engine():
    from dropout_lab.layers import LAYERS

    assert set(FUSED_KINDS) == set(LAYERS) == set(fused.support.LAYER_KINDS)
    assert fused.support.REFUSED_KINDS == ()
    for spec in FUSED_KINDS.values():
        check_supported(experiment([spec, OUTPUT], {"name": "sgd"}))


@pytest.mark.parametrize("kind", ["batch_normalization", "lstm"])
def test_kinds_without_the_fused_capability_are_refused_by_name(monkeypatch, kind):
    """The rule, with a kind taken out of the registry's fused kinds: refused by name."""
    monkeypatch.setattr(fused.support, "LAYER_KINDS", tuple(k for k in fused.support.LAYER_KINDS if k != kind))
    monkeypatch.setattr(fused.support, "REFUSED_KINDS", (kind,))
    cfg = experiment([dense(4), FUSED_KINDS[kind], OUTPUT], {"name": "sgd"})
    with pytest.raises(ConfigError) as err:
        check_supported(cfg)
    # fewer than those it trains: named instead
    assert f"model.layers[1].type {kind!r} is not supported by the fused engine (it trains every layer type but " \
           f"{kind})" in str(err.value)
    assert str(err.value).endswith("use the SciKeras engine (`training.engine: scikeras`)")


# --- training.xla: the switch, its default, and auto ---

def test_xla_at_its_default_auto_leaves_the_config_text_and_hash_unchanged():
    import json

    from .conftest import ROOT

    cfg = load_config(CONFIGS / "smoke.yaml")
    assert cfg.training.xla == "auto" and "xla" not in cfg.to_dict()["training"]
    assert cfg.config_hash() == json.loads((ROOT / "reference" / "smoke" / "run.json").read_text())["config_hash"]
    for value in (True, False):
        fixed = load_config(CONFIGS / "smoke.yaml", [f"training.xla={str(value).lower()}"])
        assert fixed.to_dict()["training"]["xla"] is value and fixed.config_hash() != cfg.config_hash()


def test_xla_must_be_true_false_or_auto():
    with pytest.raises(ConfigError, match=r"training\.xla must be true, false or auto; got 'fast'"):
        load_config(CONFIGS / "smoke.yaml", ["training.xla=fast"])


def test_scikeras_engine_refuses_xla(sonar_env):
    from dropout_lab.engines import scikeras

    cfg = load_config(CONFIGS / "smoke.yaml", ["training.xla=true"])
    with pytest.raises(ConfigError, match="training.xla = true is for the fused engine"):
        scikeras.check(cfg, load_dataset(cfg.data))
    scikeras.check(load_config(CONFIGS / "smoke.yaml", ["training.xla=auto"]), load_dataset(cfg.data))


@pytest.mark.parametrize("overrides, expected", [
    (["training.xla=false", "training.epochs=4000"], False),
    (["training.xla=true", "training.epochs=2"], True),
    (["training.xla=auto", "training.epochs=2"], False),  # 3 models x 2 epochs: the compile is not repaid
    (["training.xla=auto", "training.epochs=300", "evaluation.n_splits=10"], True),  # the Sonar study's work
])
def test_use_xla_resolves_auto_by_the_runs_work(sonar_env, overrides, expected):
    from dropout_lab.provenance import uses_xla

    cfg = load_config(CONFIGS / "smoke.yaml", ["training.engine=fused", *overrides])
    dataset = load_dataset(cfg.data)
    assert fused.use_xla(cfg, dataset) is expected and uses_xla(cfg, dataset) is expected
    assert uses_xla(cfg.model_copy(update={"training": cfg.training.model_copy(update={"engine": "scikeras"})}),
                    dataset) is False


@pytest.mark.parametrize("name", ["digits_cnn_dropout_spatial", "digits_lstm_variational"])
def test_auto_keeps_conv_and_recurrent_nets_in_graph_mode(name):
    """Graph mode trained the digits CNN (grouped convolutions) and LSTM faster than XLA,
    compile included (docs/studies/fused-cnn-rnn.md): auto keeps them there, though their
    work is past XLA_AUTO_WORK."""
    cfg = load_config(CONFIGS / f"{name}.yaml", ["training.engine=fused"])
    dataset = load_dataset(cfg.data)
    assert fused.program_work(cfg, dataset) >= fused.XLA_AUTO_WORK
    assert fused.use_xla(cfg, dataset) is False


@pytest.mark.parametrize("name, xla, expected", [
    ("digits_cnn_dropout_spatial", "auto", 1),       # graph mode: one intra-op thread
    ("digits_cnn_dropout_spatial", "true", None),    # XLA's convolutions run on the intra-op pool
    ("digits_lstm_variational", "true", 1),
    ("digits_mlp", "auto", 1),                       # XLA (its work), no convolution
])
def test_a_fused_run_wants_one_intra_op_thread_but_for_xla_convolutions(name, xla, expected):
    from dropout_lab.engines import scikeras

    cfg = load_config(CONFIGS / f"{name}.yaml", ["training.engine=fused", f"training.xla={xla}"])
    dataset = load_dataset(cfg.data)
    assert fused.intra_op_threads(cfg, dataset) == expected
    assert scikeras.intra_op_threads(cfg, dataset) is None


def test_a_conv_study_is_cut_into_programs_by_its_bytes_not_its_convolutions(monkeypatch):
    """A convolution's work counts a tenth (grouping.WORK_SPEED: a grouped oneDNN convolution
    runs its multiply-adds ~10x faster than stacked dense products), so 30 digits CNN models
    (a spatial-dropout sweep) are two programs, cut by MAX_PROGRAM_BYTES; counted in full,
    their work would cut them into eight (4 models each: slower per model, measured)."""
    from dropout_lab.engines.fused import grouping

    cfg = load_config(CONFIGS / "digits_cnn_dropout_spatial.yaml", ["training.engine=fused"])
    dataset = load_dataset(cfg.data)
    X = dataset.X.astype("float32")
    tasks = [Task(cfg, X[train], dataset.y[train], X[test], dataset.y[test], 7, (8, 8, 1))
             for train, test in splits(cfg, dataset.y)] * 6
    assert [len(c) for c in grouping.chunks(list(range(30)), tasks)] == [15, 15]
    monkeypatch.setattr(grouping, "WORK_SPEED", {})
    assert [len(c) for c in grouping.chunks(list(range(30)), tasks)] == [4] * 7 + [2]


def test_run_id_says_which_mode_auto_chose(sonar_env, monkeypatch):
    from dropout_lab.provenance import run_id

    cfg = load_config(CONFIGS / "smoke.yaml", ["training.engine=fused", "training.xla=auto"])
    dataset = load_dataset(cfg.data)
    graph = run_id(cfg, dataset)
    monkeypatch.setattr(fused.grouping, "XLA_AUTO_WORK", 0)  # the same config, now resolved to XLA
    assert fused.use_xla(cfg, dataset) and run_id(cfg, dataset) != graph


# --- sweeps: one program per architecture; a cell's numbers alone or stacked with others ---

def _rate_cells(rates, epochs=3, batch_size=8):
    return [experiment([dense(6), {"type": "dropout", "rate": r}, OUTPUT], {"name": "sgd", "momentum": 0.8},
                       epochs=epochs, batch_size=batch_size) for r in rates]


def test_a_sweep_traces_one_program_per_architecture():
    cells = _rate_cells((0.0, 0.2, 0.4), batch_size=7)  # a batch size no other test uses: a new program
    before = fused.trace_count()
    for cfg in cells:  # as `run --sweep` trains them: one cell after the other
        train_tasks([task(cfg, 30, seed=s) for s in (1, 2, 3)])
    assert fused.trace_count() - before == 1
    other = experiment([dense(5), {"type": "dropout", "rate": 0.2}, OUTPUT], {"name": "sgd"}, batch_size=7)
    train_tasks([task(other, 30, seed=s) for s in (1, 2, 3)])  # another architecture: its own program
    assert fused.trace_count() - before == 2


def test_a_cell_trained_alone_equals_it_stacked_with_the_other_cells():
    cells = _rate_cells((0.0, 0.2, 0.4, 0.5))
    units = [task(cfg, 24 + 3 * i, seed=10 + i, data_seed=i) for i, cfg in enumerate(cells)]
    together = train_tasks(units, history=True)
    alone = train_tasks([units[2]], history=True)[0]
    np.testing.assert_array_equal(together[2]["test_proba"], alone["test_proba"])
    assert together[2]["history"].equals(alone["history"])


def test_the_tips_study_is_fusable_and_paired():
    """Every run of `make tips` (each config, each sweep cell) trains on the fused engine and
    is evaluated on the same 5 x 10 folds as the reference model, so all pairs are paired."""
    from dropout_lab.sweep import expand

    paths = sorted(CONFIGS.glob("sonar_tips*.yaml"))
    cfgs, names = [], set()
    for path in paths:
        sweep = expand(path)
        cfgs += [cell.cfg for cell in sweep.cells] if sweep else [load_config(path)]
        names |= {f"{sweep.name}/{cell.name}" for cell in sweep.cells} if sweep else {cfgs[-1].name}
    assert len(cfgs) == len(names) == 41
    reference = load_config(CONFIGS / "sonar_tips.yaml")
    for cfg in cfgs:
        check_supported(cfg)
        assert cfg.training.engine == "fused" and cfg.seed == reference.seed
        assert cfg.evaluation == reference.evaluation and cfg.evaluation.repeats == 5
        assert cfg.data == reference.data
    hidden = load_config(CONFIGS / "sonar_hidden.yaml")
    assert reference.model == hidden.model and reference.training.optimizer == hidden.training.optimizer
    baseline = next(c for c in cfgs if c.name == "sonar_tips_baseline")
    assert baseline.model == load_config(CONFIGS / "sonar_baseline.yaml").model
