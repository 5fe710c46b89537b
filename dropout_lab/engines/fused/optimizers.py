"""Keras 3's optimizers and learning-rate schedules on stacked per-model variables.

Every hyper-parameter is a per-model column (see :mod:`.stacking`), so models with
different rates, momenta or schedule parameters train in one program; the optimizer's
kind and the schedule's kind shape the program and are the same across a group
(:func:`kind`).

Per step, each model's learning rate is its schedule evaluated at the model's own count
of updates so far (0 for its first), exactly as a Keras optimizer evaluates a
``LearningRateSchedule`` at its ``iterations``; a model with no rows in a step keeps its
count.  The arithmetic follows Keras' sources in order and in float32, with Python-side
constants (``1 - beta`` for Adam, ``1 - alpha`` for the cosine) rounded where Keras
rounds them:

* ``sgd``: ``m = m * momentum - g * lr``; ``w += m`` (Nesterov: ``w += m * momentum - g * lr``);
* ``adam``: ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``, moments
  ``m += (g - m) * (1 - beta_1)``, ``v += (g**2 - v) * (1 - beta_2)``,
  ``w -= m * alpha / (sqrt(v) + epsilon)`` with ``t`` the update's 1-based number;
* ``adamw``: ``w -= w * weight_decay * lr`` on every variable (biases included, as Keras
  does unless told otherwise), then ``adam``'s update;
* ``rmsprop``: ``v = rho * v + (1 - rho) * g**2``, ``step = lr * g / sqrt(v + epsilon)``,
  ``mom = momentum * mom + step``, ``w -= mom``;
* ``nadam``: ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``, a per-model running product
  ``u_prod *= u_t`` (Keras' ``_u_product``), the moments as Adam's,
  ``m_hat = u_{t+1} * m / (1 - u_prod * u_{t+1}) + (1 - u_t) * g / (1 - u_prod)``,
  ``v_hat = v / (1 - beta_2**t)``, ``w -= m_hat * lr / (sqrt(v_hat) + epsilon)``.

Schedules (``keras.optimizers.schedules``, at step ``s``): ``exponential_decay``
``lr0 * rate ** p``, ``inverse_time_decay`` ``lr0 / (1 + rate * p)`` with ``p = s /
decay_steps`` (floored when ``staircase``); ``cosine_decay`` a linear warm-up to
``warmup_target`` over ``warmup_steps``, then ``target * ((1 - alpha) * 0.5 * (1 +
cos(pi * min(s', D) / D)) + alpha)``; ``piecewise_constant`` ``values[i]`` where ``i``
counts the boundaries below ``s``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from ...config import SCHEDULES, Experiment, schedule_of
from .stacking import bc, in_packets, packet_pow

# what each optimizer implements (keys beyond these must hold their schema default)
FIELDS = {
    "sgd": {"name", "learning_rate", "momentum", "nesterov"},
    "adam": {"name", "learning_rate", "beta_1", "beta_2", "epsilon"},
    "rmsprop": {"name", "learning_rate", "rho", "momentum", "epsilon"},
    "nadam": {"name", "learning_rate", "beta_1", "beta_2", "epsilon"},
    "adamw": {"name", "learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon"},
}
CONSTANT = "constant"
# every key of every schedule is implemented
SCHEDULE_FIELDS = {name: set(section.model_fields) for name, section in SCHEDULES.items()}
N_SLOTS = {"sgd": 1, "adam": 2, "rmsprop": 2, "nadam": 2, "adamw": 2}
KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): RMSprop's default
_NADAM_DECAY = 0.96  # Keras' Nadam momentum-schedule base


def kind(cfg: Experiment) -> tuple[str, str]:
    """(optimizer name, schedule name or ``"constant"``): what shapes the program."""
    opt = cfg.training.optimizer
    return opt.name, schedule_of(opt.learning_rate)


# --- per-model numbers ---

def _f32(x) -> np.float32:
    return np.float32(x)


def _schedule_numbers(lr) -> dict:
    """The schedule's numbers as the program uses them (float32 as Keras casts them)."""
    name = schedule_of(lr)
    if name == CONSTANT:
        return {"lr": lr}
    if name in ("exponential_decay", "inverse_time_decay"):
        return {"lr0": lr.initial_learning_rate, "decay_steps": lr.decay_steps, "decay_rate": lr.decay_rate,
                "staircase": float(lr.staircase)}
    if name == "cosine_decay":  # no warm-up = a warm-up of 0 steps to the initial rate: the same numbers
        target = lr.initial_learning_rate if lr.warmup_target is None else lr.warmup_target
        return {"lr0": lr.initial_learning_rate, "decay_steps": lr.decay_steps,
                "one_minus_alpha": 1 - lr.alpha, "alpha": lr.alpha, "warmup_target": target,
                "warmup_steps": lr.warmup_steps if lr.warmup_target is not None else 0}
    return {"boundaries": list(lr.boundaries), "values": list(lr.values)}


