"""The ``data`` section of a config: one typed section per dataset, told apart by ``dataset``.

Each names what a loader of :mod:`dropout_lab.data` needs; unknown keys are errors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from ..types import Bool, NonNegativeFloat, PositiveInt, Section, Seed, Text, choice, expect, is_int


class SonarData(Section):
    dataset: Literal["sonar"]
    """The dataset."""


class CirclesData(Section):
    dataset: Literal["circles"]
    """The dataset."""
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 100
    """Points of sklearn.datasets.make_circles."""
    noise: NonNegativeFloat = 0.1
    """Standard deviation of the Gaussian noise added to the points."""
    random_state: Seed = 1
    """make_circles' seed."""


class CsvData(Section):
    dataset: Literal["csv"]
    """The dataset."""
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


class DigitsData(Section):
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


class MnistData(Section):
    """MNIST as ``keras.datasets.mnist.load_data()`` gives it (downloaded once into the data cache,
    verified): 60,000 training then 10,000 test images of 28x28 pixels scaled to [0, 1], classes
    ``0``..``9``.  ``view`` is the shape of one sample: ``flat`` (784,), ``image`` (28, 28, 1),
    ``sequence`` (28, 28): 28 steps (rows) of 28 pixels."""

    dataset: Literal["mnist"]
    """The dataset."""
    view: Annotated[str, choice(VIEWS)] = "flat"
    """One sample's shape: flat (784,), image (28, 28, 1) or sequence (28, 28)."""


class NpzData(Section):
    """A user's own arrays from a ``.npz`` file: ``X`` of any shape, rows first, and labels ``y``."""

    dataset: Literal["npz"]
    """The dataset."""
    path: Text
    """The .npz file, relative to the config file."""
    x_key: Text = "X"
    """The name of the features array in the file (any shape, rows first)."""
    y_key: Text = "y"
    """The name of the labels array in the file."""


class RandomData(Section):
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


DataConfig = Annotated[SonarData | CirclesData | CsvData | DigitsData | MnistData | NpzData | RandomData,
                       Field(discriminator="dataset")]
