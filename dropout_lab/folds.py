"""One trained split and its result, whatever the engine: :class:`Split` in, :class:`FoldResult` out.

Light on purpose (no TensorFlow): splits.plan plans splits, engines return results,
``results`` journals and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas only in annotations: the CLI imports this module for --help
    import pandas as pd

from . import scoring
from .data import Dataset
from .predictions import predictions_frame, regression_frame
from .splits import Split

HISTORY_COLUMNS = ["repeat", "fold", "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy"]
ID_COLUMNS = ["repeat", "fold", "split_seed", "model_seed", "n_train", "n_test"]
# written only when the run has them: early stopping's epochs (see ``training.early_stopping``)
STOPPING_COLUMNS = ["stopped_epoch", "best_epoch"]
ENTROPY_COLUMNS = ["test_entropy_correct", "test_entropy_wrong", "mc_test_entropy_correct", "mc_test_entropy_wrong"]


def fold_columns(mc: bool = False, stopping: bool = False, task: str = "classification") -> list[str]:
    """``folds.csv``'s columns: the split's identity; train and test accuracy and test loss
    (where folds.csv always had them); the training time; then every other score, train and
    test (see :func:`dropout_lab.scoring.columns`).  With Monte Carlo dropout (``mc``) the
    held-out part's scores under it (``mc_test_<metric>``) and the mean predictive entropies
    of right and wrong predictions follow; with early stopping (``stopping``) the epoch each
    fold stopped at (``stopped_epoch``: epochs trained) and its best epoch (``best_epoch``).
    A regression ``task``: the split's identity, every score (``train_rmse``, ``test_rmse``...),
    the training time, then Monte Carlo dropout's columns (``mc_test_*``, ``mc_tau``)."""
    if task == "regression":
        scores = scoring.columns(task)
        extra = scoring.mc_columns(task) if mc else []
        return [*ID_COLUMNS, *scores, "fit_seconds", *extra, *(STOPPING_COLUMNS if stopping else [])]
    scores = scoring.columns()
    extra = [*scoring.mc_columns(), *ENTROPY_COLUMNS] if mc else []
    return [*ID_COLUMNS, *scores[:3], "fit_seconds", *scores[3:], *extra, *(STOPPING_COLUMNS if stopping else [])]


@dataclass(eq=False)
class FoldResult:
    """What training one split gave: its scores, the held-out rows' predicted
    probabilities (``(n_test, K)``, in the data's class order), the training time and,
    when recorded, the per-epoch history (:data:`HISTORY_COLUMNS`); with Monte Carlo
    dropout the held-out rows' averaged probabilities ``mc_test_proba`` (their scores are in
    ``scores``), with early stopping its epochs (``stopping``: :data:`STOPPING_COLUMNS`).

    A regression ``task``: ``test_proba`` holds the held-out rows' predicted values ``(n_test,)``
    (in the target's units) and ``mc_test_proba`` Monte Carlo dropout's predictive mean and
    standard deviation per row ``(n_test, 2)``."""

    repeat: int
    fold: int
    split_seed: int
    model_seed: int
    n_train: int
    n_test: int
    scores: dict[str, float]
    test_index: np.ndarray
    test_proba: np.ndarray
    fit_seconds: float
    history: pd.DataFrame | None = None
    mc_test_proba: np.ndarray | None = None
    stopping: dict[str, int] | None = None
    task: str = "classification"

    @property
    def key(self) -> tuple[int, int]:
        return self.repeat, self.fold

    def row(self) -> dict:
        """The split's row of ``folds.csv``."""
        row = {"repeat": self.repeat, "fold": self.fold, "split_seed": self.split_seed,
               "model_seed": self.model_seed, "n_train": self.n_train, "n_test": self.n_test,
               **self.scores, **(self.stopping or {}), "fit_seconds": round(self.fit_seconds, 3)}
        return {name: row[name] for name in fold_columns(self.mc_test_proba is not None, self.stopping is not None,
                                                          self.task)}

    def predictions(self, dataset: Dataset) -> pd.DataFrame:
        """The held-out rows' predictions (see :func:`dropout_lab.predictions.predictions_frame`,
        :func:`~dropout_lab.predictions.regression_frame`)."""
        if self.task == "regression":
            return regression_frame(self.test_index, self.repeat, self.fold, dataset.y[self.test_index],
                                    self.test_proba, self.mc_test_proba)
        return predictions_frame(self.test_index, self.repeat, self.fold, dataset.y[self.test_index],
                                         self.test_proba, dataset.classes, self.mc_test_proba)


def fold_result(split: Split, dataset: Dataset, proba_train, proba_test, seconds: float,
                history: pd.DataFrame | None = None, *, bins: int = scoring.DEFAULT_BINS,
                mc_proba_test=None, stopping: dict[str, int] | None = None, mc_validation=None,
                tau: float | None = None) -> FoldResult:
    """Score one trained split from the predicted probabilities its engine handed back: the
    one place a fold is scored (:func:`dropout_lab.scoring.score_fold`), once;
    ``mc_proba_test``: the held-out rows' Monte Carlo dropout probabilities, scored too.

    A regression dataset: ``proba_train`` and ``proba_test`` are the predicted values (in the
    target's units), ``mc_proba_test`` the test rows' passes ``[T, n_test]`` and
    ``mc_validation`` ``(rows, passes)``: validation rows carved from the training part and a
    model's passes over them, on which tau is chosen (never on test rows); or ``tau`` fixed."""
    if dataset.is_regression:
        return _regression_result(split, dataset, proba_train, proba_test, seconds, history, mc_proba_test,
                                  stopping, mc_validation, tau)
    K = dataset.n_classes
    proba_test = scoring.as_proba(proba_test, K)
    if mc_proba_test is not None:
        mc_proba_test = scoring.as_proba(mc_proba_test, K)
    scores = scoring.score_fold(dataset.y[split.train], proba_train, dataset.y[split.test], proba_test, K, bins,
                                mc_proba_test)
    return FoldResult(split.repeat, split.fold, split.split_seed, split.model_seed, len(split.train),
                      len(split.test), scores, np.asarray(split.test), proba_test, seconds, history,
                      mc_proba_test, stopping)


def _regression_result(split: Split, dataset: Dataset, pred_train, pred_test, seconds: float, history,
                       mc_test, stopping, mc_validation, tau) -> FoldResult:
    from .scoring import regression

    y = dataset.y
    pred_train, pred_test = (np.asarray(p, np.float64).reshape(-1) for p in (pred_train, pred_test))
    mc = None
    if mc_test is not None and tau is None:
        if mc_validation is None:
            raise ValueError("Monte Carlo dropout on a regression task needs the validation passes tau is chosen on")
        rows, passes = mc_validation
        if np.isin(rows, split.test).any() or not np.isin(rows, split.train).all():
            raise ValueError("tau's validation rows must come from the training part only")
        tau = regression.choose_tau(y[rows], passes)
    if mc_test is not None:
        samples = np.asarray(mc_test, np.float64)
        mc = np.stack([samples.mean(axis=0), regression.predictive_sd(samples, tau)], axis=1)
    scores = regression.score_fold(y[split.train], pred_train, y[split.test], pred_test, mc_test, tau)
    return FoldResult(split.repeat, split.fold, split.split_seed, split.model_seed, len(split.train),
                      len(split.test), scores, np.asarray(split.test), pred_test, seconds, history, mc, stopping,
                      task="regression")
