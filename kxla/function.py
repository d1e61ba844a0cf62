"""``kxla.Function``: Keras 3's graph of operations from symbolic inputs to outputs, callable on arrays.

``Function(inputs, outputs)`` takes the same nested structures as Keras's; it
runs the recorded layers and ops (a functional model without training state
of its own) on arrays, or records them again on symbolic tensors.
"""
from __future__ import annotations

from . import tree


class Function:
    """The operations between ``inputs`` and ``outputs`` (KerasTensors, possibly nested)."""

    def __init__(self, inputs, outputs, name=None):
        from .layers.layer import unique_name
        from .models import Model
        self.name = name or unique_name("function")
        self._inputs_struct, self._outputs_struct = inputs, outputs
        self._model = Model(inputs, outputs, name=self.name)

    @property
    def inputs(self):
        return tree.flatten(self._inputs_struct)

    @property
    def outputs(self):
        return tree.flatten(self._outputs_struct)

    @property
    def operations(self):
        """The layers of the graph (InputLayers included), in topological order."""
        return list(self._model.layers)

    def __call__(self, inputs):
        return self._model(inputs)

    def call(self, inputs):
        return self._model(inputs)

    def compute_output_spec(self, inputs):
        return self._model(inputs)

    def compute_output_shape(self, input_shape):
        from .ops import KerasTensor  # noqa: F401 - shapes via symbolic inputs
        from .models import Input
        single = isinstance(input_shape, tuple) and all(d is None or isinstance(d, int) for d in input_shape)
        shapes = [input_shape] if single else list(input_shape)
        dtypes = [t.dtype for t in self.inputs]
        symbolic = [Input(batch_shape=tuple(s)) if d is None else Input(batch_shape=tuple(s), dtype=d)
                    for s, d in zip(shapes, dtypes)]
        out = self._model(symbolic[0] if len(symbolic) == 1 else symbolic)
        return tree.map_structure(lambda t: tuple(t.shape), out)

    def __repr__(self):
        return f"<Function name={self.name}>"
