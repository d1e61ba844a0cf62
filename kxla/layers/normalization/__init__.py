"""Normalization layers (Keras 3 names): BatchNormalization."""
from .batch_normalization import BatchNormalization

__all__ = ["BatchNormalization"]
