"""``shape-inference``: recompute every value's type from the op shape rules, in one forward sweep.

Also completes each node's attributes with the schema defaults (in schema
order), so hand-written IR may leave them out. With ``batch=N`` the unknown
leading dimension of every graph input is fixed to N first (the same as the
``specialize`` pass). A shape rule that rejects its inputs raises an error
naming the node, its index and the layer that made it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from kxla.ir import get_op
from kxla.ir.verifier import describe

from .base import Pass


class ShapeInferenceError(ValueError):
    """A node's shape rule rejected its (inferred) input types."""


def set_batch(graph, rw, batch: int) -> int:
    """Fix the unknown leading dim of every graph input to ``batch``; return how many changed."""
    changed = 0
    for v in graph.inputs:
        if v.type.rank and v.type.shape[0] is None:
            rw.set_type(v, v.type.with_shape((batch,) + v.type.shape[1:]))
            changed += 1
    return changed


def infer_all(graph, rw) -> None:
    for index, node in enumerate(rw.walk()):
        try:
            opdef = get_op(node.op)
            attrs = opdef.normalize_attrs(node.attrs)
            if list(attrs) != list(node.attrs) or attrs != node.attrs:
                rw.set_attrs(node, attrs)
            types = opdef.infer_types([v.type for v in node.inputs], attrs)
        except (TypeError, ValueError, KeyError) as e:
            msg = e.args[0] if isinstance(e, KeyError) else e
            raise ShapeInferenceError(f"{describe(node, index)}: {msg}") from None
        if len(types) != len(node.results):
            raise ShapeInferenceError(f"{describe(node, index)}: the shape rule gives {len(types)} result(s), "
                                      f"the node has {len(node.results)}")
        for r, t in zip(node.results, types):
            rw.set_type(r, t)
    for state, new in graph.updates:
        if new.type != state.type:
            raise ShapeInferenceError(f"update of state {state.name!r}: inferred type {new.type} differs from "
                                      f"the state's type {state.type}")


@dataclass(frozen=True)
class ShapeInference(Pass):
    """Fill every value's type (and default attributes) from the op shape rules."""

    name = "shape-inference"
    batch: Optional[int] = None

    def run(self, graph, rw) -> bool:
        if self.batch is not None:
            set_batch(graph, rw, self.batch)
        infer_all(graph, rw)
        return rw.changed
