"""The SciKeras engine (the reference): one ``Pipeline(StandardScaler, KerasClassifier)`` per split
(for a regression target ``Pipeline(StandardScaler, TransformedTargetRegressor(KerasRegressor,
StandardScaler))``: the target standardized on the training part, predictions in its units).

Each split fits a fresh pipeline on its training part and predicts probabilities for
both parts, which :mod:`dropout_lab.scoring` scores.  The classifier is SciKeras' behind
:class:`.sklearn_adapter.KerasClassifierAdapter`, a correct scikit-learn classifier on
every supported scikit-learn.  Labels reach Keras as SciKeras' target encoder makes them:
one-hot for ``categorical_crossentropy`` (it sees the loss because the classifier is
given ``loss=``), class indices otherwise.  The encoder is told every class of the data,
so ``classes_`` and the probability columns are the data's classes in order even when a
training part lacks one.

With ``evaluation.inference.mode: mc_dropout`` the held-out part is also predicted by
Monte Carlo dropout (:mod:`.mc_dropout`), seeded by the split's model seed.  With
``training.early_stopping`` the model fits on the training part minus a stratified
validation part carved from it (:func:`dropout_lab.splits.validation_split`), which
Keras' ``EarlyStopping`` watches; the test part is never seen before scoring.

:func:`fit_split` is a pure function of (config, data, split); :func:`train` runs it
over many splits, in worker processes when asked.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Sequence

import keras
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..builder import build_model
from ..config import Experiment
from ..data import Dataset
from ..errors import ConfigError
from ..folds import FoldResult, Split, fold_result
from ..splits import stopping_seed, tau_seed, validation_split
from . import tf_setup
from .base import supports_of
from .mc_dropout import mc_predict_proba, mc_predict_samples
from .sklearn_adapter import KerasClassifierAdapter, KerasRegressorAdapter

NAME = "scikeras"
STACKS = False  # one model per split: an executor can spread the splits


def intra_op_threads(cfg: Experiment, dataset: Dataset) -> int | None:
    """TensorFlow's default intra-op threads (None): one Keras model per split gained nothing
    from fewer, and its convolutions round differently on other thread counts."""
    return None


def check(cfg: Experiment, dataset: Dataset) -> None:
    """Every model the config schema accepts, this engine trains, as long as each sample's
    output is one value per output unit: samples of more than one axis (an image or
    sequence view) must be flattened by the layers before the output layer.
    ``training.xla: true`` is the fused engine's and refused here (``auto`` means graph mode)."""
    if cfg.training.xla is True:
        raise ConfigError("training.xla = true is for the fused engine (`training.engine: fused`); "
                          "the SciKeras engine trains in graph mode")
    if len(dataset.input_shape) > 1:
        net = build_model(cfg.model, cfg.training, dataset.input_shape)
        shape = tuple(net.output_shape[1:])
        keras.backend.clear_session()
        if len(shape) != 1:
            raise ConfigError(
                f"model.layers[{len(cfg.model.layers) - 1}] gives each sample an output of shape {shape}, not "
                f"({shape[-1]},): the samples have shape {dataset.input_shape} and dense layers act on their last "
                "axis; use flat samples (digits: data.view: flat) or layers that flatten them"
            )


supports = supports_of(check)  # whether check(cfg, dataset) passes


def _model_fn(model_cfg, training_cfg, input_shape, meta):
    return build_model(model_cfg, training_cfg, input_shape or meta["n_features_in_"])


def make_pipeline(cfg: Experiment, seed: int, dataset: Dataset | None = None) -> Pipeline:
    """The estimator one split fits: optional ``StandardScaler`` then SciKeras' classifier
    (behind :class:`.sklearn_adapter.KerasClassifierAdapter`).

    ``dataset`` gives the samples' shape and the classes (default: flat rows, two classes).
    """
    input_shape = dataset.input_shape if dataset is not None else None
    scaler = StandardScaler() if cfg.evaluation.standardize else "passthrough"
    if dataset is not None and dataset.is_regression:
        reg = KerasRegressorAdapter(
            model=functools.partial(_model_fn, cfg.model, cfg.training, input_shape), loss=cfg.training.loss,
            epochs=cfg.training.epochs, batch_size=cfg.training.batch_size, random_state=seed, verbose=0)
        target = StandardScaler() if cfg.evaluation.standardize_target else None
        return Pipeline([("scale", scaler), ("model", TransformedTargetRegressor(regressor=reg, transformer=target))])
    n_classes = dataset.n_classes if dataset is not None else 2
    clf = KerasClassifierAdapter(
        model=functools.partial(_model_fn, cfg.model, cfg.training, input_shape),
        loss=cfg.training.loss,
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        n_classes=n_classes,
        random_state=seed,
        verbose=0,
    )
    return Pipeline([("scale", scaler), ("model", clf)])


