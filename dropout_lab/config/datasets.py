"""The ``data`` section of a config: one typed section per dataset, told apart by ``dataset``.

Each names what a loader of :mod:`dropout_lab.data` needs; unknown keys are errors.

Every section says which problem its data poses (``task``: ``classification`` or
``regression``).  The built-in datasets fix it (``diabetes``, ``friedman1`` and ``gap1d`` are
regression problems, the others classification); a user's ``csv`` or ``npz`` data states it
with the key ``task`` (default ``classification``): a continuous target is never guessed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from ..types import Bool, NonNegativeFloat, PositiveInt, Section, Seed, Text, choice, expect, is_float, is_int
from .inference import OmitDefaults

TASKS = ("classification", "regression")
Task = Annotated[str, choice(TASKS)]


class _Classification(Section):
    """A built-in dataset of classes."""

    @property
    def task(self) -> str:
        return "classification"


class _Regression(Section):
    """A built-in dataset with a continuous target."""

    @property
    def task(self) -> str:
        return "regression"


class SonarData(_Classification):
    dataset: Literal["sonar"]
    """The dataset."""


class CirclesData(_Classification):
    dataset: Literal["circles"]
    """The dataset."""
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 100
    """Points of sklearn.datasets.make_circles."""
    noise: NonNegativeFloat = 0.1
    """Standard deviation of the Gaussian noise added to the points."""
    random_state: Seed = 1
    """make_circles' seed."""


class CsvData(OmitDefaults):
    """A user's CSV: numeric features and one label column (``label_column``), classes unless
    ``task: regression`` (then the column is a numeric target)."""

    _OMITTED_AT_DEFAULT = {"task": lambda v: v == "classification"}

    dataset: Literal["csv"]
    """The dataset."""
    task: Task = "classification"
    """classification (the label column holds classes) or regression (a numeric target)."""
    path: Text
    """The CSV file: relative to the config file (given with --set or --sweep: to the working directory)."""
    label_column: Annotated[
        str | int | None,
        expect("a column name, a column index, or null (last column)",
               lambda v: v is None or isinstance(v, str) or is_int(v)),
    ] = None
    """The label column: its name, its index, or null for the last column."""
    header: Bool = True
    """Whether the first row holds the column names."""
    delimiter: Annotated[
        str, expect("a single character such as ',', ';' or '\\t'",
                    lambda v: isinstance(v, str) and len(v) == 1 and v not in '"\r\n')
    ] = ","
    """The field separator, one character."""
    positive_label: Annotated[
        str | int | None,
        expect("a label value or null", lambda v: v is None or isinstance(v, str) or is_int(v)),
    ] = None
    """With two classes, the label that is class 1; null: the larger label when sorted."""


DIGITS = tuple(range(10))
VIEWS = ("flat", "image", "sequence")


DigitClass = Annotated[
    int, expect(f"one of the digits' classes {', '.join(map(str, DIGITS))}", lambda v: is_int(v) and v in DIGITS)
]


class DigitsData(_Classification):
    """scikit-learn's bundled 8x8 handwritten digits (1,797 rows, 64 pixels 0..16, 10 classes).

    ``classes`` keeps only those digits; ``view`` is the shape of one sample: ``flat`` (64,),
    ``image`` (8, 8, 1), ``sequence`` (8, 8): 8 steps (rows) of 8 pixels."""

    dataset: Literal["digits"]
    """The dataset."""
    classes: list[DigitClass] | None = None
    """Keep only these digits (at least 2); null: all ten."""
    view: Annotated[str, choice(VIEWS)] = "flat"
    """One sample's shape: flat (64,), image (8, 8, 1) or sequence (8, 8): 8 steps of 8 pixels."""

    @field_validator("classes")
    @classmethod
    def _two_distinct(cls, value: list | None) -> list | None:
        if value is not None and (len(value) < 2 or len(set(value)) != len(value)):
            raise PydanticCustomError(
                "expected_output", "must list at least 2 different classes; got {got}", {"got": value})
        return value


class MnistData(_Classification):
    """MNIST as ``keras.datasets.mnist.load_data()`` gives it (downloaded once into the data cache,
    verified): 60,000 training then 10,000 test images of 28x28 pixels scaled to [0, 1], classes
    ``0``..``9``.  ``view`` is the shape of one sample: ``flat`` (784,), ``image`` (28, 28, 1),
    ``sequence`` (28, 28): 28 steps (rows) of 28 pixels."""

    dataset: Literal["mnist"]
    """The dataset."""
    view: Annotated[str, choice(VIEWS)] = "flat"
    """One sample's shape: flat (784,), image (28, 28, 1) or sequence (28, 28)."""


