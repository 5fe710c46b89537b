"""The layer kinds: each config entry builds the Keras layer it names, with its options,
and the dropout kinds behave as they should on the built model (whole feature maps,
single cells, the recurrent cell's masks, the identity at inference)."""

import keras
import numpy as np
import pytest
import yaml

from dropout_lab.builder import build_model, layer_table
from dropout_lab.config import ModelConfig, TrainingConfig, dump_config, load_config
from dropout_lab.layers import LAYERS, parameter_count

from .conftest import CONFIGS, ROOT

OUTPUT = {"type": "dense", "units": 1, "activation": "sigmoid"}
TRAINING = TrainingConfig.model_validate({"optimizer": {"name": "sgd"}, "epochs": 1, "batch_size": 4})
L1L2 = {"l1": 0.01, "l2": 0.02}


def net(layers, input_shape):
    model = ModelConfig.model_validate({"layers": [*layers, OUTPUT]})
    return build_model(model, TRAINING, input_shape)


def config_layers(net_):
    """The layers the config asked for (the reshape of the rows left out)."""
    return [layer for layer in net_.layers if not isinstance(layer, keras.layers.Reshape)]


# kind: (its config entry with every option set, the input shape, what the Keras layer must hold)
def _regularizer(layer):
    reg = layer.kernel_regularizer
    return (type(reg).__name__, pytest.approx(reg.l1), pytest.approx(reg.l2))


def _max_norm(layer):
    return (float(layer.kernel_constraint.max_value), layer.kernel_constraint.axis)


