"""``Input`` and ``InputLayer`` live in ``kxla.layers.core.input_layer`` (as in Keras); this name stays importable."""
from ..layers.core.input_layer import Input, InputLayer

__all__ = ["Input", "InputLayer"]
