"""Shapes checked before training: each layer's output shape on the data's input_shape,
equal to the built Keras model's, and one error naming the layer, what it needs and what
it would get."""

import keras
import numpy as np
import pytest

from dropout_lab.builder import build_model
from dropout_lab.config import Experiment
from dropout_lab.data import Dataset, checksum
from dropout_lab.errors import ConfigError
from dropout_lab.preflight import check_shapes
from dropout_lab.render import format_shape

OUTPUT = {"type": "dense", "units": 1, "activation": "sigmoid"}


def experiment(*layers) -> Experiment:
    return Experiment.model_validate({
        "name": "t", "data": {"dataset": "circles"}, "model": {"layers": [*layers, OUTPUT]},
        "training": {"optimizer": {"name": "sgd"}, "epochs": 1, "batch_size": 4},
    })


def dataset(input_shape) -> Dataset:
    """Binary data whose samples have ``input_shape`` (rows stay flat), as a dataset with
    image or sequence views describes itself."""
    X = np.random.default_rng(0).uniform(size=(20, int(np.prod(input_shape))))
    y = np.arange(20) % 2
    return Dataset("shaped", X, y, "memory", checksum(X, y), classes=("a", "b"), input_shape=input_shape)


def conv2d(filters, kernel_size=3, **extra):
    return {"type": "conv2d", "filters": filters, "kernel_size": kernel_size, **extra}


POOL, FLAT = {"type": "max_pooling2d"}, {"type": "flatten"}

