"""The SciKeras engine: labels reach Keras as the loss needs them, and the probability
columns come back in the data's class order."""

import numpy as np
import pytest

from dropout_lab.config import load_config
from dropout_lab.data import Dataset
from dropout_lab.engines import get_engine
from dropout_lab.engines.scikeras import fit_split, make_pipeline
from dropout_lab.folds import Split

from .conftest import CONFIGS

LOSSES = ["categorical_crossentropy", "sparse_categorical_crossentropy"]


def blobs3(n=240, seed=0):
    """Three well separated classes; class k sits at 3 * k on the first feature."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = rng.normal(size=(n, 4)) * 0.3
    X[:, 0] += 3.0 * y
    X[:, 1] -= 2.0 * y
    return X, y.astype(np.int64)


def config(loss, epochs=25):
    return load_config(CONFIGS / "random_5class.yaml", [
        f"training.loss={loss}", f"training.epochs={epochs}", "training.batch_size=16",
        "model.layers[4].units=3", "training.optimizer.learning_rate=0.01",
        "evaluation={protocol: kfold, n_splits: 3}",
    ])


@pytest.mark.parametrize("loss", LOSSES)
def test_labels_are_encoded_for_the_loss_and_probabilities_follow_the_class_order(loss):
    X, y = blobs3()
    # class names deliberately not in sorted order: column k must be classes[k] all the same
    data = Dataset("blobs", X, y, "test", "-", classes=("zebra", "ant", "moose"))
    pipe = make_pipeline(config(loss), seed=3, dataset=data)
    pipe.fit(X.astype("float32"), y)
    clf = pipe.named_steps["model"]
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    encoded = clf.classifier_.target_encoder_.transform(y[:4])
    if loss == "categorical_crossentropy":  # one-hot: SciKeras saw the loss
        np.testing.assert_array_equal(encoded, np.eye(3)[y[:4]])
    else:  # class indices for the sparse loss
        np.testing.assert_array_equal(np.ravel(encoded), y[:4])
    proba = pipe.predict_proba(X.astype("float32"))
    assert proba.shape == (len(y), 3)
    assert np.mean(proba.argmax(axis=1) == y) > 0.95  # column k is class k


@pytest.mark.parametrize("loss", LOSSES)
def test_a_training_part_without_a_class_still_predicts_every_class(loss):
    X, y = blobs3(120)
    data = Dataset("blobs", X, y, "test", "-", classes=("0", "1", "2"))
    train = np.flatnonzero(y != 2)  # class 2 never seen in training
    test = np.arange(len(y))
    result = fit_split(config(loss, epochs=5), data, Split(1, 1, 7, 11, train, test))
    assert result.test_proba.shape == (len(y), 3)
    np.testing.assert_allclose(result.test_proba.sum(axis=1), 1.0, rtol=1e-5)


def test_the_engine_interface():
    engine = get_engine("scikeras")
    cfg = config("categorical_crossentropy", epochs=2)
    X, y = blobs3(60)
    data = Dataset("blobs", X, y, "test", "-", classes=("a", "b", "c"))
    assert engine.NAME == "scikeras" and engine.supports(cfg, data)
    engine.check(cfg, data)
    odd = np.arange(60) % 2
    splits = [Split(1, k, 7, 10 + k, np.flatnonzero(odd != k - 1), np.flatnonzero(odd == k - 1)) for k in (1, 2)]
    results = sorted(engine.train(cfg, data, splits), key=lambda r: r.fold)
    assert [r.fold for r in results] == [1, 2] and all(r.n_test == 30 for r in results)
    frame = results[0].predictions(data)
    assert list(frame.columns) == ["row", "repeat", "fold", "true", "predicted", "p_a", "p_b", "p_c"]
    assert frame["row"].tolist() == splits[0].test.tolist()
    assert set(frame["true"]) == {"a", "b", "c"}
