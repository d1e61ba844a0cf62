"""``constant-folding``: evaluate nodes whose inputs are all ``constant`` nodes, in one forward sweep.

Only ``constant`` nodes count as constants: parameters and state are graph
inputs whose values change (``set_weights``, training), so nothing computed
from them is ever folded. The evaluation uses the small numpy table below,
kept inside the pass (passes never import jax); an op missing from the table,
an op with an effect, a dtype numpy cannot represent (bfloat16) or a result
larger than ``max_elements`` is left alone. Because the sweep runs in order,
chains of foldable nodes collapse in one run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kxla.ir import get_op

from .base import Pass

_NUMPY_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64",
                 "uint8", "uint16", "uint32", "uint64", "bool"}


def _axes(axis):
    return None if axis is None else tuple(axis)


def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _bias_add(x, b, axis):
    shape = [1] * x.ndim
    shape[axis % x.ndim] = b.shape[0]
    return x + b.reshape(shape)


class _CannotFold(Exception):
    """A numpy implementation declines these attributes; the node is left unfolded."""


def _gelu(x, approximate):
    if not approximate:
        raise _CannotFold("exact gelu needs erf")
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi).astype(x.dtype) * (x + 0.044715 * x ** 3)))


# op -> numpy implementation fn(*arrays, **attrs)
NUMPY_IMPLS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
    "maximum": np.maximum,
    "minimum": np.minimum,
    "power": np.power,
    "negative": np.negative,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "square": np.square,
    "abs": np.abs,
    "sign": np.sign,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softplus": lambda x: np.logaddexp(x, 0),
    "gelu": _gelu,
    "softmax": _softmax,
    "log_softmax": lambda x, axis: np.log(_softmax(x, axis)),
    "mean": lambda x, axis, keepdims: np.mean(x, axis=_axes(axis), keepdims=keepdims),
    "sum": lambda x, axis, keepdims: np.sum(x, axis=_axes(axis), keepdims=keepdims),
    "max": lambda x, axis, keepdims: np.max(x, axis=_axes(axis), keepdims=keepdims),
    "min": lambda x, axis, keepdims: np.min(x, axis=_axes(axis), keepdims=keepdims),
    "matmul": np.matmul,
    "bias_add": _bias_add,
    "cast": lambda x, dtype: x.astype(dtype),
    "reshape": lambda x, shape: np.reshape(x, shape),
    "transpose": lambda x, perm: np.transpose(x, perm),
    "concatenate": lambda *xs, axis: np.concatenate(xs, axis=axis),
}


def constant_array(node) -> np.ndarray:
    """The numpy array a ``constant`` node holds."""
    a = node.attrs
    return np.asarray(a["value"], dtype=a["dtype"]).reshape(a["shape"])


@dataclass(frozen=True)
class ConstantFolding(Pass):
    """Evaluate subgraphs fed only by ``constant`` nodes (parameters are not constants)."""

    name = "constant-folding"
    max_elements: int = 4096

    def run(self, graph, rw) -> bool:
        for node in rw.walk():
            impl = NUMPY_IMPLS.get(node.op)
            if impl is None or not node.inputs or len(node.results) != 1:
                continue
            if any(v.producer is None or v.producer.op != "constant" for v in node.inputs):
                continue
            if get_op(node.op).effect is not None:
                continue
            out_t = node.result.type
            if out_t.dtype not in _NUMPY_DTYPES or any(d is None for d in out_t.shape) or \
                    int(np.prod(out_t.shape, dtype=np.int64)) > self.max_elements:
                continue
            if any(v.type.dtype not in _NUMPY_DTYPES for v in node.inputs):
                continue
            try:
                with np.errstate(all="ignore"):
                    value = np.asarray(impl(*[constant_array(v.producer) for v in node.inputs], **node.attrs))
            except _CannotFold:
                continue
            value = value.astype(out_t.dtype)
            if value.shape != out_t.shape:
                continue
            producers = [v.producer for v in node.inputs]
            new = rw.insert("constant", [], {"value": value.tolist(), "shape": list(value.shape),
                                             "dtype": out_t.dtype}, before=node)
            rw.replace_node(node, new.results)
            for p in producers:
                rw.erase_if_dead(p, recursive=False)
            rw.count("folded")
        return rw.changed
