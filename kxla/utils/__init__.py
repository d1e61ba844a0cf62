"""kxla.utils — seeding and data helpers (Keras 3 names)."""
from .random import set_random_seed
from .data import to_categorical, pad_sequences

__all__ = ["set_random_seed", "to_categorical", "pad_sequences"]
