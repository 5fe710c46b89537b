"""Training engines other than the SciKeras one in :mod:`dropout_lab.runner`.

:mod:`dropout_lab.engines.fused` trains many models of one architecture at once as a
single stacked TensorFlow program (all folds, repeats and sweep cells together);
:mod:`.optimizers` holds its Keras optimizer updates and learning-rate schedules on
per-model columns, :mod:`.stacking` the column and SIMD-packet helpers they share.
"""

from . import optimizers
from .fused import Task, architecture_key, check_supported, train_tasks

__all__ = ["Task", "architecture_key", "check_supported", "optimizers", "train_tasks"]
