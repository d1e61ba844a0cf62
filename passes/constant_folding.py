"""``constant-folding``: evaluate nodes whose inputs are all ``constant`` nodes, in one forward sweep.

Only ``constant`` nodes count as constants: parameters and state are graph
inputs whose values change (``set_weights``, training), so nothing computed
from them is ever folded. The evaluation uses each op's numpy reference
(``OpDef.reference``, declared with the op; passes never import jax); an op
without one, an op with an effect, a dtype numpy cannot represent (bfloat16)
or a result larger than ``max_elements`` is left alone. Because the sweep runs in order,
chains of foldable nodes collapse in one run.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kxla.ir import get_op

from .base import Pass

_NUMPY_DTYPES = {"float16", "float32", "float64", "int8", "int16", "int32", "int64",
                 "uint8", "uint16", "uint32", "uint64", "bool"}


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
            impl = get_op(node.op).reference
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
            except (ValueError, IndexError, TypeError):
                continue                      # the reference declines (e.g. an out-of-range index)
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
