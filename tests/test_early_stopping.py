"""Early stopping (issue 12): its validation rows come from each fold's training part only."""

import dataclasses

import keras
import numpy as np

from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.evaluation import evaluate
from dropout_lab.splits import plan

from .conftest import CONFIGS

SMALL = ["training.epochs=6", "evaluation={protocol: kfold, n_splits: 3, standardize: false}",
         "data={dataset: circles, n_samples: 60, noise: 0.2, random_state: 1}", "model.layers[0].units=8",
         "training.early_stopping={patience: 2, validation_fraction: 0.25}"]


def test_early_stopping_validates_on_training_rows_never_on_test_rows(monkeypatch):
    cfg = load_config(CONFIGS / "circles_dropout.yaml", overrides=SMALL)
    data = load_dataset(cfg.data)
    n = len(data.y)
    # feature 0 is each row's index (not standardized), so the rows Keras sees can be named
    data = dataclasses.replace(data, X=np.column_stack([np.arange(n), data.X[:, 1]]).astype("float32"))
    seen = []
    real_fit = keras.Model.fit

    def spy(self, x=None, y=None, *args, validation_data=None, **kwargs):
        seen.append((np.asarray(x)[:, 0].astype(int), np.asarray(validation_data[0])[:, 0].astype(int)))
        return real_fit(self, x, y, *args, validation_data=validation_data, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    folds = evaluate(cfg, data).folds
    splits = plan(cfg, data.y)
    assert len(seen) == len(splits) == 3
    for split, (fit_rows, val_rows) in zip(splits, seen, strict=True):
        assert not set(val_rows) & set(split.test) and not set(fit_rows) & set(split.test)
        assert set(val_rows) | set(fit_rows) == set(split.train) and not set(val_rows) & set(fit_rows)
        assert len(val_rows) == int(np.ceil(0.25 * len(split.train)))
        # stratified: both classes in the validation part
        assert set(data.y[val_rows]) == {0, 1}
    assert {"stopped_epoch", "best_epoch"} <= set(folds.columns)
    assert (folds["stopped_epoch"] <= 6).all() and (folds["best_epoch"] <= folds["stopped_epoch"]).all()


def test_patience_stops_before_the_last_epoch():
    cfg = load_config(CONFIGS / "circles_dropout.yaml",
                      overrides=[*SMALL, "training.epochs=400", "training.early_stopping={patience: 3}"])
    folds = evaluate(cfg, load_dataset(cfg.data)).folds
    assert (folds["stopped_epoch"] < 400).all()
    assert (folds["stopped_epoch"] - folds["best_epoch"] == 3).all()
