"""The SciKeras engine (the reference): one ``Pipeline(StandardScaler, KerasClassifier)`` per split.

Each split fits a fresh pipeline on its training part and predicts probabilities for
both parts, which :mod:`dropout_lab.scoring` scores.  Labels reach Keras as SciKeras'
target encoder makes them: one-hot for ``categorical_crossentropy`` (it sees the loss
because the classifier is given ``loss=``), class indices otherwise.  The encoder is
told every class of the data, so ``classes_`` and the probability columns are the
data's classes in order even when a training part lacks one.

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
import tensorflow as tf
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import KerasClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ..builder import build_model
from ..config import Experiment
from ..data import Dataset
from ..errors import ConfigError
from ..folds import FoldResult, Split, fold_result

NAME = "scikeras"
STACKS = False  # one model per split: an executor can spread the splits

tf.get_logger().setLevel("ERROR")  # silence tf.function retracing chatter: each fold is a new model
tf.config.experimental.enable_op_determinism()


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


def supports(cfg: Experiment, dataset: Dataset) -> bool:
    try:
        check(cfg, dataset)
    except ConfigError:
        return False
    return True


class DataClassifier(KerasClassifier):
    """A ``KerasClassifier`` whose target encoder knows every class of the data
    (``categories``), not just those in one training part."""

    @property
    def target_encoder(self):
        return ClassifierLabelEncoder(loss=self.loss, categories=[np.arange(self.n_data_classes)])


def _model_fn(model_cfg, training_cfg, input_shape, meta):
    return build_model(model_cfg, training_cfg, input_shape or meta["n_features_in_"])


def make_pipeline(cfg: Experiment, seed: int, dataset: Dataset | None = None) -> Pipeline:
    """The estimator one split fits: optional ``StandardScaler`` then SciKeras' classifier.

    ``dataset`` gives the samples' shape and the classes (default: flat rows, two classes).
    """
    n_classes = dataset.n_classes if dataset is not None else 2
    input_shape = dataset.input_shape if dataset is not None else None
    clf = DataClassifier(
        model=functools.partial(_model_fn, cfg.model, cfg.training, input_shape),
        loss=cfg.training.loss,
        epochs=cfg.training.epochs,
        batch_size=cfg.training.batch_size,
        random_state=seed,
        verbose=0,
    )
    clf.n_data_classes = n_classes
    scaler = StandardScaler() if cfg.evaluation.standardize else "passthrough"
    return Pipeline([("scale", scaler), ("model", clf)])


def _keras_targets(cfg: Experiment, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Labels as the compiled model takes them (for ``validation_data``, which SciKeras passes
    to Keras as it is): one-hot for categorical cross-entropy, class indices otherwise."""
    if cfg.training.loss == "categorical_crossentropy":
        return np.eye(n_classes, dtype="float32")[y]
    return y


def fit_split(cfg: Experiment, dataset: Dataset, split: Split) -> FoldResult:
    """Fit one fresh pipeline on ``split.train``, score it on ``split.train`` and ``split.test``.

    With ``evaluation.history`` the test part is Keras' validation data, so that the
    per-epoch curves are recorded; it does not change the training.
    """
    X, y = dataset.X.astype("float32"), dataset.y
    train, test = split.train, split.test
    keras.utils.set_random_seed(split.model_seed)
    pipe = make_pipeline(cfg, split.model_seed, dataset)
    fit_params = {}
    if cfg.evaluation.history:
        X_val = StandardScaler().fit(X[train]).transform(X[test]) if cfg.evaluation.standardize else X[test]
        fit_params["model__validation_data"] = (X_val, _keras_targets(cfg, y[test], dataset.n_classes))
    start = time.perf_counter()
    pipe.fit(X[train], y[train], **fit_params)
    seconds = time.perf_counter() - start
    # one predict call for both parts: each predict on a new model costs a tf.function trace
    both = pipe.predict_proba(X[np.concatenate([train, test])])
    history = None
    if cfg.evaluation.history:
        h = pipe.named_steps["model"].history_
        history = pd.DataFrame({
            "repeat": split.repeat, "fold": split.fold, "epoch": np.arange(1, len(h["loss"]) + 1),
            "train_loss": h["loss"], "train_accuracy": h["accuracy"],
            "test_loss": h["val_loss"], "test_accuracy": h["val_accuracy"],
        })
    keras.backend.clear_session()
    return fold_result(split, dataset, both[: len(train)], both[len(train):], seconds, history)


def _fit_in_worker(cfg: Experiment, dataset: Dataset, split: Split) -> FoldResult:
    """``fit_split`` in a worker process, with TensorFlow on one thread so workers do not fight."""
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # this worker already ran TensorFlow: the setting stays from its first task
        pass
    return fit_split(cfg, dataset, split)


def train(cfg: Experiment, dataset: Dataset, splits: Sequence[Split], jobs: int = 1) -> Iterator[FoldResult]:
    """Split by split, in ``jobs`` worker processes (loky) when asked; results as they finish."""
    if jobs > 1 and len(splits) > 1:
        from joblib import Parallel, delayed

        parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
        return parallel(delayed(_fit_in_worker)(cfg, dataset, split) for split in splits)
    return (fit_split(cfg, dataset, split) for split in splits)
