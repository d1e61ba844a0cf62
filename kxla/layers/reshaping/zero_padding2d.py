"""ZeroPadding2D (Keras 3): zeros added around the two spatial dims (one ``pad`` node)."""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ..layer import InputSpec, Layer


def _non_negative_pair(value, name: str) -> tuple:
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value, value)
    else:
        try:
            out = tuple(int(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"The `{name}` argument must be a tuple of 2 integers. Received {name}={value!r}") \
                from None
    if len(out) != 2 or any(v < 0 for v in out):
        raise ValueError(f"The `{name}` argument must be a tuple of 2 non-negative integers. "
                         f"Received {name}={value!r}")
    return out


def spatial_pairs(value, arg: str) -> tuple:
    """Keras's 2-D padding/cropping argument: int, (sym_h, sym_w) or ((top, bottom), (left, right))."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"`{arg}` cannot be negative. Received: {arg}={value}.")
        return ((value, value), (value, value))
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{arg}` should have two elements. Received: {arg}={value}.")
        return (_non_negative_pair(value[0], f"1st entry of {arg}"),
                _non_negative_pair(value[1], f"2nd entry of {arg}"))
    raise ValueError(f"`{arg}` should be either an int, a tuple of 2 ints (symmetric_height, symmetric_width), "
                     f"or a tuple of 2 tuples of 2 ints ((top, bottom), (left, right)). Received: {arg}={value}.")


class ZeroPadding2D(Layer):
    """Pad the rows and columns of an image batch with zeros (``keras.layers.ZeroPadding2D``).

    Arguments:
      padding: int (same on all four sides), ``(sym_height, sym_width)`` or
        ``((top, bottom), (left, right))``.
      data_format: "channels_last" (default from ``kxla.config``) or "channels_first".
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = spatial_pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        if self.data_format == "channels_first":
            width = [[0, 0], [0, 0], *map(list, self.padding)]
        else:
            width = [[0, 0], *map(list, self.padding), [0, 0]]
        return ops.pad(inputs, width)

    def compute_output_shape(self, input_shape):
        out = list(input_shape)
        first = 2 if self.data_format == "channels_first" else 1
        for i, (a, b) in enumerate(self.padding):
            if out[first + i] is not None:
                out[first + i] += a + b
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}
