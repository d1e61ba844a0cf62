"""``cse``: common subexpression elimination.

Two nodes with the same op, the same inputs (in order, or in any order for
commutative ops), equal attributes and equal result types compute the same
values; the later one is replaced by the earlier. One forward sweep with a
hash table, so chains of duplicates collapse in a single run. Ops with an
effect (``effect="random"``: dropout, noise) are never merged: two dropout
nodes draw different masks.
"""
from __future__ import annotations

from dataclasses import dataclass

from kxla.ir import get_op

from .base import Pass
from .pattern import is_commutative


def _freeze(value):
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


def node_key(node):
    """A hashable key equal for nodes that compute the same thing, or None for effectful ops."""
    if get_op(node.op).effect is not None:
        return None
    ins = [id(v) for v in node.inputs]
    if is_commutative(node):
        ins.sort()
    attrs = tuple((k, _freeze(v)) for k, v in sorted(node.attrs.items()))
    return (node.op, tuple(ins), attrs, tuple(r.type for r in node.results))


@dataclass(frozen=True)
class CommonSubexpressionElimination(Pass):
    """Merge nodes computing the same op on the same inputs (never random ops)."""

    name = "cse"

    def run(self, graph, rw) -> bool:
        seen = {}
        for node in rw.walk():
            key = node_key(node)
            if key is None:
                continue
            first = seen.get(key)
            if first is None:
                seen[key] = node
            else:
                rw.replace_node(node, first.results)
        return rw.changed
