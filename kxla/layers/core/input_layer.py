"""``Input`` and ``InputLayer``: the symbolic entry points of functional models."""
from __future__ import annotations

from ...ir import TensorType, canonical_dtype
from ..layer import Layer, unique_name
from ...ops.tracing import KerasTensor


class InputLayer(Layer):
    """Holds the spec of one model input; shows as ``input_layer (InputLayer)`` in summaries."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
        super().__init__(name=name or unique_name("input_layer"), **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs a shape (without the batch dimension), e.g. Input(shape=(784,))")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.input_dtype = canonical_dtype(dtype or "float32")
        self.built = True
        self.output = KerasTensor(TensorType(self.batch_shape, self.input_dtype), name=self.name)
        self.output._input_layer = self

    def call(self, inputs):
        return inputs

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, sparse=None, tensor=None):
    """A symbolic tensor to start a functional model from (``shape`` excludes the batch dim)."""
    if sparse:
        raise ValueError("kxla does not support sparse inputs")
    if tensor is not None:
        raise ValueError("Input(tensor=...) is not supported by kxla; build from Input(shape=...)")
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name, batch_shape=batch_shape).output
