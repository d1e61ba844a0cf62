"""kxla.preprocessing.sequence — Keras 3's ``keras.preprocessing.sequence`` names."""
from ..utils.data import pad_sequences

__all__ = ["pad_sequences"]