BUILT = {
    "dense": ({"type": "dense", "units": 5, "activation": "tanh", "max_norm": 2.0, "kernel_initializer": "he_normal",
               "kernel_regularizer": L1L2}, (6,),
              lambda layer: (type(layer).__name__, layer.units, layer.activation.__name__, _max_norm(layer),
                             type(layer.kernel_initializer).__name__, _regularizer(layer)),
              ("Dense", 5, "tanh", (2.0, 0), "HeNormal", ("L1L2", 0.01, 0.02))),
    "conv2d": ({"type": "conv2d", "filters": 4, "kernel_size": [3, 2], "strides": 2, "padding": "same",
                "activation": "elu", "max_norm": 3.0, "kernel_initializer": "lecun_uniform",
                "kernel_regularizer": L1L2}, (8, 8, 2),
               lambda layer: (type(layer).__name__, layer.filters, layer.kernel_size, layer.strides, layer.padding,
                              layer.activation.__name__, _max_norm(layer), type(layer.kernel_initializer).__name__,
                              _regularizer(layer)),
               ("Conv2D", 4, (3, 2), (2, 2), "same", "elu", (3.0, [0, 1, 2]), "LecunUniform", ("L1L2", 0.01, 0.02))),
    "conv1d": ({"type": "conv1d", "filters": 3, "kernel_size": 2, "max_norm": 1.5}, (8, 4),
               lambda layer: (type(layer).__name__, layer.filters, layer.kernel_size, layer.strides, layer.padding,
                              layer.activation.__name__, _max_norm(layer), layer.kernel_regularizer),
               ("Conv1D", 3, (2,), (1,), "valid", "relu", (1.5, [0, 1]), None)),
    "lstm": ({"type": "lstm", "units": 3, "dropout": 0.3, "recurrent_dropout": 0.4, "return_sequences": True,
              "max_norm": 2.0, "kernel_regularizer": {"l2": 0.1}}, (5, 4),
             lambda layer: (type(layer).__name__, layer.units, layer.activation.__name__, layer.cell.dropout,
                            layer.cell.recurrent_dropout, layer.return_sequences, _max_norm(layer.cell),
                            layer.cell.recurrent_constraint, _regularizer(layer.cell)),
             ("LSTM", 3, "tanh", 0.3, 0.4, True, (2.0, 0), None, ("L1L2", 0.0, 0.1))),
    "gru": ({"type": "gru", "units": 2, "activation": "relu", "dropout": 0.1}, (5, 4),
            lambda layer: (type(layer).__name__, layer.units, layer.activation.__name__, layer.cell.dropout,
                           layer.cell.recurrent_dropout, layer.return_sequences, layer.cell.kernel_constraint),
            ("GRU", 2, "relu", 0.1, 0.0, False, None)),
    "max_pooling2d": ({"type": "max_pooling2d", "pool_size": [2, 3], "strides": 1, "padding": "same"}, (6, 6, 2),
                      lambda layer: (type(layer).__name__, layer.pool_size, layer.strides, layer.padding),
                      ("MaxPooling2D", (2, 3), (1, 1), "same")),
    "max_pooling1d": ({"type": "max_pooling1d"}, (6, 2),
                      lambda layer: (type(layer).__name__, layer.pool_size, layer.strides, layer.padding),
                      ("MaxPooling1D", (2,), (2,), "valid")),
    "average_pooling2d": ({"type": "average_pooling2d", "pool_size": 3}, (6, 6, 2),
                          lambda layer: (type(layer).__name__, layer.pool_size, layer.strides),
                          ("AveragePooling2D", (3, 3), (3, 3))),
    "average_pooling1d": ({"type": "average_pooling1d", "pool_size": 3, "strides": 1}, (6, 2),
                          lambda layer: (type(layer).__name__, layer.pool_size, layer.strides),
                          ("AveragePooling1D", (3,), (1,))),
    "global_average_pooling2d": ({"type": "global_average_pooling2d"}, (6, 6, 2),
                                 lambda layer: type(layer).__name__, "GlobalAveragePooling2D"),
    "global_average_pooling1d": ({"type": "global_average_pooling1d"}, (6, 2),
                                 lambda layer: type(layer).__name__, "GlobalAveragePooling1D"),
    "flatten": ({"type": "flatten"}, (3, 2), lambda layer: type(layer).__name__, "Flatten"),
    "dropout": ({"type": "dropout", "rate": 0.3}, (6,), lambda layer: (type(layer).__name__, layer.rate),
                ("Dropout", 0.3)),
    "spatial_dropout1d": ({"type": "spatial_dropout1d", "rate": 0.2}, (6, 2),
                          lambda layer: (type(layer).__name__, layer.rate), ("SpatialDropout1D", 0.2)),
    "spatial_dropout2d": ({"type": "spatial_dropout2d", "rate": 0.4}, (6, 6, 2),
                          lambda layer: (type(layer).__name__, layer.rate), ("SpatialDropout2D", 0.4)),
    "gaussian_dropout": ({"type": "gaussian_dropout", "rate": 0.25}, (6,),
                         lambda layer: (type(layer).__name__, layer.rate), ("GaussianDropout", 0.25)),
    "alpha_dropout": ({"type": "alpha_dropout", "rate": 0.1}, (6,),
                      lambda layer: (type(layer).__name__, layer.rate), ("AlphaDropout", 0.1)),
    "gaussian_noise": ({"type": "gaussian_noise", "stddev": 0.5}, (6,),
                       lambda layer: (type(layer).__name__, layer.stddev), ("GaussianNoise", 0.5)),
    "batch_normalization": ({"type": "batch_normalization", "momentum": 0.9, "epsilon": 0.01}, (6, 2),
                            lambda layer: (type(layer).__name__, layer.momentum, layer.epsilon, layer.axis),
                            ("BatchNormalization", 0.9, 0.01, -1)),
}
# what a kind needs before the binary output layer (a flat input)
TO_FLAT = {1: [], 2: [{"type": "flatten"}], 3: [{"type": "flatten"}]}


def test_every_registered_kind_is_covered():
    assert set(BUILT) == set(LAYERS)


@pytest.mark.parametrize("kind", sorted(BUILT))
def test_each_kind_builds_its_keras_layer_with_the_configs_options(kind):
    entry, shape, read, expected = BUILT[kind]
    built = net([entry, *TO_FLAT[len(shape)]], shape)
    layer = config_layers(built)[0]
    assert read(layer) == expected
    assert built.input_shape == (None, int(np.prod(shape)))


def test_max_norm_constrains_each_conv_filter_and_the_lstm_input_kernel():
    """After updates on large inputs, each conv2d filter's weights over (rows, cols,
    channels) and each LSTM unit's input weights have norm <= max_norm; the recurrent
    kernel is left alone."""
    keras.utils.set_random_seed(0)
    conv = net([{"type": "conv2d", "filters": 6, "kernel_size": 3, "max_norm": 0.5}, {"type": "flatten"}], (5, 5, 2))
    lstm = net([{"type": "lstm", "units": 4, "max_norm": 0.5}], (5, 6))
    for built, n in ((conv, 50), (lstm, 30)):
        X = np.random.default_rng(0).normal(scale=50, size=(64, n)).astype("float32")
        y = (X[:, 0] > 0).astype("float32")
        built.fit(X, y, epochs=2, batch_size=16, verbose=0)
    kernel = config_layers(conv)[0].kernel.numpy()  # (rows, cols, channels, filters)
    norms = np.sqrt((kernel**2).sum(axis=(0, 1, 2)))
    assert norms.shape == (6,) and norms.max() <= 0.5 + 1e-4 and norms.min() > 0.1
    cell = config_layers(lstm)[0].cell
    assert np.linalg.norm(cell.kernel.numpy(), axis=0).max() <= 0.5 + 1e-4
    assert np.linalg.norm(cell.recurrent_kernel.numpy(), axis=0).max() > 0.5 + 1e-3


