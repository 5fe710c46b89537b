"""The fused engine's stacked forward pass: one function per layer kind (:data:`LAYER_FORWARD`).

A layer plan (:func:`.prepare.layer_plan`) is a tuple of entries, one per layer, each
a tuple whose first item is the kind and the rest what shapes the program::

    ("reshape", shape)                                    flat rows to samples of shape
    ("dense", activation, penalized)
    ("conv1d" | "conv2d", activation, penalized, window, strides, padding, xla)
    ("max_pooling1d" | ... | "average_pooling2d", size, strides, padding, xla)
    ("global_average_pooling1d" | "global_average_pooling2d",)
    ("flatten",)
    ("lstm" | "gru", activation, penalized, return_sequences, xla)
    ("batch_normalization", momentum, epsilon)
    (noise kind,)                                         dropout, spatial dropout, noise

Weighted kinds take :data:`WEIGHT_ARRAYS` arrays each from the flat list of weights
(the kernel first), batch normalization its four (:mod:`.normalization`; :data:`ARRAYS`
counts both); stochastic kinds draw from :func:`streams` random streams each.
"""

from __future__ import annotations

import tensorflow as tf

from . import normalization, spatial
from .noise import NOISE, dropout_masks, noise, spatial_mask
from .recurrent import GATES, recurrent
from .stacking import bc as _bc

# Keras 3's TensorFlow backend computes these activations with exactly these ops (one for
# every activation of the config schema: dropout_lab.types.ACTIVATIONS)
ACTIVATIONS = {
    "relu": tf.nn.relu, "sigmoid": tf.nn.sigmoid, "tanh": tf.nn.tanh, "linear": tf.identity,
    "elu": tf.nn.elu, "selu": tf.nn.selu, "softplus": tf.math.softplus, "swish": tf.nn.silu,
    "softmax": tf.nn.softmax,
}
# arrays per weighted layer: a kernel and a bias, or a kernel, a recurrent kernel and a bias
WEIGHT_ARRAYS = {"dense": 2, "conv1d": 2, "conv2d": 2, "lstm": 3, "gru": 3}
ARRAYS = {**WEIGHT_ARRAYS, **normalization.ARRAYS}  # every layer's arrays in the flat list of weights
STOCHASTIC = (*NOISE, *GATES)  # the kinds that draw noise in training


def streams(kind: str) -> int:
    """Random streams a layer of ``kind`` draws from in training: one per noise layer;
    a recurrent layer one per gate for its inputs and one per gate for its state."""
    return 1 if kind in NOISE else 2 * GATES.get(kind, 0)


def _dense(entry, h, w, draws, last):
    # x @ kernel + bias as Keras adds them; the bias enters through a matmul with ones so
    # that its gradient is a per-model matmul too (see program.max_norm)
    ones = tf.ones_like(h[..., :1])
    h = tf.linalg.matmul(h, w[0]) + tf.linalg.matmul(ones, w[1][:, None, :])
    return h if last else ACTIVATIONS[entry[1]](h)


def _conv(entry, h, w, draws, last):  # under XLA, or the models not a static axis (see _folds)
    _, activation, _, window, strides, padding, _ = entry
    return ACTIVATIONS[activation](spatial.conv(h, w[0], w[1], window, strides, padding))


def _pool(op):
    def apply(entry, h, w, draws, last):
        return spatial.pool(h, op, *entry[1:4])
    return apply


def _recurrent(entry, h, w, draws, last):
    kind, activation, _, return_sequences, xla = entry
    masks = {}
    if draws is not None:
        gates = GATES[kind]
        rates, scales, key, base = draws
        rows = tf.shape(h)[1:2]
        # per part (inputs, state), every gate's mask [models, gates, rows, width]: stream
        # part * gates + g, as one dropout layer per gate would draw it
        inputs, states = (
            dropout_masks(tf.concat([rows, [width]], 0), tf.stack([rates[s] for s in streams], 1),
                          tf.stack([scales[s][0] for s in streams], 1), key,
                          base[:, None] + tf.constant([list(streams)], base.dtype))
            for streams, width in ((range(gates), h.shape[3]), (range(gates, 2 * gates), w[1].shape[1])))
        # Keras' implementation=2 (no recurrent dropout) draws one input mask for all gates
        inputs = tf.where(_bc(rates[gates] > 0, inputs), inputs, inputs[:, :1])
        masks = {"input_masks": inputs, "recurrent_masks": states}
    return recurrent(kind, h, w, ACTIVATIONS[activation], return_sequences, xla=xla, **masks)


def _noise(entry, h, w, draws, last):
    if draws is None:
        return h  # at inference every noise layer is the identity
    rates, scales, key, base = draws
    return noise(entry[0], h, rates[0], scales[0], key, base)


def _conv_folded(entry, x, w, models, draws):
    _, activation, _, window, strides, padding, _ = entry
    return ACTIVATIONS[activation](spatial.grouped_conv(x, w[0], w[1], strides, padding))


def _pool_folded(op):
    def apply(entry, x, w, models, draws):
        return spatial.folded_pool(x, op, *entry[1:4])
    return apply


