"""Recurrent layer kinds: ``lstm`` and ``gru`` over (steps, features).

``dropout`` drops the layer's inputs and ``recurrent_dropout`` its recurrent state, each
with one mask per sequence, the same at every time step (the variational RNN of Gal &
Ghahramani, as Keras implements it in the cell); a ``dropout`` layer before the
recurrent layer draws a new mask per time step instead.
"""

from __future__ import annotations

from typing import Literal

from ..types import Activation, Bool, Initializer, MaxNorm, PositiveInt, Rate
from .options import KernelRegularizer, LayerSpec, kernel_regularizer, max_norm
from .registry import SEQUENCE, register


class _Recurrent(LayerSpec):
    type: str  # each kind narrows it to its name; declared here so that it comes first
    """The layer kind."""
    units: PositiveInt
    """Units of the recurrent state (and of the output)."""
    activation: Activation = "tanh"
    """The activation of the candidate state and output."""
    dropout: Rate = 0.0
    """Dropout on the layer's inputs, one mask per sequence (the variational RNN)."""
    recurrent_dropout: Rate = 0.0
    """Dropout on the recurrent state, one mask per sequence."""
    return_sequences: Bool = False
    """Output every step (steps, units) instead of the last (units,)."""
    kernel_initializer: Initializer = "glorot_uniform"
    """How the input kernel's weights are initialized."""
    max_norm: MaxNorm = None
    """Max-norm constraint on the input kernel's columns; null: none."""
    kernel_regularizer: KernelRegularizer | None = None
    """An L1/L2 penalty on the input kernel, added to the training loss; null: none."""


class LSTMLayer(_Recurrent):
    """``keras.layers.LSTM``; ``return_sequences: true`` outputs every step (steps, units)
    for a following recurrent layer, else the last step (units,); ``max_norm`` and
    ``kernel_regularizer`` apply to the input kernel (not the recurrent one)."""

    type: Literal["lstm"]
    """The layer kind."""


class GRULayer(_Recurrent):
    """``keras.layers.GRU``, with the same options as ``lstm``."""

    type: Literal["gru"]
    """The layer kind."""


def _recurrent(cls, spec: _Recurrent):
    return cls(
        spec.units,
        activation=spec.activation,
        dropout=spec.dropout,
        recurrent_dropout=spec.recurrent_dropout,
        return_sequences=spec.return_sequences,
        kernel_initializer=spec.kernel_initializer,
        kernel_constraint=max_norm(spec.max_norm, axis=0),
        kernel_regularizer=kernel_regularizer(spec.kernel_regularizer),
    )


# weight blocks per unit: LSTM 4 gates (input, forget, cell, output), each with a kernel,
# a recurrent kernel and one bias; GRU 3 (update, reset, candidate), each with two biases
# (Keras' default reset_after=True: one for the input, one for the recurrent part)
_GATES = {"lstm": (4, 1), "gru": (3, 2)}


def _recurrent_params(spec: _Recurrent, shape: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Per gate: a kernel (features x units), a recurrent kernel (units x units) and its bias(es)."""
    steps, features = shape
    gates, biases = _GATES[spec.type]
    count = gates * spec.units * (features + spec.units + biases)
    return count, ((steps, spec.units) if spec.return_sequences else (spec.units,))


# every option of a recurrent layer is trained by the fused engine
_FUSED = ("units", "activation", "dropout", "recurrent_dropout", "return_sequences", "kernel_initializer",
          "max_norm", "kernel_regularizer")


@register(LSTMLayer, needs=SEQUENCE, params=_recurrent_params, fused=_FUSED)
def _lstm(spec: LSTMLayer):
    import keras

    return _recurrent(keras.layers.LSTM, spec)


@register(GRULayer, needs=SEQUENCE, params=_recurrent_params, fused=_FUSED)
def _gru(spec: GRULayer):
    import keras

    return _recurrent(keras.layers.GRU, spec)