def _sub_model(built, index):
    """The built model from its flat input up to its ``index``-th config layer."""
    return keras.Model(built.inputs[0], config_layers(built)[index].output)


def test_spatial_dropout2d_zeroes_whole_feature_maps_and_dropout_single_cells():
    shape, rate = (6, 6, 16), 0.5
    x = np.ones((8, int(np.prod(shape))), "float32")
    spatial = _sub_model(net([{"type": "spatial_dropout2d", "rate": rate}, {"type": "flatten"}], shape), 0)
    plain = _sub_model(net([{"type": "dropout", "rate": rate}, {"type": "flatten"}], shape), 0)
    maps = spatial(x, training=True).numpy()  # (samples, rows, cols, channels)
    assert maps.shape == (8, *shape)
    per_map = maps.transpose(0, 3, 1, 2).reshape(8 * 16, 36)
    assert all(set(np.unique(m)) in ({0.0}, {2.0}) for m in per_map)  # each map all dropped or all kept (x2)
    dropped = (per_map == 0).all(axis=1)
    assert 0.25 < dropped.mean() < 0.75
    cells = plain(x, training=True).numpy().transpose(0, 3, 1, 2).reshape(8 * 16, 36)
    assert set(np.unique(cells)) == {0.0, 2.0}
    mixed = [(m == 0).any() and (m != 0).any() for m in cells]
    assert np.mean(mixed) > 0.9  # single cells: nearly every map has both dropped and kept cells
    assert 0.4 < (cells == 0).mean() < 0.6


def test_spatial_dropout1d_zeroes_whole_channels_at_every_step():
    x = np.ones((8, 10 * 12), "float32")
    out = _sub_model(net([{"type": "spatial_dropout1d", "rate": 0.5}, {"type": "flatten"}], (10, 12)), 0)(
        x, training=True).numpy()
    per_channel = out.transpose(0, 2, 1).reshape(8 * 12, 10)
    assert all(set(np.unique(c)) in ({0.0}, {2.0}) for c in per_channel)
    assert 0.2 < (per_channel == 0).all(axis=1).mean() < 0.8


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("dropout, recurrent_dropout", [(0.5, 0.0), (0.0, 0.5), (0.5, 0.5)])
def test_recurrent_dropout_options_reach_the_cell_and_act_in_training_only(kind, dropout, recurrent_dropout):
    """The cell holds the rates; in training its output is random (two calls differ); at
    inference it equals the same layer without dropout, with the same weights."""
    shape = (6, 5)
    entry = {"type": kind, "units": 4, "dropout": dropout, "recurrent_dropout": recurrent_dropout}
    built = net([entry], shape)
    twin = net([{"type": kind, "units": 4}], shape)
    twin.set_weights(built.get_weights())
    cell = config_layers(built)[0].cell
    assert (cell.dropout, cell.recurrent_dropout) == (dropout, recurrent_dropout)
    x = np.random.default_rng(1).normal(size=(16, 30)).astype("float32")
    rnn, twin_rnn = _sub_model(built, 0), _sub_model(twin, 0)
    first, second = (rnn(x, training=True).numpy() for _ in range(2))
    assert not np.allclose(first, second)
    assert not np.allclose(first, twin_rnn(x, training=True).numpy())
    inference, twin_inference = rnn(x, training=False).numpy(), twin_rnn(x, training=False).numpy()
    np.testing.assert_allclose(inference, twin_inference, rtol=1e-5, atol=1e-7)


DROPOUT_KINDS = {
    "dropout": ({"type": "dropout", "rate": 0.5}, (24,)),
    "spatial_dropout1d": ({"type": "spatial_dropout1d", "rate": 0.5}, (6, 4)),
    "spatial_dropout2d": ({"type": "spatial_dropout2d", "rate": 0.5}, (3, 2, 4)),
    "gaussian_dropout": ({"type": "gaussian_dropout", "rate": 0.5}, (24,)),
    "alpha_dropout": ({"type": "alpha_dropout", "rate": 0.5}, (24,)),
    "gaussian_noise": ({"type": "gaussian_noise", "stddev": 0.5}, (24,)),
}


