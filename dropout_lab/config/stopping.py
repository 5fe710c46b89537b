"""``training.early_stopping``: stop training when a validation score stops improving.

The validation part is carved from each fold's *training* part (stratified, seeded by
the fold's model seed), never from its test part; the model trains on the rest.  Keras'
``EarlyStopping`` callback watches ``monitor`` on it: training stops after ``patience``
epochs without an improvement larger than ``min_delta``, and with
``restore_best_weights`` the model goes back to the weights of its best epoch.
``training.epochs`` is the most it trains.
"""

from __future__ import annotations

from typing import Annotated

from ..types import Bool, NonNegativeFloat, Section, choice, expect, is_float, is_int

MONITORS = ("val_loss", "val_accuracy")


class EarlyStoppingConfig(Section):
    monitor: Annotated[str, choice(MONITORS)] = "val_loss"
    """The validation score watched."""
    patience: Annotated[int, expect("an integer >= 0", lambda v: is_int(v) and v >= 0)] = 10
    """Epochs without improvement before training stops."""
    min_delta: NonNegativeFloat = 0.0
    """The smallest change that counts as an improvement."""
    restore_best_weights: Bool = True
    """Go back to the weights of the best epoch when training stops."""
    validation_fraction: Annotated[
        float, expect("a float in (0, 1)", lambda v: is_float(v) and 0 < v < 1)] = 0.2
    """Share of each fold's training part (stratified, seeded) that validates; the model trains on the rest."""

    def validation_rows(self, n_train: int) -> int:
        """How many of ``n_train`` training rows validate (scikit-learn's ``ceil(fraction * n)``)."""
        import math

        return math.ceil(self.validation_fraction * n_train)
