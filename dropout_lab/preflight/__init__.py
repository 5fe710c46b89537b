"""Preflight: every check of a config that needs its data, run before anything trains or is written.

:func:`check_run` runs them all and returns the run's planned splits and the warnings; the
problems of the checks that need no Keras are reported together (one ``ConfigError``, one
line each), so a user fixes a config in one go; the shapes follow once those pass:

- the output layer and the loss against the data's task and classes (:func:`check_output`):
  ``dense(1, linear)`` with a regression loss for a regression target;
- Monte Carlo dropout needs a dropout layer (:func:`check_inference`);
- the model's memory (:mod:`.model`, with those two);
- the protocol's sizes, every planned split of every repeat, early stopping's validation
  parts (:func:`check_splits`, :mod:`.data`);
- every layer can follow the one before it on the data's sample shape (:func:`check_shapes`).

Whether the config's engine trains the model is the engine's own check (``engines``, above
this layer): :mod:`dropout_lab.planning` asks it after these.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import ConfigError
from .data import check_splits, planned_splits
from .model import MAX_TRAINING_BYTES, check_inference, check_output
from .shapes import check_shapes
from .source import Source

__all__ = ["MAX_TRAINING_BYTES", "check_against_data", "check_inference", "check_output", "check_run",
           "check_shapes", "check_splits"]


def check_run(cfg, dataset, source: Source, before_keras: Callable[[], None] | None = None) -> tuple[list, list[str]]:
    """Every check of ``cfg`` against its loaded ``dataset`` (a :class:`~dropout_lab.data.Dataset`):
    the run's splits (planned once here) and the warnings.  The checks that need no Keras
    (output, inference, splits and sizes) raise one ``ConfigError`` whose lines are all their
    problems; the layers' shapes, which ask Keras (and so load TensorFlow), are checked once
    those pass, so that bad input is reported before TensorFlow starts.  ``before_keras`` is
    called between the two (the planner sets TensorFlow up there, before its first op)."""
    problems, result = [], ([], [])
    for check in (lambda: check_output(cfg, dataset.n_classes, source, dataset.name, dataset.task),
                  lambda: check_inference(cfg, source, dataset.task)):
        try:
            check()
        except ConfigError as exc:
            problems.append(str(exc))
    try:
        result = planned_splits(cfg, dataset.y, source, dataset.classes, dataset.input_shape, dataset.task)
    except ConfigError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))
    if before_keras is not None:
        before_keras()
    check_shapes(cfg, dataset.input_shape, source)
    return result


def check_against_data(cfg, dataset, source: Source) -> list[str]:
    """:func:`check_run`'s warnings (raises as it does)."""
    return check_run(cfg, dataset, source)[1]
