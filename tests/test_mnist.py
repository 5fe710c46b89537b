"""MNIST from a tiny file of the same format as Keras' mnist.npz, served over loopback:
the rows, views and labels, the checksum (Keras' own), and the shipped configs on it."""

import hashlib
import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import MnistData
from dropout_lab.data import MNIST_SHA256, Sha256, load_dataset, mnist, read_mnist
from dropout_lab.errors import DataError

N_TRAIN, N_TEST = 20, 10


def fake_mnist(**changes) -> bytes:
    """An npz like Keras' mnist.npz, with 20 training and 10 test images (every digit in both)."""
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (N_TRAIN, 28, 28), dtype=np.uint8),
              "y_train": np.arange(N_TRAIN, dtype=np.uint8) % 10,
              "x_test": rng.integers(0, 256, (N_TEST, 28, 28), dtype=np.uint8),
              "y_test": np.arange(N_TEST, dtype=np.uint8)[::-1] % 10}
    arrays = {key: value for key, value in {**arrays, **changes}.items() if value is not None}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture
def served_mnist(serve, monkeypatch):
    """The fake file on the loopback server, with its own SHA-256 in place of Keras'."""
    root, url = serve
    payload = fake_mnist()
    (root / "mnist.npz").write_bytes(payload)
    monkeypatch.setattr(mnist, "MNIST_REMOTE", replace(mnist.MNIST_REMOTE, verify=Sha256(
        hashlib.sha256(payload).hexdigest())))
    monkeypatch.setenv("DROPOUT_LAB_MNIST_URL", f"{url}/mnist.npz")
    return payload


@pytest.mark.parametrize("view, shape", [("flat", (784,)), ("image", (28, 28, 1)), ("sequence", (28, 28))])
def test_mnist_is_the_training_then_the_test_images_scaled_to_one(tmp_path, served_mnist, view, shape):
    ds = load_dataset(MnistData(dataset="mnist", view=view), tmp_path)
    with np.load(io.BytesIO(served_mnist)) as raw:
        images = np.concatenate([raw["x_train"], raw["x_test"]])
        labels = np.concatenate([raw["y_train"], raw["y_test"]])
    assert ds.X.shape == (N_TRAIN + N_TEST, 784) and ds.X.dtype == np.float64
    np.testing.assert_array_equal(ds.X, images.reshape(-1, 784) / 255.0)
    np.testing.assert_array_equal(ds.y, labels)
    assert ds.input_shape == shape and ds.classes == tuple("0123456789")
    assert (tmp_path / "mnist.npz").read_bytes() == served_mnist  # cached for the next run


def test_the_checksum_is_the_one_keras_publishes():
    keras_mnist = pytest.importorskip("keras.src.datasets.mnist")
    source = Path(keras_mnist.__file__).read_text()
    assert re.search(r'file_hash=\(?\s*(?:#[^\n]*\n\s*)?"([0-9a-f]{64})"', source).group(1) == MNIST_SHA256
    assert "tf-keras-datasets/" in source and mnist.MNIST_URL.endswith("tf-keras-datasets/mnist.npz")


def test_a_file_that_is_not_keras_mnist_is_refused_offline_and_never_used(tmp_path):
    (tmp_path / "mnist.npz").write_bytes(fake_mnist())  # the real hash (Keras') does not match
    with pytest.raises(DataError) as err:
        load_dataset(MnistData(dataset="mnist"), tmp_path)
    assert str(err.value).startswith(f"{tmp_path}/mnist.npz: SHA-256 ")
    assert f"differs from the published {MNIST_SHA256[:12]}...; the file is not used" in str(err.value)


@pytest.mark.parametrize("changes, message", [
    ({"y_test": None}, "no array 'y_test'; an MNIST file holds x_train, y_train, x_test, y_test"),
    ({"x_train": np.zeros((N_TRAIN, 8, 8), np.uint8)}, "x_train must hold 28x28 uint8 images; got uint8 of shape"),
    ({"x_test": np.zeros((N_TEST, 28, 28), np.float32)}, "x_test must hold 28x28 uint8 images; got float32"),
    ({"y_train": np.full(N_TRAIN, 10, np.uint8)}, "y_train must hold one digit 0..9 per image of x_train (20)"),
    ({"y_test": np.zeros(3, np.uint8)}, "y_test must hold one digit 0..9 per image of x_test (10); got uint8 of "
                                        "shape (3,)"),
])
def test_a_malformed_mnist_file_is_one_clear_error(tmp_path, changes, message):
    path = tmp_path / "mnist.npz"
    path.write_bytes(fake_mnist(**changes))
    with pytest.raises(DataError) as err:
        read_mnist(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


def test_the_shipped_cnn_builds_as_written_on_28x28_images(tmp_path, served_mnist):
    result = CliRunner().invoke(main, ["validate", "mnist_cnn", "--data-dir", tmp_path,
                                       "--set", f"evaluation.n_train={N_TRAIN}"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["layer", "type"])
    shapes = [line.split()[1:3] for line in lines[header + 1:-1]]  # after the header, before the total
    assert shapes == [["Reshape", "(28,"], ["Conv2D", "(26,"], ["MaxPooling2D", "(13,"], ["Conv2D", "(11,"],
                      ["MaxPooling2D", "(5,"], ["Flatten", "(1600,)"], ["Dense", "(128,)"], ["Dropout", "(128,)"],
                      ["Dense", "(10,)"]]


def test_the_shipped_mlp_runs_on_the_cached_file(tmp_path, served_mnist):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "mnist_mlp", "--data-dir", tmp_path / "cache", "--out", out,
                                       "--set", "training.epochs=1", "--set", f"evaluation.n_train={N_TRAIN}",
                                       "--no-plots", "-q"])
    assert result.exit_code == 0, result.output
    assert (out / "mnist_mlp" / "folds.csv").is_file()
    assert (tmp_path / "cache" / "mnist.npz").read_bytes() == served_mnist
