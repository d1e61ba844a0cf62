"""``Merge``: the shared base of the merging layers (a list of tensors in, one tensor out).

It checks the input shapes with Keras's rules and messages at build time:
the inputs must be a list, with one batch size, and (for elementwise merges)
broadcast-compatible shapes. Inputs of lower rank get size-1 axes inserted at
axis 1, as Keras does, before ``_merge_function`` combines them.
"""
from __future__ import annotations

from ... import ops
from ..layer import Layer


def _is_shape(s) -> bool:
    return isinstance(s, (tuple, list)) and all(d is None or isinstance(d, int) for d in s)


class Merge(Layer):
    """Base class of elementwise merge layers; subclasses define ``_merge_function(inputs)``."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs):
        raise TypeError(f"{type(self).__name__} must define _merge_function")

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """Broadcast two per-sample shapes (None = unknown); ValueError when incompatible."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        out = list(shape1[:-len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                out.append(None)
            elif i == 1:
                out.append(j)
            elif j == 1 or i == j:
                out.append(i)
            else:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {tuple(shape1)} and "
                                 f"{tuple(shape2)}")
        return tuple(out)

    def _check_list(self, input_shape, check_batch: bool = True):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or \
                not all(_is_shape(s) for s in input_shape):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"input_shape={input_shape} (not a list of shapes)")
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if check_batch and len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with "
                             f"shapes {list(map(tuple, input_shape))}")

    def build(self, input_shape):
        self._check_list(input_shape)
        self.compute_output_shape(input_shape)
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: "
                             f"inputs={inputs} (not a list of tensors)")
        inputs = list(inputs)
        max_rank = max(len(x.shape) for x in inputs)
        for i, x in enumerate(inputs):
            missing = max_rank - len(x.shape)
            if missing:
                inputs[i] = ops.expand_dims(x, axis=list(range(1, 1 + missing)))
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        out = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            out = self._compute_elemwise_op_output_shape(out, tuple(shape[1:]))
        batch = {s[0] for s in input_shape if s} - {None}
        return (batch.pop() if batch else None,) + out
