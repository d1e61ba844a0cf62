"""kxla.wrappers — scikit-learn estimators around kxla models (Keras 3's ``keras.wrappers``).

Needs scikit-learn (``pip install scikit-learn``); the classes exist without it and raise a clear
``ImportError`` when constructed.
"""
from .sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