def _optimizer_numbers(opt) -> dict:
    """Keras' ``1 - beta`` is a Python float for Adam and RMSprop, a float32 op for Nadam."""
    if opt.name == "sgd":
        return {"momentum": opt.momentum, "nesterov": float(opt.nesterov)}
    if opt.name in ("adam", "adamw"):
        extra = {"weight_decay": opt.weight_decay} if opt.name == "adamw" else {}
        return {"beta_1": opt.beta_1, "beta_2": opt.beta_2, "one_minus_beta_1": 1 - opt.beta_1,
                "one_minus_beta_2": 1 - opt.beta_2, "epsilon": opt.epsilon, **extra}
    if opt.name == "nadam":
        return {"beta_1": opt.beta_1, "beta_2": opt.beta_2, "one_minus_beta_1": _f32(1) - _f32(opt.beta_1),
                "one_minus_beta_2": _f32(1) - _f32(opt.beta_2), "epsilon": opt.epsilon}
    return {"rho": opt.rho, "one_minus_rho": 1 - opt.rho, "momentum": opt.momentum,
            "epsilon": getattr(opt, "epsilon", KERAS_EPSILON)}


def columns(cfgs: Sequence[Experiment]) -> dict[str, tf.Tensor]:
    """Each model's optimizer and schedule numbers as ``[models]`` float32 columns (a
    piecewise schedule's ``boundaries`` as ``[models, B]`` int32 and ``values`` as
    ``[models, B + 1]``, padded with each model's last entry)."""
    numbers = [{**_schedule_numbers(c.training.optimizer.learning_rate), **_optimizer_numbers(c.training.optimizer)}
               for c in cfgs]
    out = {}
    for name in numbers[0]:
        values = [n[name] for n in numbers]
        if name in ("boundaries", "values"):
            width = max(len(v) for v in values)
            values = [v + v[-1:] * (width - len(v)) for v in values]
        dtype = "int32" if name == "boundaries" else "float32"
        out[name] = tf.constant(np.asarray(values, dtype))
    return out


def initial_state(name: str, n_models) -> tuple:
    """Per-model optimizer state besides the slots: Nadam's running product of ``u_t``
    (Keras' ``_u_product``, 1 before the first update)."""
    return (tf.ones([n_models]),) if name == "nadam" else ()


# --- one step ---

def learning_rate(schedule: str, hp: dict, step: tf.Tensor) -> tf.Tensor:
    """Each model's learning rate at its update count ``step`` (``[models]`` int32)."""
    if schedule == CONSTANT:
        return hp["lr"]
    if schedule == "piecewise_constant":
        index = tf.reduce_sum(tf.cast(step[:, None] > hp["boundaries"], tf.int32), axis=1)
        return tf.gather(hp["values"], index, batch_dims=1)
    s = tf.cast(step, tf.float32)
    if schedule in ("exponential_decay", "inverse_time_decay"):
        p = s / hp["decay_steps"]
        p = tf.where(hp["staircase"] > 0, tf.floor(p), p)
        if schedule == "exponential_decay":
            return hp["lr0"] * packet_pow(hp["decay_rate"], p)
        return hp["lr0"] / (1.0 + hp["decay_rate"] * p)
    if schedule == "cosine_decay":
        warmup, steps = hp["warmup_steps"], hp["decay_steps"]
        s = tf.minimum(s, steps + warmup)
        warming = (hp["warmup_target"] - hp["lr0"]) * (s / warmup) + hp["lr0"]
        fraction = (s - warmup) / steps
        cosine = 0.5 * (1.0 + in_packets(tf.cos, tf.constant(math.pi, tf.float32) * fraction))
        decayed = hp["warmup_target"] * (hp["one_minus_alpha"] * cosine + hp["alpha"])
        return tf.where(s < warmup, warming, decayed)
    raise ValueError(f"unknown schedule {schedule!r}")