@pytest.mark.parametrize("kind", sorted(DROPOUT_KINDS))
def test_every_dropout_kind_is_the_identity_at_inference_and_not_in_training(kind):
    entry, shape = DROPOUT_KINDS[kind]
    built = net([entry, *TO_FLAT[len(shape)]], shape)
    x = np.random.default_rng(2).normal(size=(32, 24)).astype("float32")
    layer = _sub_model(built, 0)
    np.testing.assert_array_equal(layer(x, training=False).numpy().reshape(32, 24), x)
    np.testing.assert_array_equal(built.predict(x, verbose=0), built.predict(x, verbose=0))
    assert not np.allclose(layer(x, training=True).numpy().reshape(32, 24), x)


def test_an_unset_kernel_regularizer_is_not_written_so_old_configs_keep_their_hash():
    cfg = load_config(CONFIGS / "smoke.yaml")
    reference = yaml.safe_load((ROOT / "reference" / "smoke" / "config.yaml").read_text())
    assert cfg.to_dict() == reference
    assert "kernel_regularizer" not in dump_config(cfg)


def test_a_kernel_regularizer_is_written_and_read_back(tmp_path):
    cfg = load_config(CONFIGS / "smoke.yaml", ["model.layers[2].kernel_regularizer.l2=0.01"])
    assert cfg.model.layers[2].kernel_regularizer.model_dump() == {"l1": 0.0, "l2": 0.01}
    text = dump_config(cfg)
    assert "kernel_regularizer:\n      l1: 0.0\n      l2: 0.01" in text
    path = tmp_path / "again.yaml"
    path.write_text(text)
    again = load_config(path)
    assert again == cfg and again.config_hash() == cfg.config_hash()
    assert cfg.config_hash() != load_config(CONFIGS / "smoke.yaml").config_hash()