class NpzData(OmitDefaults):
    """A user's own arrays from a ``.npz`` file: ``X`` of any shape, rows first, and labels ``y``
    (with ``task: regression``, a numeric target)."""

    _OMITTED_AT_DEFAULT = {"task": lambda v: v == "classification"}

    dataset: Literal["npz"]
    """The dataset."""
    task: Task = "classification"
    """classification (the label column holds classes) or regression (a numeric target)."""
    path: Text
    """The .npz file, relative to the config file."""
    x_key: Text = "X"
    """The name of the features array in the file (any shape, rows first)."""
    y_key: Text = "y"
    """The name of the labels array in the file."""


class RandomData(_Classification):
    """Random features and random labels: the random-features example (accuracy stays at chance)."""

    dataset: Literal["random"]
    """The dataset."""
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 1200
    """Rows."""
    n_features: PositiveInt = 25
    """Features per row, uniform in [0, 1)."""
    n_classes: Annotated[int, expect("an integer >= 2", lambda v: is_int(v) and v >= 2)] = 5
    """Classes, drawn uniformly."""
    seed: Seed = 1
    """The generator's seed (numpy.random.default_rng)."""


class DiabetesData(_Regression):
    """scikit-learn's bundled diabetes data (``load_diabetes``): 442 rows of 10 features, the
    target a measure of disease progression one year later (25 to 346)."""

    dataset: Literal["diabetes"]
    """The dataset."""


class Friedman1Data(_Regression):
    """Friedman #1 (``sklearn.datasets.make_friedman1``): ``y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)**2
    + 10 x3 + 5 x4 + noise * N(0, 1)``, features uniform on [0, 1] (those after the fifth unused)."""

    dataset: Literal["friedman1"]
    """The dataset."""
    n_samples: Annotated[int, expect("an integer >= 10", lambda v: is_int(v) and v >= 10)] = 200
    """Rows of sklearn.datasets.make_friedman1."""
    n_features: Annotated[int, expect("an integer >= 5", lambda v: is_int(v) and v >= 5)] = 10
    """Features per row (the target uses the first five)."""
    noise: NonNegativeFloat = 1.0
    """Standard deviation of the Gaussian noise added to the target."""
    random_state: Seed = 1
    """make_friedman1's seed."""


Interval = Annotated[
    list[float], expect("a list [low, high] with low < high",
                        lambda v: isinstance(v, list) and len(v) == 2 and all(map(is_float, v)) and v[0] < v[1])]


class Gap1dData(_Regression):
    """A 1-D toy regression whose training inputs leave a gap: ``n_samples`` inputs drawn
    uniformly from ``domain`` outside ``gap``, targets ``sin(3x) + x / 2 + noise * N(0, 1)``;
    then ``n_grid`` evenly spaced inputs over ``grid`` (default: the domain; the gap included)
    with the noise-free target.  The sample rows come first, so ``evaluation: {protocol:
    holdout, n_train: <n_samples>}`` trains on them and tests on the grid."""

    dataset: Literal["gap1d"]
    """The dataset."""
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 80
    """Noisy training rows, drawn in the domain outside the gap (the first rows)."""
    n_grid: Annotated[int, expect("an integer >= 2", lambda v: is_int(v) and v >= 2)] = 200
    """Evenly spaced noise-free rows over the grid (after the training rows)."""
    domain: Interval = [-3.0, 3.0]
    """[low, high] of the training inputs."""
    gap: Interval = [-0.5, 1.5]
    """[low, high] inside the domain where no training input lies."""
    grid: Interval | None = None
    """[low, high] of the grid rows; null: the domain."""
    noise: NonNegativeFloat = 0.1
    """Standard deviation of the Gaussian noise on the training targets."""
    seed: Seed = 1
    """The generator's seed (numpy.random.default_rng)."""


# the UCI regression sets of Gal & Ghahramani's MC-dropout benchmark (dropout_lab.data.uci)
UCI_SETS = ("concrete", "energy", "wine-quality-red", "yacht")
UCI_SPLITS = 20


class UciData(_Regression):
    """One of the UCI regression sets of Gal & Ghahramani's MC-dropout benchmark (downloaded
    once into the data cache, every file verified by its SHA-256), with its 20 fixed
    train/test splits and its grid (:mod:`dropout_lab.data.uci`).  ``split`` picks the fixed
    split a run uses: its training rows, then its test rows (``evaluation: {protocol: holdout,
    n_train: <its training rows>}`` trains on that split)."""

    dataset: Literal["uci"]
    """The dataset."""
    name: Annotated[str, choice(UCI_SETS)]
    """Which of the four sets."""
    split: Annotated[int, expect(f"an integer in 0..{UCI_SPLITS - 1}",
                                 lambda v: is_int(v) and 0 <= v < UCI_SPLITS)] = 0
    """Which of the 20 fixed train/test splits the run uses."""


DataConfig = Annotated[SonarData | CirclesData | CsvData | DigitsData | MnistData | NpzData | RandomData
                       | DiabetesData | Friedman1Data | Gap1dData | UciData, Field(discriminator="dataset")]