# the tutorials' patterns, on 8x8 images and 8 steps of 8 values: (input shape, layers, output shapes)
VALID = {
    "cnn, dropout after pooling": (
        (8, 8, 1), [conv2d(32, padding="same"), conv2d(32, padding="same"), POOL, {"type": "dropout", "rate": 0.5},
                    FLAT],
        [(8, 8, 32), (8, 8, 32), (4, 4, 32), (4, 4, 32), (512,), (1,)]),
    "cnn, spatial dropout before pooling": (
        (8, 8, 1), [conv2d(32), conv2d(32), {"type": "spatial_dropout2d", "rate": 0.5}, POOL, FLAT],
        [(6, 6, 32), (4, 4, 32), (4, 4, 32), (2, 2, 32), (128,), (1,)]),
    "cnn classifier, dropout after the dense layer": (
        (8, 8, 1), [conv2d(32, padding="same"), POOL, conv2d(64, padding="same"), POOL, FLAT,
                    {"type": "dense", "units": 128}, {"type": "dropout", "rate": 0.5}],
        [(8, 8, 32), (4, 4, 32), (4, 4, 64), (2, 2, 64), (256,), (128,), (128,), (1,)]),
    "lstm, dropout after": ((8, 8), [{"type": "lstm", "units": 32}, {"type": "dropout", "rate": 0.5}],
                            [(32,), (32,), (1,)]),
    "lstm, dropout on the inputs": ((8, 8), [{"type": "dropout", "rate": 0.5}, {"type": "lstm", "units": 32}],
                                    [(8, 8), (32,), (1,)]),
    "variational lstm": ((8, 8), [{"type": "lstm", "units": 32, "dropout": 0.5, "recurrent_dropout": 0.5}],
                         [(32,), (1,)]),
    "stacked gru, conv1d, pooling": (
        (8, 8), [{"type": "conv1d", "filters": 6, "kernel_size": 3}, {"type": "average_pooling1d", "padding": "same"},
                 {"type": "gru", "units": 5, "return_sequences": True}, {"type": "gru", "units": 4}],
        [(6, 6), (3, 6), (3, 5), (4,), (1,)]),
    "global pooling, batch norm, strides": (
        (9, 9, 2), [conv2d(4, 3, strides=2), {"type": "batch_normalization"}, {"type": "global_average_pooling2d"}],
        [(4, 4, 4), (4, 4, 4), (4,), (1,)]),
    "flat data (sonar-like): nothing to reshape": (
        (60,), [{"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 60, "max_norm": 3.0}, FLAT],
        [(60,), (60,), (60,), (1,)]),
}


@pytest.mark.parametrize("case", list(VALID))
def test_output_shapes_of_the_tutorial_patterns_equal_the_built_models(case):
    input_shape, layers, expected = VALID[case]
    cfg = experiment(*layers)
    shapes = check_shapes(cfg, dataset(input_shape).input_shape, "c.yaml")
    assert shapes == expected
    net = build_model(cfg.model, cfg.training, input_shape)
    built = [tuple(layer.output.shape[1:]) for layer in net.layers if not isinstance(layer, keras.layers.Reshape)]
    assert built == expected


# (input shape, layers before the output layer, the whole error message after "c.yaml: ")
MISMATCHES = {
    "conv2d after flatten": (
        (8, 8, 1), [FLAT, conv2d(4)],
        "model.layers[1] (conv2d) needs an image (rows, cols, channels); got (64,) from model.layers[0] (flatten)"),
    "max_pooling2d shrinking a map below 1x1": (
        (8, 8, 1), [conv2d(4, padding="same"), POOL, POOL, POOL, POOL, FLAT],
        "model.layers[4] (max_pooling2d) would shrink the map below 1x1: pool_size 2x2 needs at least 2x2 "
        "(padding: valid); got (1, 1, 4) from model.layers[3] (max_pooling2d); "
        "use a smaller pool_size or padding: same"),
    "lstm on a flat input": (
        (64,), [{"type": "lstm", "units": 4}],
        "model.layers[0] (lstm) needs a sequence (steps, features); got (64,) from the input"),
    "gru on an image": (
        (8, 8, 1), [{"type": "gru", "units": 4}],
        "model.layers[0] (gru) needs a sequence (steps, features); got (8, 8, 1) from the input"),
    "dense on an image without flatten": (
        (8, 8, 1), [conv2d(4), {"type": "dense", "units": 8}],
        "model.layers[1] (dense) needs a flat input (features,); got (6, 6, 4) from model.layers[0] (conv2d); "
        "put a flatten (or a global average pooling) layer before it"),
    "the output layer on a sequence": (
        (8, 8), [{"type": "lstm", "units": 4, "return_sequences": True}],
        "model.layers[1] (dense) needs a flat input (features,); got (8, 4) from model.layers[0] (lstm); "
        "put a flatten (or a global average pooling) layer before it"),
    "kernel_size larger than the input": (
        (8, 8, 1), [conv2d(4, 9), FLAT],
        "model.layers[0] (conv2d) has kernel_size 9x9, larger than its input (padding: valid); "
        "got (8, 8, 1) from the input; use a smaller kernel_size or padding: same"),
    "kernel_size larger than a pooled map": (
        (8, 8, 1), [conv2d(4), POOL, conv2d(4, [2, 4]), FLAT],
        "model.layers[2] (conv2d) has kernel_size 2x4, larger than its input (padding: valid); "
        "got (3, 3, 4) from model.layers[1] (max_pooling2d); use a smaller kernel_size or padding: same"),
    "conv1d kernel longer than the sequence": (
        (8, 8), [{"type": "conv1d", "filters": 2, "kernel_size": 9}, FLAT],
        "model.layers[0] (conv1d) has kernel_size 9, larger than its input (padding: valid); got (8, 8) from the "
        "input; use a smaller kernel_size or padding: same"),
    "pooling a sequence below 1 step": (
        (3, 8), [{"type": "max_pooling1d", "pool_size": 4}, FLAT],
        "model.layers[0] (max_pooling1d) would shrink the sequence below 1 step: pool_size 4 needs at least 4 "
        "(padding: valid); got (3, 8) from the input; use a smaller pool_size or padding: same"),
    "spatial_dropout2d on a sequence": (
        (8, 8), [{"type": "spatial_dropout2d", "rate": 0.2}, FLAT],
        "model.layers[0] (spatial_dropout2d) needs an image (rows, cols, channels); got (8, 8) from the input"),
    "global pooling of a flat input": (
        (64,), [{"type": "global_average_pooling1d"}],
        "model.layers[0] (global_average_pooling1d) needs a sequence (steps, features); got (64,) from the input"),
}


@pytest.mark.parametrize("case", list(MISMATCHES))
def test_a_layer_that_cannot_follow_is_one_error_naming_it(case):
    input_shape, layers, message = MISMATCHES[case]
    with pytest.raises(ConfigError) as err:
        check_shapes(experiment(*layers), dataset(input_shape).input_shape, "c.yaml")
    assert str(err.value) == f"c.yaml: {message}"


def test_without_a_source_the_message_starts_at_the_key_path():
    with pytest.raises(ConfigError, match=r"^model\.layers\[0\] \(lstm\) needs a sequence"):
        check_shapes(experiment({"type": "lstm", "units": 2}).model, 60)


def test_format_shape():
    assert [format_shape(s) for s in [(64,), (8, 8, 1), ()]] == ["(64,)", "(8, 8, 1)", "()"]
