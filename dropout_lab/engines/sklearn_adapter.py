"""SciKeras' classifier and regressor as correct scikit-learn estimators on scikit-learn 1.5 to 1.9.

SciKeras 0.13 (unmaintained) declares ``KerasClassifier(BaseWrapper, ClassifierMixin)``:
its bases in the wrong order for scikit-learn's tags (1.6+).  On 1.6 asking for its tags
raises ``'super' object has no attribute '__sklearn_tags__'``; from 1.7 it gets the tags of
an estimator of no type, so ``is_classifier`` is False and a ``cv=10`` given to scikit-learn
would silently become an unstratified ``KFold``.  No subclass can reorder those bases, so
:class:`KerasClassifierAdapter` wraps SciKeras' classifier instead of inheriting from it:

- its bases are ``ClassifierMixin, BaseEstimator``, in scikit-learn's order, so its tags,
  ``is_classifier`` and ``_estimator_type`` are a classifier's on every version;
- every setting is a constructor parameter, so ``clone`` keeps them all (Keras' own
  ``keras.wrappers.SKLearnClassifier`` loses its ``fit_kwargs`` on clone);
- ``fit`` trains a fresh SciKeras classifier built from those settings; keyword arguments
  of ``fit`` (``validation_data``, ...) go on to Keras' ``fit``.

With ``n_classes`` the target encoder knows every class ``0 .. n_classes - 1`` of the data,
not just those of one training part, so ``classes_`` and the probability columns are the
data's classes in order even when a training part lacks one.

SciKeras' ``KerasRegressor`` has the same bases in the same wrong order; :class:`KerasRegressorAdapter`
wraps it alike (``RegressorMixin, BaseEstimator``: ``is_regressor`` is True, its ``score`` is R²).
"""

from __future__ import annotations

import numpy as np
from scikeras.utils.transformers import ClassifierLabelEncoder
from scikeras.wrappers import KerasClassifier, KerasRegressor
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted


class _DataClassifier(KerasClassifier):
    """SciKeras' classifier whose target encoder knows ``n_data_classes`` classes when given
    (set after construction: SciKeras would pass a constructor keyword on to ``model``)."""

    n_data_classes = None

    @property
    def target_encoder(self):
        if self.n_data_classes is None:
            return super().target_encoder
        return ClassifierLabelEncoder(loss=self.loss, categories=[np.arange(self.n_data_classes)])


class KerasClassifierAdapter(ClassifierMixin, BaseEstimator):
    """A Keras classifier for scikit-learn: ``model`` builds the compiled Keras model.

    ``model`` is called as SciKeras calls it (it may take ``meta``, SciKeras' dict of what
    ``fit`` learned about the data: ``n_features_in_``, ``n_classes_``, ...).  ``loss`` is
    the compiled model's loss, given so that the labels are encoded for it (one-hot for
    ``categorical_crossentropy``).  ``random_state`` seeds the training.
    """

    def __init__(self, model=None, *, loss=None, epochs=1, batch_size=None, callbacks=None, n_classes=None,
                 random_state=None, verbose=0):
        self.model = model
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.callbacks = callbacks
        self.n_classes = n_classes
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, **fit_params):
        """Train a fresh Keras model on ``X, y``; ``fit_params`` go to Keras' ``fit``."""
        classifier = _DataClassifier(
            model=self.model, loss=self.loss, epochs=self.epochs, batch_size=self.batch_size,
            callbacks=self.callbacks, random_state=self.random_state, verbose=self.verbose,
        )
        classifier.n_data_classes = self.n_classes
        classifier.fit(X, y, **fit_params)
        self.classifier_ = classifier
        self.classes_ = classifier.classes_
        self.n_features_in_ = classifier.n_features_in_
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        return self.classifier_.predict_proba(X)

    def predict(self, X):
        check_is_fitted(self)
        return self.classifier_.predict(X)

    @property
    def model_(self):
        """The trained Keras model."""
        return self.classifier_.model_

    @property
    def history_(self):
        """Keras' training history: a list of values per metric name."""
        return self.classifier_.history_


class KerasRegressorAdapter(RegressorMixin, BaseEstimator):
    """A Keras regressor for scikit-learn: ``model`` builds the compiled Keras model (one
    linear output unit); the settings are :class:`KerasClassifierAdapter`'s, without classes."""

    def __init__(self, model=None, *, loss=None, epochs=1, batch_size=None, callbacks=None, random_state=None,
                 verbose=0):
        self.model = model
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y, **fit_params):
        """Train a fresh Keras model on ``X, y``; ``fit_params`` go to Keras' ``fit``."""
        regressor = KerasRegressor(
            model=self.model, loss=self.loss, epochs=self.epochs, batch_size=self.batch_size,
            callbacks=self.callbacks, random_state=self.random_state, verbose=self.verbose,
        )
        regressor.fit(X, y, **fit_params)
        self.regressor_ = regressor
        self.n_features_in_ = regressor.n_features_in_
        return self

    def predict(self, X):
        check_is_fitted(self)
        return self.regressor_.predict(X)

    @property
    def model_(self):
        """The trained Keras model."""
        return self.regressor_.model_

    @property
    def history_(self):
        """Keras' training history: a list of values per metric name."""
        return self.regressor_.history_
