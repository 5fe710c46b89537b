"""Per-model columns of the fused engine's stacked tensors, and their SIMD-packet layout.

A stacked tensor has the models on its first axis; a *column* is one number per model,
shape ``[models]`` (a learning rate, a dropout rate, a step count).
"""

from __future__ import annotations

import tensorflow as tf

LANES = 16  # floats per AVX-512 packet (and two AVX ones)


def lanes(n: int) -> int:
    """``n`` rounded up to whole SIMD packets.

    Eigen computes some functions (exp, log1p, tanh, pow, cos, reciprocal...) slightly
    differently in a packet and in the scalar tail of an array.  With every model's slab
    of every array a whole number of packets, each model's numbers are computed the same
    way whatever the number of models stacked with it, so a task gives the same bits
    alone or in any group.
    """
    return -(-n // LANES) * LANES


def bc(column: tf.Tensor, like: tf.Tensor) -> tf.Tensor:
    """A per-model ``[models]`` column reshaped to broadcast against ``like``."""
    return tf.reshape(column, [-1] + [1] * (len(like.shape) - 1))


def in_packets(fn, *columns: tf.Tensor) -> tf.Tensor:
    """``fn`` applied elementwise to ``[models]`` columns, each model's value computed in a
    whole packet of its own (see :func:`lanes`)."""
    return fn(*(tf.tile(c[:, None], [1, LANES]) for c in columns))[:, 0]


def packet_pow(base: tf.Tensor, exponent: tf.Tensor) -> tf.Tensor:
    """``base ** exponent`` of ``[models]`` columns, computed in whole packets."""
    return in_packets(tf.pow, base, exponent)