def step_numbers(kind_: tuple[str, str], hp: dict, step: tf.Tensor, state: tuple) -> tuple[dict, tuple]:
    """The per-model numbers of one update (learning rate, Adam's ``alpha``, Nadam's
    ``u``s) from each model's update count before it, and the new state."""
    name, schedule = kind_
    lr = learning_rate(schedule, hp, step)
    t = tf.cast(step + 1, tf.float32)  # Keras' local_step = iterations + 1
    out = {**hp, "lr": lr}
    if name in ("adam", "adamw"):
        out["alpha"] = lr * tf.sqrt(1 - packet_pow(hp["beta_2"], t)) / (1 - packet_pow(hp["beta_1"], t))
    if name == "nadam":
        decay = tf.fill(tf.shape(t), tf.constant(_NADAM_DECAY, tf.float32))
        u_t = hp["beta_1"] * (1.0 - 0.5 * packet_pow(decay, t))
        u_next = hp["beta_1"] * (1.0 - 0.5 * packet_pow(decay, t + 1))
        (u_product,) = state
        u_product = u_product * hp["beta_1"] * (1.0 - 0.5 * packet_pow(decay, t))
        out.update(u_t=u_t, u_next=u_next, u_product=u_product, u_product_next=u_product * u_next,
                   beta_2_power=packet_pow(hp["beta_2"], t))
        state = (u_product,)
    return out, state


def update(name: str, w: tf.Tensor, g: tf.Tensor, slots: tuple, n: dict) -> tuple[tf.Tensor, tuple]:
    """One Keras update of a stacked variable with this step's numbers ``n``; returns
    (new w, new slots)."""
    lr = bc(n["lr"], w)
    if name == "sgd":
        (m,) = slots
        momentum = bc(n["momentum"], w)
        m = m * momentum - g * lr
        return w + tf.where(bc(n["nesterov"], w) > 0, m * momentum - g * lr, m), (m,)
    if name in ("adam", "adamw"):
        if name == "adamw":  # Keras' _apply_weight_decay, before the update
            w = w - w * bc(n["weight_decay"], w) * lr
        m, v = slots
        m = m + (g - m) * bc(n["one_minus_beta_1"], w)
        v = v + (tf.square(g) - v) * bc(n["one_minus_beta_2"], w)
        return w - (m * bc(n["alpha"], w)) / (tf.sqrt(v) + bc(n["epsilon"], w)), (m, v)
    if name == "nadam":
        m, v = slots
        m = m + (g - m) * bc(n["one_minus_beta_1"], w)
        v = v + (tf.square(g) - v) * bc(n["one_minus_beta_2"], w)
        m_hat = (bc(n["u_next"], w) * m) / bc(1 - n["u_product_next"], w) + (
            (bc(1 - n["u_t"], w) * g) / bc(1 - n["u_product"], w))
        v_hat = v / bc(1 - n["beta_2_power"], w)
        return w - (m_hat * lr) / (tf.sqrt(v_hat) + bc(n["epsilon"], w)), (m, v)
    velocity, momentum_slot = slots
    velocity = bc(n["rho"], w) * velocity + bc(n["one_minus_rho"], w) * tf.square(g)
    # divide_no_nan: a plain x / sqrt(y) is rewritten by grappler into x * rsqrt(y), whose
    # SIMD and scalar results differ (see stacking.lanes); the denominator is never 0 here
    increment = tf.math.divide_no_nan(lr * g, tf.sqrt(velocity + bc(n["epsilon"], w)))
    momentum_slot = bc(n["momentum"], w) * momentum_slot + increment
    return w - momentum_slot, (velocity, momentum_slot)
