"""Datasets: a registry from a config's ``data.dataset`` name to a loader.

Every loader returns a :class:`Dataset`: the rows (2-D, flat), the labels as class
indices, the class names in label order, one sample's shape and a checksum of the
parsed values.

- :mod:`.sonar`: the UCI Sonar data (downloaded once into the data cache, verified);
- :mod:`.mnist`: MNIST, the file Keras downloads (likewise);
- :mod:`.csvfile`: a user's CSV (``csv``);
- :mod:`.arrays`: a user's ``.npz`` arrays of any shape (``npz``);
- :mod:`.generated`: ``circles``, ``digits`` and ``random``, made in memory, and the
  regression problems ``diabetes``, ``friedman1`` and ``gap1d``;
- :mod:`.cache`: the data directory, verified downloads, what it holds.
"""

from __future__ import annotations

from pathlib import Path

from .arrays import load_npz
from .cache import (
    CachedFile,
    RemoteFile,
    Sha256,
    cached_file,
    cached_files,
    data_dir_and_origin,
    fetch,
    resolve_data_dir,
)
from .csvfile import Table, load_csv, read_table
from .dataset import Dataset, checksum, class_names, regression_dataset
from .generated import (
    DIGIT_VIEWS,
    gap1d_function,
    load_circles,
    load_diabetes,
    load_digits,
    load_friedman1,
    load_gap1d,
    load_random,
)
from .mnist import MNIST_REMOTE, MNIST_SHA256, MNIST_URL, MNIST_VIEWS, load_mnist, read_mnist
from .sonar import (
    SONAR_CHECKSUM,
    SONAR_COUNTS,
    SONAR_FILE,
    SONAR_REMOTE,
    SONAR_SHAPE,
    SONAR_URL,
    fetch_sonar,
    load_sonar,
    read_sonar,
)

DATASETS = {
    "sonar": load_sonar,
    "circles": load_circles,
    "csv": load_csv,
    "digits": load_digits,
    "mnist": load_mnist,
    "npz": load_npz,
    "random": load_random,
    "diabetes": load_diabetes,
    "friedman1": load_friedman1,
    "gap1d": load_gap1d,
}

# the datasets that are downloaded: what `dropout-lab data` lists and fetches
REMOTE_FILES = {remote.dataset: remote for remote in (SONAR_REMOTE, MNIST_REMOTE)}


def load_dataset(spec, data_dir: str | Path | None = None) -> Dataset:
    """Load the dataset a config's ``data`` section names."""
    loader = DATASETS[spec.dataset]
    return loader(spec, resolve_data_dir(data_dir))


__all__ = [
    "DATASETS", "DIGIT_VIEWS", "MNIST_REMOTE", "MNIST_SHA256", "MNIST_URL", "MNIST_VIEWS", "REMOTE_FILES",
    "SONAR_CHECKSUM", "SONAR_COUNTS", "SONAR_FILE", "SONAR_REMOTE", "SONAR_SHAPE", "SONAR_URL", "CachedFile",
    "Dataset", "RemoteFile", "Sha256", "Table", "cached_file", "cached_files", "checksum", "class_names",
    "data_dir_and_origin", "fetch", "fetch_sonar", "gap1d_function", "load_dataset", "read_mnist", "read_sonar",
    "read_table", "regression_dataset", "resolve_data_dir",
]
