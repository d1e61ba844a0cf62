"""``cancel-transposes``: fold chains of transposes, drop identity ones, sink them through unary elementwise ops.

Usable alone or after ``convert-layout`` (which already absorbs the
transposes it sees). Rows::

    transpose(x, identity)                      -> x
    transpose(transpose(x, p), q)               -> transpose(x, p∘q)   (x when p∘q is the identity)
    transpose(f(transpose(x, p)), q)            -> f(transpose(x, p∘q))  f unary "agnostic", single reader

Reports ``transposes_cancelled`` (transpose nodes removed) and
``transposes_remaining``.
"""
from __future__ import annotations

from dataclasses import dataclass

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import get_op

from .base import Pass
from .pattern import P, V, apply_rules
from .perms import compose, is_identity

X = V("x")


def _identity_perm(node) -> bool:
    return is_identity(node.attrs["perm"])


def _unary_agnostic(node) -> bool:
    opdef = get_op(node.op)
    return opdef.layout == "agnostic" and len(node.inputs) == 1 and opdef.effect is None


def _fold(b, x, inner, root):
    perm = list(compose(inner.attrs["perm"], root.attrs["perm"]))
    return x if is_identity(perm) else b.transpose(x, perm=perm)


def _sink(b, x, inner, f, root):
    perm = list(compose(inner.attrs["perm"], root.attrs["perm"]))
    moved = x if is_identity(perm) else b.transpose(x, perm=perm)
    return b.op(f.op, moved, **f.attrs)


RULES = [
    (P("transpose", X, where=_identity_perm), lambda x: x),                    # transpose(x, id) -> x
    (P("transpose", P("transpose", X, name="inner")), _fold),                  # t(t(x, p), q) -> t(x, p∘q)
    (P("transpose", P(None, P("transpose", X, name="inner", one_use=True),     # t(f(t(x, p)), q) -> f(t(x, p∘q))
                      name="f", where=_unary_agnostic, one_use=True)), _sink),
]


@dataclass(frozen=True)
class CancelTransposes(Pass):
    """Fold chains of transposes and drop identity ones."""

    name = "cancel-transposes"

    def run(self, graph, rw) -> bool:
        before = sum(n.op == "transpose" for n in rw.walk())
        n = apply_rules(rw, RULES)
        remaining = sum(n.op == "transpose" for n in rw.walk())
        rw.count("transposes_cancelled", before - remaining)
        rw.count("transposes_remaining", remaining)
        return n > 0