def _spatial_dropout_folded(entry, x, w, models, draws):
    if draws is None:
        return x
    rates, scales, key, base = draws
    n = len(x.shape) - 2  # spatial axes
    shape = tf.concat([[models], tf.shape(x)[:1], [1] * n, [x.shape[-1] // models]], 0)
    return x * spatial.fold(spatial_mask(shape, rates[0], scales[0][0], key, base))


LAYER_FORWARD = {
    "reshape": lambda entry, h, w, draws, last: spatial.reshape(h, entry[1]),
    "dense": _dense,
    "conv1d": _conv,
    "conv2d": _conv,
    "max_pooling1d": _pool("max"),
    "max_pooling2d": _pool("max"),
    "average_pooling1d": _pool("average"),
    "average_pooling2d": _pool("average"),
    "global_average_pooling1d": lambda entry, h, w, draws, last: spatial.global_average(h),
    "global_average_pooling2d": lambda entry, h, w, draws, last: spatial.global_average(h),
    "flatten": lambda entry, h, w, draws, last: spatial.flatten(h) if len(h.shape) > 3 else h,
    "lstm": _recurrent,
    "gru": _recurrent,
    "batch_normalization": lambda entry, h, w, draws, last: normalization.infer(entry, h, w),
    **{kind: _noise for kind in NOISE},
}
# In graph mode these kinds run on the models folded into the channels (spatial.fold), one
# TensorFlow op for all models; consecutive ones stay folded, so the maps are transposed
# once on the way in and once on the way out, not around every layer: (entry, folded maps,
# weights, models, draws) -> folded maps.  Convolutions and pooling fold unless compiled with
# XLA (their entry's last item); a spatial dropout runs folded when its input is.
FOLDED_FORWARD = {
    "conv1d": _conv_folded,
    "conv2d": _conv_folded,
    **{f"{op}_pooling{n}d": _pool_folded(op) for op in ("max", "average") for n in (1, 2)},
    "spatial_dropout1d": _spatial_dropout_folded,
    "spatial_dropout2d": _spatial_dropout_folded,
}
# kinds whose training pass differs and updates state: (entry, h, weights, valid) -> (h, {array: new value})
TRAINING_FORWARD = {"batch_normalization": normalization.train}


def states(layers: tuple) -> set[int]:
    """Where the arrays no optimizer trains (batch normalization's moving statistics) are
    in the flat list of weights."""
    found, j = set(), 0
    for entry in layers:
        if entry[0] in TRAINING_FORWARD:
            found |= {j + k for k in normalization.STATE}
        j += ARRAYS.get(entry[0], 0)
    return found


def forward(layers: tuple, weights, x, dropout=None, active=STOCHASTIC, valid=None):
    """Logits ``[models, rows, units]`` of the stacked net (the output layer's activation
    left off: see :data:`.heads.HEADS`).

    ``valid``, in a training step only, weighs the batch's rows ``[models, rows]`` (1, or 0
    for padding): the layers of :data:`TRAINING_FORWARD` (batch normalization) then use the
    batch's statistics, and the logits come with their new state, ``{index in weights: new
    value}`` (see :func:`states`).

    ``dropout``, in training only, is ``(rates, scales, key, counter)``, one rate and
    scales column per stream: a layer's stream ``d`` draws its masks from stream
    ``counter * n_streams + d``, where ``counter`` is each model's count of updates so far,
    so a model's masks do not depend on the models it is stacked with.  Only the layers
    whose kind is in ``active`` draw noise (Monte Carlo dropout: the dropout kinds).
    """
    n_streams = sum(streams(entry[0]) for entry in layers)
    last = max(i for i, entry in enumerate(layers) if entry[0] == "dense")
    h, j, d, new_state = x, 0, 0, {}
    models = None  # while the maps are folded (see FOLDED_FORWARD): how many models they hold
    for i, entry in enumerate(layers):
        kind = entry[0]
        n_w, n_s = ARRAYS.get(kind, 0), streams(kind)
        draws = None
        if dropout is not None and n_s and kind in active:
            rates, scales, key, counter = dropout
            draws = (rates[d : d + n_s], scales[d : d + n_s], key, counter * n_streams + d)
        if _folds(entry, h, models):
            if models is None:
                models, h = h.shape[0], spatial.fold(h)
            h = FOLDED_FORWARD[kind](entry, h, weights[j : j + n_w], models, draws)
            j, d = j + n_w, d + n_s
            continue
        if models is not None:
            h, models = spatial.unfold(h, models), None
        if valid is not None and kind in TRAINING_FORWARD:
            h, updated = TRAINING_FORWARD[kind](entry, h, weights[j : j + n_w], valid)
            new_state.update({j + k: value for k, value in updated.items()})
        else:
            h = LAYER_FORWARD[kind](entry, h, weights[j : j + n_w], draws, i == last)
        j, d = j + n_w, d + n_s
    if models is not None:
        h = spatial.unfold(h, models)
    return h if valid is None else (h, new_state)


def _folds(entry: tuple, h: tf.Tensor, models: int | None) -> bool:
    """Whether a layer runs on folded maps: a convolution or pooling in graph mode (the models
    a static axis), or a spatial dropout whose input is folded."""
    if entry[0] not in FOLDED_FORWARD:
        return False
    if entry[0] in NOISE:  # a spatial dropout: its entry has no mode
        return models is not None
    return not entry[-1] and (models is not None or h.shape[0] is not None)
