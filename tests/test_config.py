import pytest
import yaml

from dropout_lab.config import TAGS, DenseLayer, DropoutLayer, dump_config, load_config
from dropout_lab.errors import ConfigError

from .conftest import CONFIGS, write

BASE = """
name: a
data: {dataset: sonar}
model:
  layers:
    - {type: dense, units: 60, activation: relu}
    - {type: dropout, rate: 0.2}
    - {type: dense, units: 1, activation: sigmoid}
training:
  optimizer: {name: sgd, learning_rate: 0.1, momentum: 0.9}
  epochs: 3
  batch_size: 16
"""


def test_base_config_loads_with_defaults(tmp_path):
    cfg = load_config(write(tmp_path / "a.yaml", BASE))
    assert cfg.name == "a" and cfg.seed == 7
    assert cfg.evaluation.n_splits == 10 and cfg.evaluation.shuffle and cfg.evaluation.standardize
    assert isinstance(cfg.model.layers[1], DropoutLayer) and cfg.model.layers[1].rate == 0.2
    assert cfg.training.optimizer.nesterov is False


def test_name_defaults_to_file_stem(tmp_path):
    cfg = load_config(write(tmp_path / "my_run.yaml", BASE.replace("name: a\n", "")))
    assert cfg.name == "my_run"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("rate: 0.2", "rate: 1.5", "model.layers[1].rate must be a float in [0, 1); got 1.5"),
        ("rate: 0.2", "rate: 1.0", "model.layers[1].rate must be a float in [0, 1); got 1.0"),
        ("rate: 0.2", "rate: -0.1", "model.layers[1].rate must be a float in [0, 1); got -0.1"),
        ("rate: 0.2", "rate: high", "model.layers[1].rate must be a float in [0, 1); got 'high'"),
        ("rate: 0.2", "rat: 0.2", "model.layers[1].rat is not a known key (did you mean 'rate'?)"),
        ("type: dropout", "type: dropuot",
         f"model.layers[1].type must be one of {len(TAGS['type'])} values (did you mean 'dropout'?); got 'dropuot'; "
         f"valid: {', '.join(TAGS['type'])}"),
        ("type: dropout", "type: SpatialDropout2D",
         f"model.layers[1].type must be one of {len(TAGS['type'])} values (did you mean 'spatial_dropout2d'?); "
         "got 'SpatialDropout2D'"),
        ("type: dropout, rate: 0.2", "type: lstm, units: 4, recurrent_dropout: 1.0",
         "model.layers[1].recurrent_dropout must be a float in [0, 1); got 1.0"),
        ("type: dropout, rate: 0.2", "type: gru, units: 4, dropout: -0.5",
         "model.layers[1].dropout must be a float in [0, 1); got -0.5"),
        ("units: 60, activation: relu", "units: 60, activation: relu, kernel_regularizer: {l2: -1}",
         "model.layers[0].kernel_regularizer.l2 must be a float >= 0; got -1"),
        ("units: 60, activation: relu", "units: 60, activation: relu, kernel_regularizer: {l3: 0.1}",
         "model.layers[0].kernel_regularizer.l3 is not a known key; valid keys: l1, l2"),
        ("units: 60, activation: relu", "units: 60, activation: relu, kernel_regularizer: 0.01",
         "model.layers[0].kernel_regularizer must be a mapping of keys; got a float 0.01"),
        ("type: dropout, rate: 0.2", "type: conv2d, filters: 4, kernel_size: [3]",
         "model.layers[1].kernel_size must be an integer >= 1 or a list of 2 integers >= 1; got [3]"),
        ("type: dropout, rate: 0.2", "type: conv1d, filters: 4, kernel_size: 3, padding: full",
         "model.layers[1].padding must be one of: valid, same; got 'full'"),
        ("type: dropout, rate: 0.2", "type: max_pooling2d, strides: 0",
         "model.layers[1].strides must be an integer >= 1, a list of 2 integers >= 1, or null; got 0"),
        ("type: dropout, rate: 0.2", "type: gaussian_noise, stddev: 1.5",
         "model.layers[1].stddev must be a float in [0, 1]; got 1.5"),
        ("type: dropout, rate: 0.2", "type: conv2d, kernel_size: 3", "model.layers[1].filters is required"),
        ("units: 60, activation: relu", "units: 60, activation: relu, max_norm: 0",
         "model.layers[0].max_norm must be a float > 0 or null; got 0"),
        ("activation: relu", "activation: rleu",
         "model.layers[0].activation must be one of: relu, sigmoid"),
        ("epochs: 3", "epochs: 0", "training.epochs must be an integer >= 1; got 0"),
        ("epochs: 3", "epochs: 2.5", "training.epochs must be an integer >= 1; got 2.5"),
        ("batch_size: 16", "batch_size: '16'", "training.batch_size must be an integer >= 1; got '16'"),
        ("name: sgd", "name: sgdd", "training.optimizer.name must be one of: sgd, adam, rmsprop"),
        ("momentum: 0.9", "momentum: 0.9, beta_1: 0.9", "training.optimizer.beta_1 is not a known key"),
        ("name: a", "name: a/b", "name must be a name of letters"),
        ("data: {dataset: sonar}", "data: {dataset: sonar, path: x.csv}", "data.path is not a known key"),
        ("data: {dataset: sonar}", "data: {}", "data.dataset is required; expected one of: sonar, circles, csv"),
        ("data: {dataset: sonar}", "data: sonar", "data must be a mapping of keys; got a string 'sonar'"),
        ("  batch_size: 16", "  batch_size: 16\nevaluation: {n_splits: 1}",
         "evaluation.n_splits must be an integer >= 2; got 1"),
        ("  batch_size: 16", "  batch_size: 16\nevaluation: {shuffle: 'yes'}",
         "evaluation.shuffle must be true or false; got 'yes'"),
        ("  batch_size: 16", "  batch_size: 16\nepochs: 5", "epochs is not a known key"),
        ("  epochs: 3\n", "", "training.epochs is required"),
        ("model:\n  layers:\n    - {type: dense, units: 60, activation: relu}\n    - {type: dropout, rate: 0.2}\n"
         "    - {type: dense, units: 1, activation: sigmoid}\n", "model:\n  layers: []\n",
         "model.layers must hold at least the output layer; got an empty list"),
        ("  epochs: 3", "  loss: hinge\n  epochs: 3",
         "training.loss must be one of: binary_crossentropy, categorical_crossentropy, "
         "sparse_categorical_crossentropy, mse, mae, huber, log_cosh; got 'hinge'"),
        ("data: {dataset: sonar}", "data: {dataset: digits, view: square}",
         "data.view must be one of: flat, image, sequence; got 'square'"),
        ("data: {dataset: sonar}", "data: {dataset: random, n_classes: 1}",
         "data.n_classes must be an integer >= 2; got 1"),
        ("data: {dataset: sonar}", "data: {dataset: npz}", "data.path is required"),
    ],
)
def test_invalid_values_name_file_path_expectation_and_value(tmp_path, old, new, message):
    assert old in BASE
    path = write(tmp_path / "a.yaml", BASE.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "the top level must be a mapping of config keys; got a list"),
        ("name: [unclosed\n", "malformed YAML at line 2"),
        ("name: a\n  bad: indent\n", "malformed YAML at line 2, column 6"),
    ],
)
def test_unreadable_files(tmp_path, text, message):
    path = write(tmp_path / "a.yaml", text)
    with pytest.raises(ConfigError, match="^" + str(path).replace(".", r"\.") + ": ") as err:
        load_config(path)
    assert message in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_use_dotted_paths_and_yaml_values(tmp_path):
    path = write(tmp_path / "a.yaml", BASE)
    cfg = load_config(path, ["training.epochs=5", "model.layers[1].rate=0.4", "evaluation.shuffle=false",
                             "training.optimizer.nesterov=true"])
    assert cfg.training.epochs == 5 and cfg.model.layers[1].rate == 0.4
    assert cfg.evaluation.shuffle is False and cfg.training.optimizer.nesterov is True


