"""Stacked ``lstm`` and ``gru`` layers of the fused engine, with Keras' variational dropout.

Each model has its own kernel ``[models, features, gates * units]``, recurrent kernel
``[models, units, gates * units]`` and bias (LSTM ``[models, 4 * units]``; GRU
``[models, 2, 3 * units]``, Keras' ``reset_after=True``: an input and a recurrent bias).
The time steps are a loop unrolled at trace time (the steps are a static axis); each
step is one batched matrix product over models and gates.

Dropout as Keras 3's cells define it: ``dropout`` multiplies the layer's inputs and
``recurrent_dropout`` its previous state by masks drawn once per sequence and reused at
every time step.  With ``recurrent_dropout`` > 0 Keras switches the cell to
``implementation=1``, which draws one input mask and one recurrent mask *per gate*;
without it, one input mask for all gates.  Here each model draws a mask per gate from
its own streams, and a model whose ``recurrent_dropout`` is 0 uses its first input mask
for every gate, so both cases are one program.  Gates in Keras' order: LSTM input,
forget, cell, output (recurrent activation sigmoid, the candidate and output
``activation``); GRU update, reset, candidate (``h = z * h_prev + (1 - z) * candidate``).
"""

from __future__ import annotations

import tensorflow as tf

GATES = {"lstm": 4, "gru": 3}


def _per_gate(kernel: tf.Tensor, gates: int) -> tf.Tensor:
    """``[models, in, gates * units]`` -> ``[models, gates, in, units]``."""
    models, n_in, width = tf.shape(kernel)[0], kernel.shape[1], kernel.shape[2]
    return tf.transpose(tf.reshape(kernel, [models, n_in, gates, width // gates]), [0, 2, 1, 3])


def _lstm_step(x, r, state, carry, activation):
    i, f, c, o = tf.unstack(x + r, axis=1)  # the gates' pre-activations, in Keras' order
    carry = tf.sigmoid(f) * carry + tf.sigmoid(i) * activation(c)
    return tf.sigmoid(o) * activation(carry), carry


def _gru_step(x, r, state, carry, activation):
    (xz, xr, xc), (rz, rr, rc) = tf.unstack(x, axis=1), tf.unstack(r, axis=1)
    z = tf.sigmoid(xz + rz)
    candidate = activation(xc + tf.sigmoid(xr + rr) * rc)
    return z * state + (1 - z) * candidate, carry


_STEPS = {"lstm": _lstm_step, "gru": _gru_step}


def recurrent(kind: str, h: tf.Tensor, weights, activation, return_sequences: bool,
              input_masks: tf.Tensor | None = None, recurrent_masks: tf.Tensor | None = None,
              xla: bool = False) -> tf.Tensor:
    """A stacked ``kind`` layer on sequences ``h`` ``[models, rows, steps, features]``:
    ``[models, rows, units]`` (the last state), or every state ``[models, rows, steps,
    units]``.  ``input_masks`` ``[models, gates, rows, features]`` and
    ``recurrent_masks`` ``[models, gates, rows, units]`` (kept values already scaled by
    ``1 / (1 - rate)``), in training only.

    The time steps' input projections are taken apart by one ``unstack`` in graph mode
    (a slice per step would add a full-size gradient per step: twice the step time) and
    by a slice per step under XLA (which fuses slices; its ``unstack`` gradient took 3x
    the step time; docs/studies/fused-cnn-rnn.md)."""
    gates = GATES[kind]
    kernel, recurrent_kernel, bias = weights
    models, rows = tf.shape(h)[0], tf.shape(h)[1]
    steps, features, units = h.shape[2], h.shape[3], recurrent_kernel.shape[1]
    if kind == "gru":
        in_bias, rec_bias = bias[:, 0], bias[:, 1]
    else:
        in_bias, rec_bias = bias, None
    # every step's input projections at once: the input masks do not change over time
    x = h[:, None] if input_masks is None else h[:, None] * input_masks[:, :, :, None, :]
    x = tf.broadcast_to(x, [models, gates, rows, steps, features])
    x = tf.linalg.matmul(tf.reshape(x, [models, gates, -1, features]), _per_gate(kernel, gates))
    x = tf.reshape(x, [models, gates, rows, steps, units]) + tf.reshape(in_bias, [models, gates, 1, 1, units])
    r_kernel = _per_gate(recurrent_kernel, gates)
    r_bias = None if rec_bias is None else tf.reshape(rec_bias, [models, gates, 1, units])
    state = tf.zeros([models, rows, units])
    carry = state
    outputs = []
    # [models, gates, rows, units] per time step
    for x_t in [x[:, :, :, t] for t in range(steps)] if xla else tf.unstack(x, axis=3):
        s = state[:, None] if recurrent_masks is None else state[:, None] * recurrent_masks
        r = tf.linalg.matmul(s, r_kernel)  # without masks, one state for every gate: broadcast
        if r_bias is not None:
            r = r + r_bias
        state, carry = _STEPS[kind](x_t, r, state, carry, activation)
        outputs.append(state)
    return tf.stack(outputs, 2) if return_sequences else state
