"""How a trained model is evaluated: ``evaluation.inference`` and ``evaluation.calibration_bins``.

``inference.mode: standard`` is Keras' default: every dropout layer is the identity at
prediction.  ``mode: mc_dropout`` (Monte Carlo dropout, Gal & Ghahramani 2016) keeps the
dropout layers (:data:`MC_DROPOUT_KINDS`) in training mode at prediction and averages the
predicted probabilities of ``samples`` stochastic passes; every other layer (batch
normalization, Gaussian noise, a recurrent layer's own dropout) stays in inference mode.
The held-out part is then scored both ways on the same trained model (``test_*`` and
``mc_test_*`` columns).

On a regression task the passes give each row a predictive mean and standard deviation;
the Gaussian log-likelihood needs the model precision tau (Gal & Ghahramani 2016), which is
chosen on a validation part of each training part (``validation_fraction`` of its rows, a
model trained on the rest), never on test rows: see :mod:`dropout_lab.scoring.regression`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import model_serializer, model_validator
from pydantic_core import PydanticCustomError

from ..layers import kinds_with
from ..types import PositiveInt, Section, choice, expect, is_float, is_int

INFERENCE_MODES = ("standard", "mc_dropout")
# the layer kinds Monte Carlo dropout keeps stochastic at prediction (the registry's mc_dropout flag)
MC_DROPOUT_KINDS = kinds_with("mc_dropout")
DEFAULT_SAMPLES = 50
DEFAULT_BINS = 15
DEFAULT_VALIDATION_FRACTION = 0.2  # of each training part, where tau is chosen (regression)

CalibrationBins = Annotated[int, expect("an integer >= 1", lambda v: is_int(v) and v >= 1)]


class InferenceConfig(Section):
    """``{mode: standard}`` or ``{mode: mc_dropout, samples: T}`` (T stochastic passes, default 50);
    ``validation_fraction``: regression only, the part of each training part tau is chosen on;
    ``tau``: regression only, a fixed precision instead (no validation model)."""

    mode: Annotated[str, choice(INFERENCE_MODES)] = "standard"
    """standard: dropout off at prediction (Keras' default); mc_dropout: dropout kept on, the probabilities of
    `samples` stochastic passes averaged."""
    samples: PositiveInt = DEFAULT_SAMPLES
    """Stochastic passes T of Monte Carlo dropout (mode mc_dropout only)."""
    validation_fraction: Annotated[
        float, expect("a float in (0, 1)", lambda v: is_float(v) and 0 < v < 1)] = DEFAULT_VALIDATION_FRACTION
    """Regression only: the part of each training part on which the model precision tau is chosen (a model
    trained on the rest); never test rows."""
    tau: Annotated[float | None, expect("a float > 0 or null", lambda v: v is None or (is_float(v) and v > 0))] = None
    """Regression only: a fixed model precision tau instead of one chosen on validation rows (no validation
    model is trained; for a grid over tau, as in Gal's UCI protocol)."""

    @model_validator(mode="after")
    def _samples_only_for_mc(self) -> InferenceConfig:
        if self.mode == "standard" and "samples" in self.model_fields_set:
            raise PydanticCustomError(
                "expected_output", "samples applies to mode mc_dropout only; got mode {mode!r} with samples {n}",
                {"mode": self.mode, "n": self.samples})
        return self

    @model_serializer(mode="wrap")
    def _plain(self, handler) -> Any:
        data = handler(self)
        if isinstance(data, dict) and self.mode == "standard":
            data.pop("samples", None)
        if isinstance(data, dict) and self.validation_fraction == DEFAULT_VALIDATION_FRACTION:
            data.pop("validation_fraction", None)  # configs written before it keep their hash
        if isinstance(data, dict) and self.tau is None:
            data.pop("tau", None)
        return data

    @property
    def mc(self) -> bool:
        return self.mode == "mc_dropout"


class OmitDefaults(Section):
    """A section whose options added after configs were first hashed (``_OMITTED_AT_DEFAULT``:
    key -> function of the value saying it is the default) are not written while they hold
    their default, so a config that does not use them resolves to the same text and hash."""

    _OMITTED_AT_DEFAULT: ClassVar[dict[str, Any]] = {}

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key, is_default in self._OMITTED_AT_DEFAULT.items():
                if key in data and is_default(getattr(self, key)):
                    del data[key]
        return data


def is_standard(inference: InferenceConfig) -> bool:
    return inference.mode == "standard"


def mc_dropout_layers(layers) -> list[int]:
    """Indices of the layers Monte Carlo dropout keeps stochastic (with a rate above 0)."""
    return [i for i, layer in enumerate(layers) if layer.type in MC_DROPOUT_KINDS and layer.rate > 0]
