"""kxla.utils — seeding and data helpers (Keras 3 names)."""
from .random import set_random_seed
from .data import to_categorical, pad_sequences
from .data import pack_x_y_sample_weight, unpack_x_y_sample_weight

__all__ = ["set_random_seed", "to_categorical", "pad_sequences", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight"]
