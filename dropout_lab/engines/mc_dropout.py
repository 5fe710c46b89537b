"""Monte Carlo dropout with a trained Keras model (the SciKeras engine's inference mode).

``model(x, training=True)`` would switch *every* layer to training mode: batch
normalization would normalize with the batch's own statistics (and update its moving
averages), Gaussian noise would add noise.  Monte Carlo dropout keeps only the dropout
layers stochastic, so :func:`mc_predict_proba` calls the model's layers one by one, each
dropout layer (of the Keras classes the layer registry builds for its ``mc_dropout``
kinds, :func:`dropout_classes`) with ``training=True`` and every other layer with
``training=False``.

The ``samples`` passes are one call on the rows repeated ``samples`` times (each copy of
a row draws its own masks, as a separate pass would); the mean of the copies'
probabilities is the prediction.  Each dropout layer's random stream is reset to a seed
derived from ``seed`` and the layer's position first, so the prediction is a function of
the trained weights, the rows, ``samples`` and ``seed``.
"""

from __future__ import annotations

import functools

import keras
import numpy as np

from ..config import MC_DROPOUT_KINDS
from ..errors import ConfigError
from ..layers import LAYERS
from ..splits import derive_seed


@functools.cache
def dropout_classes() -> tuple[type, ...]:
    """The Keras classes of the layers Monte Carlo dropout keeps stochastic: what the layer
    registry builds for each of its ``mc_dropout`` kinds (``config.MC_DROPOUT_KINDS``)."""
    built = (LAYERS[kind].build(LAYERS[kind].spec.model_validate({"type": kind, "rate": 0.5}))
             for kind in MC_DROPOUT_KINDS)
    return tuple(dict.fromkeys(type(layer) for layer in built))


def dropout_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's dropout layers with a rate above 0 (those Monte Carlo dropout keeps on)."""
    return [layer for layer in model.layers if isinstance(layer, dropout_classes()) and layer.rate > 0]


def mc_predict_proba(model: keras.Model, X: np.ndarray, samples: int, seed: int,
                     max_rows: int = 200_000) -> np.ndarray:
    """The mean of ``samples`` stochastic forward passes of ``model`` over the rows ``X``,
    dropout layers in training mode, every other layer in inference mode: the model's
    output shape (``(n, 1)`` for a sigmoid output, ``(n, K)`` for softmax).

    Raises :class:`ConfigError` when the model has no dropout layer (every pass would be
    the standard prediction).  ``max_rows`` bounds the repeated rows held at once.
    """
    total = None
    for out in _passes(model, X, samples, seed, max_rows):
        part = out.sum(axis=0)
        total = part if total is None else total + part
    return total / samples


def mc_predict_samples(model: keras.Model, X: np.ndarray, samples: int, seed: int,
                       max_rows: int = 200_000) -> np.ndarray:
    """Every one of ``samples`` stochastic passes (as :func:`mc_predict_proba` makes them) of a
    one-output model over the rows ``X``: ``[samples, n]`` (a regression model's predicted values)."""
    return np.concatenate([out[..., 0] for out in _passes(model, X, samples, seed, max_rows)], axis=0)


def _passes(model: keras.Model, X: np.ndarray, samples: int, seed: int, max_rows: int):
    """The passes in chunks ``[reps, n, outputs]`` (float64), the streams seeded first."""
    if samples < 1:
        raise ValueError(f"Expected samples >= 1. Received: samples={samples}")
    drops = dropout_layers(model)
    if not drops:
        raise ConfigError("evaluation.inference.mode mc_dropout: the model has no dropout layer with a rate above "
                          "0; mc_dropout would equal standard inference")
    for i, layer in enumerate(drops):
        layer.seed_generator.state.assign(np.array([derive_seed(seed, 2, i) % 2**31, 0], dtype="int64").astype(
            layer.seed_generator.state.dtype))
    X = np.asarray(X, dtype="float32")
    stochastic = dropout_classes()
    per_call = max(1, max_rows // max(len(X), 1))
    done = 0
    while done < samples:
        reps = min(per_call, samples - done)
        h = keras.ops.convert_to_tensor(np.tile(X, (reps, 1)))
        for layer in model.layers:
            h = layer(h, training=isinstance(layer, stochastic))
        yield keras.ops.convert_to_numpy(h).astype(np.float64).reshape(reps, len(X), -1)
        done += reps
