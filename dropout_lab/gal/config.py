"""A Gal & Ghahramani protocol config: which UCI set, which splits, the grid and the training.

A YAML file such as ``configs/gal_uci/concrete.yaml``::

    name: gal_concrete
    data: {dataset: uci, name: concrete}
    epochs: 4000
    samples: 10000

Every key but ``data`` has the published protocol's value as its default; the grid and
the hidden units default to the set's own files (``dropout_rates.txt``, ``tau_values.txt``,
``n_hidden.txt``).  Errors are one line naming the file, the key, what was expected and
what was received, as for experiment configs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from pydantic import ValidationError

from ..config import UCI_SPLITS, UciData
from ..config.keypath import assign, parse_override
from ..config.messages import format_error
from ..config.yaml_io import read_yaml
from ..errors import ConfigError
from ..types import Bool, Name, PositiveFloat, PositiveInt, Rate, Section, Seed, Text, expect, is_float, is_int
from .grid import LENGTHSCALE, VALIDATION_FRACTION

Split = Annotated[int, expect(f"an integer in 0..{UCI_SPLITS - 1}", lambda v: is_int(v) and 0 <= v < UCI_SPLITS)]


class GalProtocol(Section):
    """The protocol ("grid search", the repository's current one), key by key:

    ``splits``: the fixed splits to run (null: every split of the set); ``validation_fraction``:
    the last part of each training part (file order) that validates the grid; ``dropout_rates``,
    ``tau_values``: the grid (null: the set's files); ``lengthscale``: the prior length-scale in the
    weight decay; ``hidden_units`` (null: ``n_hidden.txt``); ``epochs``, ``batch_size``,
    ``learning_rate``: Adam's training of each network (mse on the standardized target); ``samples``:
    T, the stochastic passes over the test part; ``validation_samples``: those over the validation
    part (null: ``samples``); ``xla``: compile the stacked training with XLA."""

    name: Name
    description: Text = ""
    seed: Seed = 1
    data: UciData
    splits: list[Split] | None = None
    validation_fraction: Annotated[float, expect("a float in (0, 1)", lambda v: is_float(v) and 0 < v < 1)] = \
        VALIDATION_FRACTION
    dropout_rates: list[Rate] | None = None
    tau_values: list[PositiveFloat] | None = None
    lengthscale: PositiveFloat = LENGTHSCALE
    hidden_units: PositiveInt | None = None
    epochs: PositiveInt = 4000
    batch_size: PositiveInt = 128
    learning_rate: PositiveFloat = 0.001
    samples: PositiveInt = 10_000
    validation_samples: PositiveInt | None = None
    xla: Bool = True


def load_protocol(path: str | Path, overrides: Sequence[str] = ()) -> GalProtocol:
    """Read a protocol config, apply ``--set KEY=VALUE`` overrides, validate; a
    ``ConfigError`` names the file (and the override) and the key."""
    path = Path(path)
    data = read_yaml(path)
    data.setdefault("name", path.stem)
    for item in overrides:
        try:
            tokens, value = parse_override(item)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        assign(data, tokens, value, f"{path}: --set {item!r}")
    try:
        protocol = GalProtocol.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(format_error(str(path), err)) from None
    if "split" in protocol.data.model_fields_set:
        raise ConfigError(f"{path}: data.split picks the one split of a run; a protocol runs the splits its key "
                          f"`splits` lists (null: all {UCI_SPLITS}). Received: data.split={protocol.data.split}")
    return protocol
