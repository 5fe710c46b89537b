"""Datasets: a registry from a config's ``data.dataset`` name to a loader.

Every loader returns a :class:`Dataset`: the rows (2-D, flat), the labels as class
indices, the class names in label order, one sample's shape and a checksum of the
parsed values.

- :mod:`.sonar`: the UCI Sonar data (downloaded once, verified);
- :mod:`.tables`: a user's CSV (``csv``);
- :mod:`.arrays`: a user's ``.npz`` arrays of any shape (``npz``);
- :mod:`.generated`: ``circles``, ``digits`` and ``random``, made in memory.
"""

from __future__ import annotations

from pathlib import Path

from .arrays import load_npz
from .dataset import Dataset, checksum, class_names, resolve_data_dir
from .generated import DIGIT_VIEWS, load_circles, load_digits, load_random
from .sonar import (
    SONAR_CHECKSUM,
    SONAR_COUNTS,
    SONAR_FILE,
    SONAR_SHAPE,
    SONAR_URL,
    fetch_sonar,
    load_sonar,
    read_sonar,
)
from .tables import Table, load_csv, read_table

DATASETS = {
    "sonar": load_sonar,
    "circles": load_circles,
    "csv": load_csv,
    "digits": load_digits,
    "npz": load_npz,
    "random": load_random,
}


def load_dataset(spec, data_dir: str | Path | None = None) -> Dataset:
    """Load the dataset a config's ``data`` section names."""
    loader = DATASETS[spec.dataset]
    return loader(spec, resolve_data_dir(data_dir))


__all__ = [
    "DATASETS", "DIGIT_VIEWS", "SONAR_CHECKSUM", "SONAR_COUNTS", "SONAR_FILE", "SONAR_SHAPE", "SONAR_URL", "Dataset",
    "Table", "checksum", "class_names", "fetch_sonar", "load_dataset", "read_sonar", "read_table",
    "resolve_data_dir",
]
