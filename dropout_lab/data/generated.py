"""Datasets made in memory, no file needed: ``circles``, ``digits``, ``random``; the regression
problems ``diabetes``, ``friedman1`` and ``gap1d``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import CirclesData, DiabetesData, DigitsData, Friedman1Data, Gap1dData, RandomData
from ..errors import DataError
from .dataset import Dataset, checksum, regression_dataset


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


def load_diabetes(spec: DiabetesData, data_dir: Path) -> Dataset:
    """scikit-learn's bundled diabetes data: 442 rows, 10 features (as scikit-learn scales
    them), the target a quantitative measure of disease progression a year later."""
    from sklearn.datasets import load_diabetes as sk_diabetes

    bunch = sk_diabetes()
    return regression_dataset("diabetes", bunch.data.astype(np.float64), bunch.target,
                              "sklearn.datasets.load_diabetes", target="disease progression")


def load_friedman1(spec: Friedman1Data, data_dir: Path) -> Dataset:
    """Friedman #1 from ``sklearn.datasets.make_friedman1`` with the section's settings."""
    from sklearn.datasets import make_friedman1

    X, y = make_friedman1(n_samples=spec.n_samples, n_features=spec.n_features, noise=spec.noise,
                          random_state=spec.random_state)
    return regression_dataset("friedman1", X, y, "sklearn.datasets.make_friedman1", target="y")


def gap1d_function(x: np.ndarray) -> np.ndarray:
    """The noise-free target of the ``gap1d`` toy: ``sin(3x) + x / 2``."""
    return np.sin(3 * x) + x / 2


def load_gap1d(spec: Gap1dData, data_dir: Path) -> Dataset:
    """The 1-D toy with a gap (see :class:`~dropout_lab.config.Gap1dData`): ``n_samples``
    noisy rows outside the gap first, then ``n_grid`` noise-free rows on a grid over the domain."""
    (low, high), (gap_lo, gap_hi) = spec.domain, spec.gap
    if not low < gap_lo < gap_hi < high:
        raise DataError(f"gap1d: data.gap must lie inside data.domain {spec.domain}; got {spec.gap}")
    rng = np.random.default_rng(spec.seed)
    # uniform on [low, high] minus the gap: draw on the shorter line, then step over the gap
    u = rng.uniform(low, high - (gap_hi - gap_lo), spec.n_samples)
    x = np.sort(np.where(u < gap_lo, u, u + (gap_hi - gap_lo)))
    y = gap1d_function(x) + spec.noise * rng.standard_normal(spec.n_samples)
    grid = np.linspace(*(spec.grid or spec.domain), spec.n_grid)
    X = np.concatenate([x, grid]).reshape(-1, 1)
    return regression_dataset("gap1d", X, np.concatenate([y, gap1d_function(grid)]),
                              f"numpy.random.default_rng({spec.seed})", target="sin(3x) + x/2")
