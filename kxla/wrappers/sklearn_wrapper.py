"""``SKLearnClassifier`` / ``SKLearnRegressor`` / ``SKLearnTransformer``: a compiled kxla model as an estimator.

As Keras 3: ``model`` is a compiled model (cloned, and compiled the same way, before each ``fit``)
or a callable ``model(X=..., y=..., **model_kwargs)`` returning one; ``fit_kwargs`` go to
``model.fit``. Targets are reshaped to 2-D for the model and back for the caller; the classifier
one-hot encodes its labels and predicts the class of the largest output.
"""
from __future__ import annotations

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:                      # the classes still exist; constructing one raises
    sklearn = None

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


def _require_sklearn(name: str) -> None:
    if sklearn is None:
        raise ImportError(f"{name} requires `scikit-learn` to be installed. Run `pip install scikit-learn`.")


def _validate(estimator, *args, **kwargs):
    from sklearn.utils.validation import validate_data
    return validate_data(estimator, *args, **kwargs)


def _target_type(y) -> str:
    from sklearn.utils.multiclass import type_of_target
    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for data: {y!r}")
    return kind


class TargetReshaper(TransformerMixin, BaseEstimator):
    """1-D targets to a column for the model, and a single column back to 1-D."""

    def fit(self, y):
        self.ndim_ = y.ndim
        return self

    def transform(self, y):
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return np.squeeze(y, axis=1) if self.ndim_ == 1 and y.ndim == 2 else y


class SKLBase(BaseEstimator):
    """Shared estimator logic; see the module docstring.

    Arguments:
      model: a compiled ``kxla.Model``, or a callable ``model(X=, y=, **model_kwargs)`` returning one.
      warm_start: keep training the fitted model (``model_``) on the next ``fit`` instead of a fresh
        clone. (Keras documents this but clones on every fit; kxla does what is documented.)
      model_kwargs: keyword arguments for a callable ``model``.
      fit_kwargs: keyword arguments for ``model.fit``; those given to ``fit`` take precedence.

    Attributes (after ``fit``): ``model_`` (the fitted model), ``history_`` (``History.history``).
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        _require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        import copy
        model = self.model if callable(self.model) else copy.deepcopy(self.model)
        return type(self)(model=model, warm_start=self.warm_start, model_kwargs=self.model_kwargs,
                          fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self) -> int:
        """Epochs trained by the last ``fit``."""
        return len(getattr(self, "history_", {}).get("loss", []))

    def _get_model(self, X, y):
        from ..models import Model, clone_model
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if isinstance(self.model, Model):
            return clone_model(self.model)
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def fit(self, X, y, **kwargs):
        """Fit a fresh model (or, with ``warm_start``, the fitted one) on ``X, y``; returns self."""
        X, y = _validate(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        if not getattr(model, "compiled", False) or not model.loss or model.optimizer is None:
            raise RuntimeError("Given model needs to be compiled, and have a loss and an optimizer.")
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs).history
        self.model_ = model
        return self

    def predict(self, X):
        """The model's predictions, targets reshaped back as they came in."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        X = _validate(self, X, reset=False)
        return self._reverse_process_target(self.model_.predict(X, verbose=0))

    def _process_target(self, y, reset=False):
        _target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A kxla classifier as a scikit-learn estimator: labels one-hot encoded, ``classes_`` set by ``fit``.

    The model must output one score per class (e.g. softmax with ``categorical_crossentropy``).
    """

    def _process_target(self, y, reset=False):
        kind = _target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {kind}")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder
            self._target_encoder = make_pipeline(TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        return self._target_encoder.transform(y)

    def decision_function(self, X):
        """The model's raw outputs (class scores)."""
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False), verbose=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A kxla regression model as a scikit-learn estimator (``score`` is R²)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A kxla model as a scikit-learn transformer: ``transform(X)`` is ``model.predict(X)``."""

    def transform(self, X):
        from sklearn.utils.validation import check_is_fitted
        check_is_fitted(self)
        return self.model_.predict(_validate(self, X, reset=False), verbose=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