def test_layer_table_shows_each_layers_output_shape():
    built = net([{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"}, {"type": "max_pooling2d"},
                 {"type": "spatial_dropout2d", "rate": 0.2}, {"type": "flatten"}], (8, 8, 1))
    rows = layer_table(built)
    assert [(r["type"], r["output"], r["params"]) for r in rows] == [
        ("Reshape", "(8, 8, 1)", 0), ("Conv2D", "(8, 8, 4)", 3 * 3 * 4 + 4), ("MaxPooling2D", "(4, 4, 4)", 0),
        ("SpatialDropout2D", "(4, 4, 4)", 0), ("Flatten", "(64,)", 0), ("Dense", "(1,)", 65)]


# --- parameter counts without building (the model-size check before training) ---

# kind: [(its config entry, the input shape)], each counted by the kind's ``params`` function
# and checked against the Keras layer built on that shape
COUNTED = {
    "dense": [({"type": "dense", "units": 7}, (5,))],
    "dropout": [({"type": "dropout", "rate": 0.5}, (5,)), ({"type": "dropout", "rate": 0.5}, (4, 4, 3))],
    "spatial_dropout1d": [({"type": "spatial_dropout1d", "rate": 0.5}, (8, 3))],
    "spatial_dropout2d": [({"type": "spatial_dropout2d", "rate": 0.5}, (6, 5, 3))],
    "gaussian_dropout": [({"type": "gaussian_dropout", "rate": 0.2}, (8, 3))],
    "alpha_dropout": [({"type": "alpha_dropout", "rate": 0.2}, (5,))],
    "gaussian_noise": [({"type": "gaussian_noise", "stddev": 0.1}, (4, 4, 2))],
    "conv1d": [({"type": "conv1d", "filters": 4, "kernel_size": 3}, (10, 3)),
               ({"type": "conv1d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}, (9, 2)),
               ({"type": "conv1d", "filters": 2, "kernel_size": 3, "strides": 2}, (10, 2))],
    "conv2d": [({"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same"}, (8, 8, 1)),
               ({"type": "conv2d", "filters": 5, "kernel_size": [3, 2], "strides": [2, 1]}, (8, 7, 3)),
               ({"type": "conv2d", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (7, 7, 2))],
    "max_pooling1d": [({"type": "max_pooling1d"}, (9, 3)),
                      ({"type": "max_pooling1d", "pool_size": 3, "strides": 1, "padding": "same"}, (9, 3))],
    "max_pooling2d": [({"type": "max_pooling2d"}, (7, 7, 2)),
                      ({"type": "max_pooling2d", "pool_size": [3, 2], "strides": [1, 2]}, (8, 8, 2)),
                      ({"type": "max_pooling2d", "pool_size": 3, "padding": "same"}, (7, 8, 1))],
    "average_pooling1d": [({"type": "average_pooling1d", "pool_size": 3, "strides": 2}, (10, 2))],
    "average_pooling2d": [({"type": "average_pooling2d", "pool_size": 2, "strides": 1}, (5, 6, 3)),
                          ({"type": "average_pooling2d", "padding": "same"}, (5, 5, 2))],
    "global_average_pooling1d": [({"type": "global_average_pooling1d"}, (8, 5))],
    "global_average_pooling2d": [({"type": "global_average_pooling2d"}, (4, 4, 6))],
    "flatten": [({"type": "flatten"}, (4, 4, 3)), ({"type": "flatten"}, (5,))],
    "lstm": [({"type": "lstm", "units": 32}, (8, 8)),
             ({"type": "lstm", "units": 6, "return_sequences": True, "dropout": 0.5}, (7, 5))],
    "gru": [({"type": "gru", "units": 32}, (8, 8)), ({"type": "gru", "units": 4, "return_sequences": True}, (6, 3))],
    "batch_normalization": [({"type": "batch_normalization"}, (5,)),
                            ({"type": "batch_normalization"}, (4, 4, 3))],
}


def test_every_registered_kind_counts_its_parameters():
    assert set(COUNTED) == set(LAYERS)
    assert [name for name, kind in LAYERS.items() if kind.params is None] == []


@pytest.mark.parametrize("kind, entry, shape", [(k, e, s) for k, cases in COUNTED.items() for e, s in cases],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_each_kinds_parameter_count_and_output_shape_are_keras_own(kind, entry, shape):
    spec = ModelConfig.model_validate({"layers": [entry, OUTPUT]}).layers[0]
    layer = LAYERS[kind].build(spec)
    out = layer.compute_output_shape((None, *shape))
    layer.build((None, *shape))
    assert LAYERS[kind].params(spec, shape) == (layer.count_params(), tuple(out[1:]))


@pytest.mark.parametrize("config", ["digits_cnn", "digits_cnn_dropout_both", "digits_lstm_variational"])
def test_a_whole_cnn_or_rnn_is_counted_as_keras_counts_its_model(config):
    cfg = load_config(CONFIGS / f"{config}.yaml")
    shape = {"image": (8, 8, 1), "sequence": (8, 8)}[cfg.data.view]
    assert parameter_count(cfg.model.layers, shape) == (
        build_model(cfg.model, cfg.training, shape).count_params(), len(cfg.model.layers))


def test_counting_stops_at_a_layer_that_cannot_take_its_input():
    # the shape check names the layer; the size check counts what comes before it
    layers = ModelConfig.model_validate({"layers": [
        {"type": "dense", "units": 4}, {"type": "conv2d", "filters": 2, "kernel_size": 3}, OUTPUT]}).layers
    assert parameter_count(layers, (6,)) == (28, 1)
    pooled = ModelConfig.model_validate({"layers": [
        {"type": "max_pooling2d"}, {"type": "max_pooling2d"}, {"type": "flatten"}, OUTPUT]}).layers
    assert parameter_count(pooled, (2, 2, 1)) == (0, 1)


def test_capabilities_are_read_from_the_registry():
    """Monte Carlo dropout's kinds (the config's list, the Keras classes it keeps on) are the
    kinds registered with ``mc_dropout``; a ``fused`` option must be one of the kind's own."""
    from typing import Literal

    from dropout_lab.config import MC_DROPOUT_KINDS
    from dropout_lab.engines.mc_dropout import dropout_classes
    from dropout_lab.layers import LayerSpec, kinds_with, register

    assert MC_DROPOUT_KINDS == kinds_with("mc_dropout") == tuple(k for k in LAYERS if LAYERS[k].mc_dropout)
    assert {"dropout", "spatial_dropout2d", "alpha_dropout"} <= set(MC_DROPOUT_KINDS)
    assert "gaussian_noise" not in MC_DROPOUT_KINDS
    assert set(dropout_classes()) == {keras.layers.Dropout, keras.layers.SpatialDropout1D,
                                      keras.layers.SpatialDropout2D, keras.layers.GaussianDropout,
                                      keras.layers.AlphaDropout}

    class Odd(LayerSpec):
        type: Literal["odd"]

    with pytest.raises(ValueError, match=r"Expected options of 'odd' in fused. Received: \['rate'\]"):
        register(Odd, fused=("rate",))
    assert "odd" not in LAYERS
