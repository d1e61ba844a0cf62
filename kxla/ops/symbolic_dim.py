"""A dimension known only when the graph runs: what ``ops.shape`` gives for a symbolic tensor's ``None``.

Keras traces a subclassed model with concrete arrays, so ``ops.shape(x)[0]`` is
an int there; kxla traces once with an unknown batch. ``ops.shape`` therefore
returns a :class:`SymbolicDim` for each unknown dimension: it equals ``None``
(``None in ops.shape(x)`` and ``ops.shape(x) == (None, 4)`` hold as in Keras's
functional tracing) and remembers where it comes from, so that the random draws
of ``kxla.random`` can take their shape from it
(``random.normal((ops.shape(z)[0], 4))``, as the Keras guides write a VAE's
sampling layer). Anything that needs its integer value raises a TypeError
naming the dimension.
"""
from __future__ import annotations


class SymbolicDim:
    """Dimension ``axis`` of the symbolic tensor ``tensor`` (unknown until the graph runs)."""

    __slots__ = ("tensor", "axis")

    def __init__(self, tensor, axis: int):
        self.tensor, self.axis = tensor, axis

    def __eq__(self, other):
        if other is None:
            return True
        return isinstance(other, SymbolicDim) and other.tensor is self.tensor and other.axis == self.axis

    def __hash__(self):
        return hash((id(self.tensor), self.axis))

    def __repr__(self):
        return "None"

    def _no_value(self, *args):
        raise TypeError(f"dimension {self.axis} of a symbolic tensor of shape {tuple(self.tensor.shape)} is "
                        "known only when the graph runs; kxla accepts it in the shape of kxla.random draws, "
                        "not as a Python number")

    __int__ = __index__ = __float__ = __bool__ = _no_value
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __floordiv__ = __truediv__ = _no_value
    __lt__ = __le__ = __gt__ = __ge__ = _no_value


def symbolic_shape(tensor) -> tuple:
    """``tensor.shape`` with each unknown dimension a :class:`SymbolicDim`."""
    return tuple(SymbolicDim(tensor, i) if d is None else d for i, d in enumerate(tensor.shape))


def split_shape(fn: str, shape) -> tuple:
    """``(static shape, source tensor or None, like_axes or None)`` for a draw of ``shape``.

    Static entries must be ints >= 0; SymbolicDim entries must all come from one tensor."""
    shape = tuple(shape)
    dims = [d for d in shape if isinstance(d, SymbolicDim)]
    try:
        static = [-1 if isinstance(d, SymbolicDim) else int(d) for d in shape]
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: shape must be a tuple of ints (or unknown dimensions from ops.shape of a "
                         f"symbolic tensor), got {shape!r}") from None
    if not dims:
        return static, None, None
    sources = {id(d.tensor): d.tensor for d in dims}
    if len(sources) > 1:
        raise ValueError(f"{fn}: the unknown dimensions of shape {shape!r} come from {len(sources)} different "
                         "tensors; kxla takes them from one tensor per draw")
    axes = [d.axis if isinstance(d, SymbolicDim) else -1 for d in shape]
    return static, dims[0].tensor, axes
