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


class CirclesData(Section):
    dataset: Literal["circles"]
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 100
    noise: NonNegativeFloat = 0.1
    random_state: Seed = 1


class CsvData(Section):
    dataset: Literal["csv"]
    path: Text
    label_column: Annotated[
        str | int | None,
        expect("a column name, a column index, or null (last column)",
               lambda v: v is None or isinstance(v, str) or is_int(v)),
    ] = None
    header: Bool = True
    delimiter: Annotated[
        str, expect("a single character such as ',', ';' or '\\t'",
                    lambda v: isinstance(v, str) and len(v) == 1 and v not in '"\r\n')
    ] = ","
    positive_label: Annotated[
        str | int | None,
        expect("a label value or null", lambda v: v is None or isinstance(v, str) or is_int(v)),
    ] = None


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
    classes: list[DigitClass] | None = None
    view: Annotated[str, choice(VIEWS)] = "flat"

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
    view: Annotated[str, choice(VIEWS)] = "flat"


class NpzData(Section):
    """A user's own arrays from a ``.npz`` file: ``X`` of any shape, rows first, and labels ``y``."""

    dataset: Literal["npz"]
    path: Text
    x_key: Text = "X"
    y_key: Text = "y"


class RandomData(Section):
    """Random features and random labels: the random-features example (accuracy stays at chance)."""

    dataset: Literal["random"]
    n_samples: Annotated[int, expect("an integer >= 4", lambda v: is_int(v) and v >= 4)] = 1200
    n_features: PositiveInt = 25
    n_classes: Annotated[int, expect("an integer >= 2", lambda v: is_int(v) and v >= 2)] = 5
    seed: Seed = 1


# the UCI regression sets of Gal & Ghahramani's MC-dropout benchmark (dropout_lab.data.uci)
UCI_SETS = ("concrete", "energy", "wine-quality-red", "yacht")
UCI_SPLITS = 20


class UciData(Section):
    """One of the UCI regression sets of Gal & Ghahramani's MC-dropout benchmark (downloaded
    once into the data cache, every file verified by its SHA-256), with its 20 fixed
    train/test splits and its grid (:mod:`dropout_lab.data.uci`).  ``split`` picks the fixed
    split a run uses: its training rows, then its test rows."""

    dataset: Literal["uci"]
    name: Annotated[str, choice(UCI_SETS)]
    split: Annotated[int, expect(f"an integer in 0..{UCI_SPLITS - 1}",
                                 lambda v: is_int(v) and 0 <= v < UCI_SPLITS)] = 0


DataConfig = Annotated[SonarData | CirclesData | CsvData | DigitsData | MnistData | NpzData | RandomData,
                       Field(discriminator="dataset")]
