"""UnitNormalization and RMSNormalization (Keras 3): L2 and root-mean-square scaling over ``axis``."""
from __future__ import annotations

from ... import ops
from ..layer import Layer


def _check_axes(axis, input_shape):
    for a in (axis if isinstance(axis, (list, tuple)) else [axis]):
        if a >= len(input_shape) or a < -len(input_shape):
            raise ValueError(f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                             f"Received: axis={axis}")
    return input_shape


class UnitNormalization(Layer):
    """Scale each sample to unit L2 norm over ``axis`` (``keras.layers.UnitNormalization``)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = list(axis)
        elif isinstance(axis, int):
            self.axis = axis
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis}")
        self.supports_masking = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        inv_norm = ops.rsqrt(ops.sum(ops.square(inputs), axis=axis, keepdims=True))
        return inputs * ops.minimum(inv_norm, 1e12)          # Keras: epsilon 1e-12 caps 1/norm

    def compute_output_shape(self, input_shape):
        return _check_axes(self.axis, input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """``x * rsqrt(mean(x**2, axis) + epsilon) * scale`` (``keras.layers.RMSNormalization``)."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.epsilon = epsilon

    def build(self, input_shape):
        if isinstance(self.axis, (list, tuple)):
            self.axis = sorted(self.axis)
            shape = tuple(input_shape[d] for d in self.axis)
        else:
            shape = (input_shape[self.axis],)
            self.axis = [self.axis]
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def call(self, x):
        dtype = x.dtype
        if dtype in ("float16", "bfloat16"):
            x = ops.cast(x, "float32")
        rrms = ops.rsqrt(ops.mean(ops.square(x), axis=tuple(self.axis), keepdims=True) + self.epsilon)
        out = x * rrms * ops.cast(self.scale, x.dtype)
        return ops.cast(out, dtype) if out.dtype != dtype else out

    def compute_output_shape(self, input_shape):
        return _check_axes(self.axis, input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
