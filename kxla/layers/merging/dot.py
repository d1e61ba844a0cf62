"""Dot (Keras 3): per-sample dot products of two tensors along chosen axes (one ``einsum`` node).

``batch_dot(x, y, axes)`` contracts axis ``axes[0]`` of ``x`` with axis
``axes[1]`` of ``y`` for each sample: the result has ``x``'s other axes
(batch first) followed by ``y``'s other non-batch axes, and a trailing axis
of size 1 when nothing but the batch axis would be left (Keras's rule).
With ``normalize=True`` both inputs are L2-normalized along their dot axes
first (Keras's ``x * min(rsqrt(sum(x**2)), 1/epsilon)``), giving cosine similarities.
"""
from __future__ import annotations

import string

from ... import config, ops
from .base_merge import Merge


def batch_dot(x, y, axes):
    """Batchwise dot product of ``x`` and ``y`` (ranks >= 2) along ``axes = (axis_of_x, axis_of_y)``.

    Arguments:
      x, y: tensors whose axis 0 is the batch axis.
      axes: int (same axis in both) or a pair; the batch axis 0 cannot be contracted.

    Returns:
      ``x``'s remaining axes then ``y``'s remaining non-batch axes; ``(batch, 1)`` if only the batch is left.
    """
    rx, ry = len(x.shape), len(y.shape)
    if rx < 2 or ry < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
                         f"{tuple(x.shape)} and {tuple(y.shape)}.")
    if x.shape[0] is not None and y.shape[0] is not None and x.shape[0] != y.shape[0]:
        raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with "
                         f"shapes {tuple(x.shape)} and {tuple(y.shape)}.")
    a0, a1 = (axes, axes) if isinstance(axes, int) else axes
    a0, a1 = a0 % rx, a1 % ry
    if 0 in (a0, a1):
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
                         "batch dimension to your inputs using kxla.ops.expand_dims(x, 0)")
    d1, d2 = x.shape[a0], y.shape[a1]
    if d1 is not None and d2 is not None and d1 != d2:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} with "
                         f"axes={[a0, a1]}. x.shape[{a0}] != y.shape[{a1}] ({d1} != {d2}).")
    fresh = iter(string.ascii_lowercase[2:])
    xs = ["a" if i == 0 else "b" if i == a0 else next(fresh) for i in range(rx)]
    ys = ["a" if j == 0 else "b" if j == a1 else next(fresh) for j in range(ry)]
    out = [c for i, c in enumerate(xs) if i != a0] + [c for j, c in enumerate(ys) if j not in (0, a1)]
    result = ops.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    return ops.expand_dims(result, 1) if len(out) == 1 else result


def l2_normalize(x, axis):
    """``x * min(rsqrt(sum(x ** 2, axis)), 1 / epsilon)``: Keras's ``ops.normalize(x, axis, order=2)``."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.minimum(ops.rsqrt(square_sum), 1.0 / config.epsilon()))


class Dot(Merge):
    """Dot product of two samples along ``axes`` (``keras.layers.Dot``).

    Arguments:
      axes: int, or a pair ``(axis_of_first, axis_of_second)``; negative axes count from the end;
        axis 0 (the batch axis) cannot be used.
      normalize: L2-normalize both inputs along their dot axes first (cosine similarity).

    Example: inputs ``(batch, 3, 5)`` and ``(batch, 10, 3)`` with ``axes=(1, 2)``
    give ``(batch, 5, 10)``; two ``(batch, n)`` inputs with ``axes=1`` give ``(batch, 1)``.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. "
                                f"Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. "
                                 f"Received: axes={axes}")
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _axes_for(self, rank1: int, rank2: int) -> list:
        if isinstance(self.axes, int):
            return [self.axes % rank1, self.axes % rank2] if self.axes < 0 else [self.axes] * 2
        return [a % r if a < 0 else a for a, r in zip(self.axes, (rank1, rank2))]

    def _check_pair(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. "
                             f"Received: input_shape={input_shape}")

    def build(self, input_shape):
        self._check_pair(input_shape)
        shape1, shape2 = input_shape
        a0, a1 = self._axes_for(len(shape1), len(shape2))
        if shape1[a0] is not None and shape2[a1] is not None and shape1[a0] != shape2[a1]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[a0]} (at axis {a0}) != "
                             f"{shape2[a1]} (at axis {a1}). Full input shapes: {tuple(shape1)}, {tuple(shape2)}")
        self.built = True

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}")
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs):
        x1, x2 = inputs
        axes = self._axes_for(len(x1.shape), len(x2.shape))
        if self.normalize:
            x1 = l2_normalize(x1, axes[0])
            x2 = l2_normalize(x2, axes[1])
        return batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        self._check_pair(input_shape)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        a0, a1 = self._axes_for(len(shape1), len(shape2))
        shape1.pop(a0)
        shape2.pop(a1)
        shape2.pop(0)
        out = shape1 + shape2
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to ``Dot``: ``dot([x1, x2], axes=...)``."""
    return Dot(axes=axes, **kwargs)(inputs)
