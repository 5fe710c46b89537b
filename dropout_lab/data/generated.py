"""Datasets made in memory, no file needed: ``circles``, ``digits``, ``random``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import CirclesData, DigitsData, RandomData
from ..errors import DataError
from .dataset import Dataset, checksum


def load_circles(spec: CirclesData, data_dir: Path) -> Dataset:
    """``sklearn.datasets.make_circles``: two classes ``0`` (outer) and ``1`` (inner), 2 features."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=spec.n_samples, noise=spec.noise, random_state=spec.random_state)
    y = y.astype(np.int64)
    return Dataset("circles", X, y, "sklearn.datasets.make_circles", checksum(X, y), classes=("0", "1"))


# one 8x8 image as each view sees it
DIGIT_VIEWS = {"flat": (64,), "image": (8, 8, 1), "sequence": (8, 8)}


def load_digits(spec: DigitsData, data_dir: Path) -> Dataset:
    """scikit-learn's bundled digits (1,797 rows of 64 pixels 0..16, classes ``0``..``9``).

    ``classes`` keeps the rows of those digits only (classes in numeric order, relabelled
    0..k-1); ``view`` sets the sample shape the model sees, the rows stay flat.
    """
    from sklearn.datasets import load_digits as sk_digits

    bunch = sk_digits()
    X, labels = bunch.data.astype(np.float64), bunch.target.astype(np.int64)
    keep = sorted(spec.classes) if spec.classes is not None else sorted(set(labels.tolist()))
    missing = [c for c in keep if c not in set(labels.tolist())]
    if missing:  # the schema allows 0..9 only; this guards a changed sklearn copy
        raise DataError(f"sklearn.datasets.load_digits: no rows of class {missing[0]}; "
                        f"classes: {', '.join(map(str, sorted(set(labels.tolist()))))}")
    rows = np.isin(labels, keep)
    X, y = X[rows], np.searchsorted(np.array(keep), labels[rows]).astype(np.int64)
    shape = DIGIT_VIEWS[spec.view]
    name = "digits" if spec.classes is None else "digits_" + "".join(map(str, keep))
    return Dataset(name, X, y, "sklearn.datasets.load_digits", checksum(X, y, shape),
                   classes=tuple(map(str, keep)), input_shape=shape)


def load_random(spec: RandomData, data_dir: Path) -> Dataset:
    """The random-features example: uniform features in [0, 1) and uniformly drawn labels
    ``0``..``K-1``, from ``numpy.random.default_rng(seed)``; nothing to learn, so accuracy
    stays at chance (1/K)."""
    rng = np.random.default_rng(spec.seed)
    X = rng.random((spec.n_samples, spec.n_features))
    y = rng.integers(0, spec.n_classes, spec.n_samples).astype(np.int64)
    absent = sorted(set(range(spec.n_classes)) - set(y.tolist()))
    if absent:
        raise DataError(f"random data (n_samples {spec.n_samples}, n_classes {spec.n_classes}, seed {spec.seed}): "
                        f"no row drew class {absent[0]}; use more samples or fewer classes")
    return Dataset("random", X, y, f"numpy.random.default_rng({spec.seed})", checksum(X, y),
                   classes=tuple(str(k) for k in range(spec.n_classes)))
