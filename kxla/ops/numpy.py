"""kxla.ops.numpy — Keras's ``keras.ops.numpy`` namespace (every name is also in ``kxla.ops``).

The ops are defined in the catalogue files (numpy_elementwise.py,
numpy_reduce.py, numpy_shape.py) and in the older op files; this module only
gathers them under Keras's names. Imported by ``kxla.ops`` after its own names.
"""
from . import catalog as _catalog
from ._gather import gather as _gather

# keras.ops.numpy names defined in kxla.ops's other files
_ELSEWHERE = (
    "abs", "absolute", "add", "divide", "exp", "log", "max", "maximum", "mean", "min", "minimum", "multiply",
    "negative", "power", "sign", "sqrt", "square", "subtract", "sum", "tanh", "reshape", "argmax", "argmin",
    "clip", "concatenate", "dot", "einsum", "equal", "expand_dims", "greater", "greater_equal", "less",
    "less_equal", "logical_and", "logical_not", "logical_or", "logical_xor", "matmul", "not_equal",
    "ones_like", "pad", "repeat", "split", "squeeze", "stack", "take", "tensordot", "tile", "transpose",
    "where", "zeros_like")

__all__ = _gather(globals(), "numpy", _ELSEWHERE)
