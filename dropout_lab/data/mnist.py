"""MNIST: the 70,000 28x28 handwritten digits, from ``<data dir>/mnist.npz``.

The file is the one ``keras.datasets.mnist.load_data()`` downloads (arrays ``x_train``
(60000, 28, 28), ``y_train``, ``x_test`` (10000, 28, 28), ``y_test``; uint8), verified by
the SHA-256 Keras publishes for it and kept in the data cache (see :mod:`.cache`).

The rows are Keras' 60,000 training images, then its 10,000 test images, each flattened
to 784 pixels scaled to [0, 1] (divided by 255, as the tutorials do); a holdout with
``n_train: 60000`` and no shuffling is Keras' own train/test split.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..config import MnistData
from ..errors import DataError
from .cache import RemoteFile, Sha256, cached_file
from .dataset import Dataset, checksum

MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_FILE = "mnist.npz"
# keras/src/datasets/mnist.py, load_data(): get_file(..., file_hash=...)
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_REMOTE = RemoteFile("mnist", MNIST_FILE, MNIST_URL, Sha256(MNIST_SHA256))
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_IMAGE = (28, 28)
MNIST_CLASSES = tuple(str(digit) for digit in range(10))

# one 28x28 image as each view sees it (as DIGIT_VIEWS for the 8x8 digits)
MNIST_VIEWS = {"flat": (784,), "image": (28, 28, 1), "sequence": (28, 28)}


def load_mnist(spec: MnistData, data_dir: Path) -> Dataset:
    path = cached_file(MNIST_REMOTE, data_dir)
    images, labels = read_mnist(path)
    X = images.reshape(len(images), -1).astype(np.float64)
    X /= 255.0
    shape = MNIST_VIEWS[spec.view]
    return Dataset("mnist", X, labels, str(path), checksum(X, labels, shape), classes=MNIST_CLASSES,
                   input_shape=shape)


def read_mnist(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The training images then the test images (uint8, n x 28 x 28), and their labels (int64, 0..9)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in MNIST_KEYS if key not in archive.files]
            if missing:
                raise DataError(f"{path}: no array {missing[0]!r}; an MNIST file holds {', '.join(MNIST_KEYS)}")
            arrays = {key: archive[key] for key in MNIST_KEYS}
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: cannot read as an .npz file of arrays: {exc}") from None
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != MNIST_IMAGE:
            raise DataError(f"{path}: x_{part} must hold 28x28 uint8 images; got {x.dtype} of shape {x.shape}")
        digits = np.issubdtype(y.dtype, np.integer) and (y.size == 0 or 0 <= y.min() <= y.max() <= 9)
        if y.shape != (len(x),) or not digits:
            raise DataError(f"{path}: y_{part} must hold one digit 0..9 per image of x_{part} ({len(x)}); "
                            f"got {y.dtype} of shape {y.shape}")
    images = np.concatenate([arrays["x_train"], arrays["x_test"]])
    labels = np.concatenate([arrays["y_train"], arrays["y_test"]]).astype(np.int64)
    return images, labels
