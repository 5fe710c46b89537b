import keras
import numpy as np
import pytest

from dropout_lab.builder import LAYERS, OPTIMIZERS, SCHEDULES, build_model, build_optimizer, layer_table
from dropout_lab.config import load_config

from .conftest import CONFIGS

# (kind, units or rate, activation, max-norm) per layer; then optimizer settings
TUTORIAL_MODELS = {
    "sonar_baseline": (
        [("Dense", 60, "relu", None), ("Dense", 30, "relu", None), ("Dense", 1, "sigmoid", None)],
        {"class": keras.optimizers.SGD, "learning_rate": 0.01, "momentum": 0.8, "nesterov": False},
    ),
    "sonar_input": (
        [("Dropout", 0.2, None, None), ("Dense", 60, "relu", 3.0), ("Dense", 30, "relu", 3.0),
         ("Dense", 1, "sigmoid", None)],
        {"class": keras.optimizers.SGD, "learning_rate": 0.1, "momentum": 0.9, "nesterov": False},
    ),
    "sonar_hidden": (
        [("Dense", 60, "relu", 3.0), ("Dropout", 0.2, None, None), ("Dense", 30, "relu", 3.0),
         ("Dropout", 0.2, None, None), ("Dense", 1, "sigmoid", None)],
        {"class": keras.optimizers.SGD, "learning_rate": 0.1, "momentum": 0.9, "nesterov": False},
    ),
}


def describe(layer):
    if isinstance(layer, keras.layers.Dropout):
        return ("Dropout", layer.rate, None, None)
    constraint = layer.kernel_constraint
    assert constraint is None or isinstance(constraint, keras.constraints.MaxNorm)
    if constraint is not None:
        assert constraint.axis == 0  # per hidden unit, as keras.constraints.MaxNorm's default
    return ("Dense", layer.units, layer.activation.__name__, constraint and float(constraint.max_value))


@pytest.mark.parametrize("name", sorted(TUTORIAL_MODELS))
def test_shipped_sonar_configs_build_the_tutorial_models(name):
    cfg = load_config(CONFIGS / f"{name}.yaml")
    layers, opt = TUTORIAL_MODELS[name]
    net = build_model(cfg.model, cfg.training, input_shape=(60,))
    assert [describe(layer) for layer in net.layers] == layers
    assert net.input_shape == (None, 60)
    assert type(net.optimizer) is opt["class"]
    assert float(net.optimizer.learning_rate) == pytest.approx(opt["learning_rate"])
    assert float(net.optimizer.momentum) == pytest.approx(opt["momentum"])
    assert net.optimizer.nesterov is opt["nesterov"]
    assert net.loss == "binary_crossentropy"
    assert (cfg.training.epochs, cfg.training.batch_size) == (300, 16)
    assert (cfg.evaluation.n_splits, cfg.evaluation.shuffle, cfg.evaluation.standardize) == (10, True, True)
    assert net.count_params() == 60 * 60 + 60 + 60 * 30 + 30 + 30 + 1


def test_max_norm_is_enforced_after_an_update():
    cfg = load_config(CONFIGS / "sonar_hidden.yaml", ["training.epochs=1"])
    keras.utils.set_random_seed(0)
    net = build_model(cfg.model, cfg.training, input_shape=(60,))
    X = np.random.default_rng(0).normal(scale=50, size=(64, 60)).astype("float32")
    y = (X[:, 0] > 0).astype("float32")
    net.fit(X, y, epochs=3, batch_size=16, verbose=0)
    for layer in net.layers[:3:2]:
        norms = np.linalg.norm(layer.kernel.numpy(), axis=0)
        assert norms.max() <= 3.0 + 1e-4


@pytest.mark.parametrize("name, cls", [("adam", keras.optimizers.Adam), ("rmsprop", keras.optimizers.RMSprop),
                                       ("nadam", keras.optimizers.Nadam), ("adamw", keras.optimizers.AdamW)])
def test_optimizers_by_name(name, cls):
    cfg = load_config(CONFIGS / "sonar_baseline.yaml", [f"training.optimizer={{name: {name}, learning_rate: 0.005}}"])
    net = build_model(cfg.model, cfg.training, input_shape=(60,))
    assert type(net.optimizer) is cls and float(net.optimizer.learning_rate) == pytest.approx(0.005)