@pytest.mark.parametrize(
    "item, message",
    [
        ("training.epochs", "expected KEY=VALUE"),
        ("=5", "expected KEY=VALUE"),
        ("training..epochs=5", "expected KEY=VALUE"),
        ("model.layers[x].rate=1", "expected KEY=VALUE"),
        ("model.layers[9].rate=0.1", "model.layers[9] does not exist"),
        ("training.epochs=zero", "training.epochs must be an integer >= 1; got 'zero'"),
        ("training.epoch=5", "training.epoch is not a known key (did you mean 'epochs'?)"),
    ],
)
def test_bad_overrides(tmp_path, item, message):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path / "a.yaml", BASE), [item])
    assert message in str(err.value)


def test_extends_merges_mappings_and_replaces_lists(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    child = write(tmp_path / "sub" / "child.yaml",
                  "extends: ../base.yaml\ntraining: {epochs: 9}\nmodel:\n  layers:\n"
                  "    - {type: dense, units: 1, activation: sigmoid}\n")
    cfg = load_config(child)
    assert cfg.name == "child"  # the name is not inherited
    assert cfg.training.epochs == 9 and cfg.training.batch_size == 16
    assert cfg.training.optimizer.learning_rate == 0.1
    assert len(cfg.model.layers) == 1


def test_extends_cycle_and_missing_target(tmp_path):
    write(tmp_path / "x.yaml", "extends: y.yaml\n")
    write(tmp_path / "y.yaml", "extends: x.yaml\n")
    with pytest.raises(ConfigError, match="extends forms a cycle"):
        load_config(tmp_path / "x.yaml")
    write(tmp_path / "z.yaml", "extends: gone.yaml\n")
    with pytest.raises(ConfigError, match=r"z\.yaml: extends names 'gone\.yaml', but .* does not exist"):
        load_config(tmp_path / "z.yaml")


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_resolved_config_round_trips(tmp_path, path):
    cfg = load_config(path)
    again = load_config(write(tmp_path / f"{cfg.name}.yaml", dump_config(cfg)))
    assert again == cfg and again.config_hash() == cfg.config_hash()
    assert "extends" not in yaml.safe_load(dump_config(cfg))
    assert cfg.description, "each shipped config says what it reproduces"


def test_csv_path_is_relative_to_the_config(tmp_path):
    path = write(tmp_path / "cfg" / "mine.yaml", BASE.replace("{dataset: sonar}", "{dataset: csv, path: d.csv}"))
    assert load_config(path).data.path == str((tmp_path / "cfg" / "d.csv").resolve())


def test_dense_layer_defaults():
    layer = DenseLayer(type="dense", units=4)
    assert layer.activation == "relu" and layer.max_norm is None


def test_an_error_names_the_file_that_wrote_the_value(tmp_path):
    write(tmp_path / "base.yaml", BASE.replace("epochs: 3", "epoch: 3"))
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nseed: 1\n")
    with pytest.raises(ConfigError, match=r"^.*base\.yaml: training\.epoch is not a known key"):
        load_config(child)
    good = write(tmp_path / "good.yaml", BASE)
    with pytest.raises(ConfigError) as err:
        load_config(good, ["training.epoch=3"])
    assert str(err.value).startswith(f"{good} (--set training.epoch=3): training.epoch is not a known key")


def test_switching_optimizer_in_a_child_replaces_the_whole_mapping(tmp_path):
    write(tmp_path / "base.yaml", BASE)
    child = write(tmp_path / "child.yaml", "extends: base.yaml\ntraining: {optimizer: {name: rmsprop}}\n")
    opt = load_config(child).training.optimizer
    assert opt.name == "rmsprop" and opt.learning_rate == 0.001 and opt.momentum == 0.0  # no SGD leftovers


def test_a_key_given_twice_is_an_error(tmp_path):
    path = write(tmp_path / "a.yaml", BASE.replace("  epochs: 3\n", "  epochs: 3\n  epochs: 4\n"))
    with pytest.raises(ConfigError, match="malformed YAML at line .*: the key 'epochs' is given twice"):
        load_config(path)


def test_an_override_value_that_is_not_yaml(tmp_path):
    with pytest.raises(ConfigError, match=r"--set 'training.optimizer=\{name: adam': the value is not valid YAML"):
        load_config(write(tmp_path / "a.yaml", BASE), ["training.optimizer={name: adam"])


@pytest.mark.parametrize("loc, plain", [
    (("model", "layers", 0, "dense", "units"), ["model", "layers", 0, "units"]),
    # a field that happens to be named like a tag (an LSTM's `dropout`) stays: tags are dropped by position
    (("model", "layers", 1, "dense", "dropout"), ["model", "layers", 1, "dropout"]),
    (("model", "layers", 1, "dropout", "rate"), ["model", "layers", 1, "rate"]),
    (("training", "optimizer", "sgd", "momentum"), ["training", "optimizer", "momentum"]),
    (("data", "csv", "path"), ["data", "path"]),
    (("evaluation", "holdout", "n_train"), ["evaluation", "n_train"]),
    (("name",), ["name"]),
])
def test_error_locations_drop_union_tags_by_position(loc, plain):
    from dropout_lab.config.messages import plain_loc

    assert plain_loc({"loc": loc}) == plain


# --- issue 9 ---

@pytest.mark.parametrize("seed", [-1, 2**32, 10**23])
def test_a_seed_outside_32_bits_is_refused_by_the_schema(tmp_path, seed):
    path = write(tmp_path / "a.yaml", BASE + f"seed: {seed}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: seed must be an integer in [0, 4294967295]; got {seed}"
    circles = BASE.replace("{dataset: sonar}", f"{{dataset: circles, random_state: {seed}}}")
    with pytest.raises(ConfigError, match=r"data.random_state must be an integer in \[0, 4294967295\]"):
        load_config(write(tmp_path / "b.yaml", circles))


def test_the_seed_range_ends_are_accepted(tmp_path):
    assert [load_config(write(tmp_path / "a.yaml", BASE), [f"seed={s}"]).seed for s in (0, 2**32 - 1)] == [0, 2**32 - 1]


def test_negative_list_indices_count_from_the_end(tmp_path):
    path = write(tmp_path / "a.yaml", BASE)
    cfg = load_config(path, ["model.layers[-2].rate=0.5", "model.layers[-3].units=7"])
    assert cfg.model.layers[1].rate == 0.5 and cfg.model.layers[0].units == 7
    from dropout_lab.config import load_config_sourced
    from dropout_lab.preflight import check_output

    cfg, source = load_config_sourced(path, ["model.layers[-1].units=2"])
    with pytest.raises(ConfigError) as err:  # checked against the data's 2 classes: blamed on the --set
        check_output(cfg, 2, source)
    assert str(err.value).startswith(f"{path} (--set model.layers[-1].units=2): model.layers[2].units must be 1")
    with pytest.raises(ConfigError) as err:
        load_config(path, ["model.layers[-2].rate=1.5"])
    assert str(err.value) == (f"{path} (--set model.layers[-2].rate=1.5): model.layers[1].rate must be a float "
                              "in [0, 1); got 1.5")
    with pytest.raises(ConfigError, match=r"--set 'model.layers\[-4\].rate=0.1': model.layers\[-4\] does not exist"):
        load_config(path, ["model.layers[-4].rate=0.1"])


def test_no_suggestion_for_a_name_that_is_another_kind_of_thing():
    from dropout_lab.types import did_you_mean

    assert did_you_mean("gaussian_dropout", ("dense", "dropout")) == ""
    assert did_you_mean("leaky_relu", ("relu", "tanh")) == ""
    assert did_you_mean("dropuot", ("dense", "dropout")) == " (did you mean 'dropout'?)"
    assert did_you_mean("epochz", ("epochs", "batch_size")) == " (did you mean 'epochs'?)"


def test_a_csv_path_on_the_command_line_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    csv_base = BASE.replace("{dataset: sonar}", "{dataset: csv, path: d.csv}")
    path = write(tmp_path / "cfg" / "mine.yaml", csv_base)
    monkeypatch.chdir(write(tmp_path / "work" / "x.csv", "").parent)
    assert load_config(path).data.path == str(tmp_path / "cfg" / "d.csv")  # in a file: relative to the file
    assert load_config(path, ["data.path=x.csv"]).data.path == str(tmp_path / "work" / "x.csv")
    whole = load_config(path, ["data={dataset: csv, path: sub/y.csv}"])
    assert whole.data.path == str(tmp_path / "work" / "sub" / "y.csv")
    # a path written in a base config is relative to that base, wherever the child is
    child = write(tmp_path / "other" / "child.yaml", "extends: ../cfg/mine.yaml\n")
    assert load_config(child).data.path == str(tmp_path / "cfg" / "d.csv")
