"""The SciKeras adapter is a correct scikit-learn classifier on every supported scikit-learn
(1.5 to 1.9: `make test-matrix` runs this file with the oldest and the newest)."""

import ast
from pathlib import Path

import keras
import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, check_cv, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_checks

import dropout_lab
from dropout_lab.config import load_config
from dropout_lab.engines.scikeras import make_pipeline as engine_pipeline
from dropout_lab.engines.sklearn_adapter import KerasClassifierAdapter

from .conftest import CONFIGS


def softmax_model(meta):
    """The smallest Keras classifier: one softmax layer over the features."""
    net = keras.Sequential([keras.Input((meta["n_features_in_"],)),
                            keras.layers.Dense(meta["n_classes_"], activation="softmax")])
    net.compile(optimizer=keras.optimizers.Adam(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return net


def adapter(**params):
    return KerasClassifierAdapter(softmax_model, **{"loss": "sparse_categorical_crossentropy", "epochs": 3,
                                                    "batch_size": 32, "random_state": 0, **params})


# scikit-learn's own checks that apply to a stochastic Keras classifier, each run alone
# (the same check functions exist in scikit-learn 1.5 and 1.9, unlike check_estimator's
# options for expected failures).  Left out: checks of sparse input, sample weights,
# class_weight, partial_fit, multilabel output and exact refit equality (TensorFlow).
CHECKS = [
    "check_no_attributes_set_in_init",
    "check_get_params_invariance",
    "check_set_params",
    "check_dont_overwrite_parameters",
    "check_estimators_overwrite_params",
    "check_estimators_unfitted",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
    "check_fit_score_takes_y",
    "check_estimators_fit_returns_self",
    "check_estimators_dtypes",
    "check_classifier_data_not_an_array",
    "check_classifiers_regression_target",
    "check_classifiers_train",
    "check_estimators_pickle",
    "check_dict_unchanged",
]


@pytest.mark.parametrize("check", CHECKS)
def test_scikit_learn_estimator_check(check):
    getattr(estimator_checks, check)("KerasClassifierAdapter", adapter())
    keras.backend.clear_session()


def test_is_a_classifier_to_scikit_learn_alone_and_in_a_pipeline():
    pipe = engine_pipeline(load_config(CONFIGS / "smoke.yaml"), seed=1)
    clf = pipe.named_steps["model"]
    assert is_classifier(clf) and is_classifier(pipe)
    if hasattr(clf, "__sklearn_tags__"):  # scikit-learn 1.6+
        from sklearn.utils import get_tags

        tags = get_tags(pipe)
        assert tags.estimator_type == "classifier" and tags.classifier_tags is not None


def test_an_integer_cv_is_stratified():
    """If anything ever gave scikit-learn ``cv=10``, the folds would be stratified."""
    y = np.arange(40) % 2
    assert isinstance(check_cv(10, y, classifier=is_classifier(make_pipeline(StandardScaler(), adapter()))),
                      StratifiedKFold)


def test_clone_keeps_every_setting():
    settings = {"model": softmax_model, "loss": "categorical_crossentropy", "epochs": 3, "batch_size": 7,
                "callbacks": [keras.callbacks.TerminateOnNaN()], "n_classes": 4, "random_state": 11, "verbose": 1}
    assert set(settings) == set(KerasClassifierAdapter().get_params())  # every setting, nothing more
    twin = clone(KerasClassifierAdapter(**settings)).get_params()
    callbacks = twin.pop("callbacks"), settings.pop("callbacks")  # deep-copied by clone
    assert twin == settings
    assert [type(c) for c in callbacks[0]] == [type(c) for c in callbacks[1]]


def test_fit_keywords_reach_keras_and_the_seed_fixes_the_model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).astype("float32")
    y = (X[:, 0] > 0).astype(np.int64)
    a = adapter(epochs=3).fit(X[:40], y[:40], validation_data=(X[40:], y[40:]))
    assert len(a.history_["val_loss"]) == 3 and a.model_.count_params() == 3 * 2 + 2
    b = adapter(epochs=3).fit(X[:40], y[:40])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-6)


def test_a_training_part_without_a_class_still_gives_every_class_a_column():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2)).astype("float32")
    y = np.arange(30) % 2  # classes 0 and 1 only; the data has three
    clf = adapter(epochs=1, n_classes=3).fit(X, y)
    assert list(clf.classes_) == [0, 1, 2] and clf.predict_proba(X).shape == (30, 3)


def test_stratified_cross_validation_through_scikit_learn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2)).astype("float32")
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    scores = cross_val_score(make_pipeline(StandardScaler(), adapter(epochs=20)), X, y,
                             cv=StratifiedKFold(3, shuffle=True, random_state=0))
    assert scores.mean() > 0.8


def test_dropout_lab_never_hands_scikit_learn_an_integer_cv():
    """dropout-lab builds its own StratifiedKFold splits; no call gives scikit-learn ``cv=<int>``."""
    package = Path(dropout_lab.__file__).parent
    calls = [f"{path.relative_to(package)}:{node.lineno}"
             for path in package.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
             if isinstance(node, ast.Call) and any(k.arg == "cv" for k in node.keywords)]
    assert calls == []