def test_tables_cover_every_name_the_config_accepts():
    from dropout_lab.config import TAGS as _TAGS

    assert set(OPTIMIZERS) == set(_TAGS["name"])
    assert set(SCHEDULES) == set(_TAGS["schedule"])
    assert set(LAYERS) == set(_TAGS["type"])


def test_layer_table_rows():
    cfg = load_config(CONFIGS / "sonar_input.yaml")
    rows = layer_table(build_model(cfg.model, cfg.training, (60,)))
    assert [(r["type"], r["rate"], r["max_norm"], r["params"]) for r in rows] == [
        ("Dropout", 0.2, "", 0), ("Dense", "", 3.0, 3660), ("Dense", "", 3.0, 1830), ("Dense", "", "", 31)]


def test_samples_of_more_than_one_axis_are_reshaped_from_flat_rows():
    """The data keeps flat rows; the model reshapes each to the sample shape first."""
    cfg = load_config(CONFIGS / "digits_mlp.yaml")
    net = build_model(cfg.model, cfg.training, (8, 8, 1))
    assert net.input_shape == (None, 64) and type(net.layers[0]).__name__ == "Reshape"
    assert net.layers[0].output.shape[1:] == (8, 8, 1)
    flat = build_model(cfg.model, cfg.training, (64,))
    assert flat.input_shape == (None, 64) and type(flat.layers[0]).__name__ == "Dense"
    assert net.predict(np.zeros((2, 64), "float32"), verbose=0).shape == (2, 8, 8, 10)  # dense acts on the last axis


S = keras.optimizers.schedules


@pytest.mark.parametrize("lr, cls, attributes", [
    ("{schedule: exponential_decay, initial_learning_rate: 1.0, decay_steps: 12, decay_rate: 0.99, staircase: true}",
     S.ExponentialDecay, {"initial_learning_rate": 1.0, "decay_steps": 12, "decay_rate": 0.99, "staircase": True}),
    ("{schedule: inverse_time_decay, initial_learning_rate: 1, decay_steps: 12, decay_rate: 0}",
     S.InverseTimeDecay, {"initial_learning_rate": 1.0, "decay_steps": 12, "decay_rate": 0.0, "staircase": False}),
    ("{schedule: cosine_decay, initial_learning_rate: 0.0, decay_steps: 90, alpha: 0.1, warmup_target: 0.5, "
     "warmup_steps: 10}",
     S.CosineDecay, {"initial_learning_rate": 0.0, "decay_steps": 90, "alpha": 0.1, "warmup_target": 0.5,
                     "warmup_steps": 10}),
    ("{schedule: piecewise_constant, boundaries: [10, 20], values: [1, 0.5, 0.1]}",
     S.PiecewiseConstantDecay, {"boundaries": [10, 20], "values": [1.0, 0.5, 0.1]}),
])
def test_schedules_build_the_keras_schedule_with_the_config_numbers(lr, cls, attributes):
    cfg = load_config(CONFIGS / "sonar_hidden.yaml", [f"training.optimizer.learning_rate={lr}"])
    optimizer = build_optimizer(cfg.training)
    schedule = optimizer._learning_rate
    assert type(schedule) is cls
    assert {k: getattr(schedule, k) for k in attributes} == attributes
    assert float(optimizer.momentum) == pytest.approx(0.9)


def test_whole_numbers_reach_keras_as_floats():
    """Keras refuses an int learning rate or momentum (`learning_rate: 1`, `momentum: 0`)."""
    cfg = load_config(CONFIGS / "sonar_hidden.yaml", ["training.optimizer.learning_rate=1",
                                                      "training.optimizer.momentum=0"])
    optimizer = build_optimizer(cfg.training)
    assert float(optimizer.learning_rate) == 1.0 and optimizer.momentum == 0.0


def test_adamw_weight_decay_and_nadam_betas_reach_keras():
    cfg = load_config(CONFIGS / "sonar_hidden.yaml", ["training.optimizer={name: adamw, weight_decay: 0.1}"])
    assert build_optimizer(cfg.training).weight_decay == 0.1
    cfg = load_config(CONFIGS / "sonar_hidden.yaml", ["training.optimizer={name: nadam, beta_1: 0.8, beta_2: 0.99}"])
    opt = build_optimizer(cfg.training)
    assert (opt.beta_1, opt.beta_2) == (0.8, 0.99)