def _keras_targets(cfg: Experiment, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels as the compiled model takes them (for ``validation_data``, which SciKeras passes
    to Keras as it is): one-hot for categorical cross-entropy, class indices otherwise."""
    if cfg.training.loss == "categorical_crossentropy":
        return np.eye(n_classes, dtype="float32")[y]
    return y


class _TestCurve(keras.callbacks.Callback):
    """Records the test part's loss and accuracy after each epoch (``evaluation.history``
    when the validation data is early stopping's); evaluating changes no weight."""

    def __init__(self, X, y):
        super().__init__()
        self.X, self.y, self.rows = X, y, []

    def on_epoch_end(self, epoch, logs=None):
        loss, accuracy = self.model.evaluate(self.X, self.y, verbose=0, batch_size=len(self.X))
        self.rows.append((loss, accuracy))


def _scaled(cfg: Experiment, X: np.ndarray, fit_rows: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``X[rows]`` scaled as the pipeline scales it after fitting on ``X[fit_rows]``."""
    return StandardScaler().fit(X[fit_rows]).transform(X[rows]) if cfg.evaluation.standardize else X[rows]


def fit_split(cfg: Experiment, dataset: Dataset, split: Split) -> FoldResult:
    """Fit one fresh pipeline on ``split.train``, score it on ``split.train`` and ``split.test``.

    With ``evaluation.history`` the test part is Keras' validation data, so that the
    per-epoch curves are recorded; it does not change the training.  With early stopping
    the model fits on ``split.train`` minus its validation rows (the training scores are
    still over the whole training part); see the module's docstring.
    """
    tf_setup.configure()
    if dataset.is_regression:
        return _fit_regression(cfg, dataset, split)
    X, y = dataset.X.astype("float32"), dataset.y
    train, test = split.train, split.test
    stopping = cfg.training.early_stopping
    fit_rows = train
    keras.utils.set_random_seed(split.model_seed)
    pipe = make_pipeline(cfg, split.model_seed, dataset)
    fit_params, callbacks, curve = {}, [], None
    if stopping is not None:
        fit_rows, val_rows = validation_split(train, y, stopping.validation_fraction, stopping_seed(split.model_seed))
        fit_params["model__validation_data"] = (_scaled(cfg, X, fit_rows, val_rows),
                                                _keras_targets(cfg, y[val_rows], dataset.n_classes))
        stopper = keras.callbacks.EarlyStopping(monitor=stopping.monitor, patience=stopping.patience,
                                                min_delta=stopping.min_delta,
                                                restore_best_weights=stopping.restore_best_weights)
        callbacks.append(stopper)
        if cfg.evaluation.history:
            curve = _TestCurve(_scaled(cfg, X, fit_rows, test), _keras_targets(cfg, y[test], dataset.n_classes))
            callbacks.append(curve)
    elif cfg.evaluation.history:
        fit_params["model__validation_data"] = (_scaled(cfg, X, train, test),
                                                _keras_targets(cfg, y[test], dataset.n_classes))
    if callbacks:
        pipe.set_params(model__callbacks=callbacks)
    start = time.perf_counter()
    pipe.fit(X[fit_rows], y[fit_rows], **fit_params)
    seconds = time.perf_counter() - start
    # one predict call for both parts: each predict on a new model costs a tf.function trace
    both = pipe.predict_proba(X[np.concatenate([train, test])])
    h = pipe.named_steps["model"].history_
    history = None
    if cfg.evaluation.history:
        tests = curve.rows if curve is not None else list(zip(h["val_loss"], h["val_accuracy"], strict=True))
        history = pd.DataFrame({
            "repeat": split.repeat, "fold": split.fold, "epoch": np.arange(1, len(h["loss"]) + 1),
            "train_loss": h["loss"], "train_accuracy": h["accuracy"],
            "test_loss": [t[0] for t in tests], "test_accuracy": [t[1] for t in tests],
        })
    mc_proba = None
    if cfg.evaluation.inference.mc:
        net = pipe.named_steps["model"].model_
        mc_proba = mc_predict_proba(net, pipe[:-1].transform(X[test]).astype("float32"),
                                    cfg.evaluation.inference.samples, split.model_seed)
    epochs = None
    if stopping is not None:
        trained = len(h["loss"])
        best = getattr(stopper, "best_epoch", None)
        epochs = {"stopped_epoch": trained, "best_epoch": int(best) + 1 if best is not None else trained}
    keras.backend.clear_session()
    return fold_result(split, dataset, both[: len(train)], both[len(train):], seconds, history,
                       bins=cfg.evaluation.calibration_bins, mc_proba_test=mc_proba, stopping=epochs)


def _fit_pipeline(cfg: Experiment, dataset: Dataset, rows: np.ndarray, seed: int, **fit_params) -> Pipeline:
    keras.utils.set_random_seed(seed)
    pipe = make_pipeline(cfg, seed, dataset)
    if fit_params.get("callbacks"):
        pipe.set_params(model__regressor__callbacks=fit_params.pop("callbacks"))
    pipe.fit(dataset.X[rows].astype("float32"), dataset.y[rows], **fit_params)
    return pipe


def _mc_passes(cfg: Experiment, pipe: Pipeline, X: np.ndarray, seed: int) -> np.ndarray:
    """Monte Carlo dropout's passes ``[T, n]`` of a fitted regression pipeline, in the target's units."""
    model = pipe.named_steps["model"]
    passes = mc_predict_samples(model.regressor_.model_, pipe[:-1].transform(X).astype("float32"),
                                cfg.evaluation.inference.samples, seed)
    if model.transformer_ is not None and hasattr(model.transformer_, "scale_"):
        passes = model.transformer_.inverse_transform(passes.reshape(-1, 1)).reshape(passes.shape)
    return passes


def _fit_regression(cfg: Experiment, dataset: Dataset, split: Split) -> FoldResult:
    """One regression split: the pipeline fitted on ``split.train`` (minus early stopping's
    validation rows), predicted values for both parts; with Monte Carlo dropout the test
    rows' passes, and a second model fitted on the training part minus tau's validation rows
    (:func:`dropout_lab.splits.tau_seed`), whose passes over those rows choose tau."""
    X = dataset.X.astype("float32")
    train, test = split.train, split.test
    stopping, fit_rows, extra, stopper = cfg.training.early_stopping, train, {}, None
    if stopping is not None:
        fit_rows, val_rows = validation_split(train, dataset.y, stopping.validation_fraction,
                                              stopping_seed(split.model_seed), stratify=False)
        stopper = keras.callbacks.EarlyStopping(monitor=stopping.monitor, patience=stopping.patience,
                                                min_delta=stopping.min_delta,
                                                restore_best_weights=stopping.restore_best_weights)
        # validation targets as the model sees them: standardized like the fit rows' targets
        scaled_y = dataset.y[val_rows]
        if cfg.evaluation.standardize_target:
            scaled_y = StandardScaler().fit(dataset.y[fit_rows].reshape(-1, 1)).transform(
                scaled_y.reshape(-1, 1)).reshape(-1)
        extra = {"callbacks": [stopper],
                 "model__validation_data": (_scaled(cfg, X, fit_rows, val_rows), scaled_y.astype("float32"))}
    start = time.perf_counter()
    pipe = _fit_pipeline(cfg, dataset, fit_rows, split.model_seed, **extra)
    seconds = time.perf_counter() - start
    both = pipe.predict(X[np.concatenate([train, test])])
    mc_test, mc_validation = None, None
    if cfg.evaluation.inference.mc:
        mc_test = _mc_passes(cfg, pipe, X[test], split.model_seed)
    if cfg.evaluation.inference.mc and cfg.evaluation.inference.tau is None:
        fit, val = validation_split(train, dataset.y, cfg.evaluation.inference.validation_fraction,
                                    tau_seed(split.model_seed), stratify=False)
        keras.backend.clear_session()
        tau_pipe = _fit_pipeline(cfg, dataset, fit, tau_seed(split.model_seed))
        mc_validation = (val, _mc_passes(cfg, tau_pipe, X[val], tau_seed(split.model_seed)))
    epochs = None
    if stopper is not None:
        trained = len(pipe.named_steps["model"].regressor_.history_["loss"])
        best = getattr(stopper, "best_epoch", None)
        epochs = {"stopped_epoch": trained, "best_epoch": int(best) + 1 if best is not None else trained}
    keras.backend.clear_session()
    return fold_result(split, dataset, both[: len(train)], both[len(train):], seconds, mc_proba_test=mc_test,
                       stopping=epochs, mc_validation=mc_validation, tau=cfg.evaluation.inference.tau)


def train(cfg: Experiment, dataset: Dataset, splits: Sequence[Split]) -> Iterator[FoldResult]:
    """Split by split, in this process; each result as it finishes (the executors in
    :mod:`dropout_lab.executors` train in parallel)."""
    return (fit_split(cfg, dataset, split) for split in splits)
