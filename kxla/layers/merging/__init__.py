"""Merging layers (Keras 3 names): Add, Concatenate and their functional forms add, concatenate."""
from .base_merge import Merge
from .add import Add, add
from .concatenate import Concatenate, concatenate

__all__ = ["Merge", "Add", "add", "Concatenate", "concatenate"]
