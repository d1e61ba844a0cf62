"""``canonicalize``: algebraic simplifications, one table row per identity.

Each rule is (pattern, replacement); the driver (``pattern.apply_rules``)
declines any replacement whose type differs from the original result, so
``x * 1`` is only simplified when the ``1`` does not broadcast ``x`` to a
larger shape or another dtype. Identities that are not exact in floating
point or change gradients (``x * 0 -> 0``, ``x - x -> 0``, ``exp(log x)``)
are deliberately absent. Commutative ops (add, multiply, maximum, minimum)
match with their inputs in either order.
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import Pass
from .pattern import C, P, V, apply_rules

X, Y = V("x"), V("y")


def _identity_perm(node) -> bool:
    perm = node.attrs.get("perm")
    return perm is not None and list(perm) == list(range(len(perm)))


def _compose(b, x, inner, root):
    """transpose(transpose(x, p1), p2) == transpose(x, [p1[j] for j in p2])."""
    p1, p2 = inner.attrs["perm"], root.attrs["perm"]
    perm = [p1[j] for j in p2]
    return x if perm == list(range(len(perm))) else b.transpose(x, perm=perm)


ALGEBRA = [
    (P("multiply", X, C(1)), lambda x: x),                          # x * 1 -> x   (1 * x too)
    (P("divide", X, C(1)), lambda x: x),                            # x / 1 -> x
    (P("add", X, C(0)), lambda x: x),                               # x + 0 -> x   (0 + x too)
    (P("subtract", X, C(0)), lambda x: x),                          # x - 0 -> x
    (P("power", X, C(1)), lambda x: x),                             # x ** 1 -> x
    (P("subtract", C(0), X), lambda b, x: b.negative(x)),           # 0 - x -> -x
    (P("multiply", X, C(-1)), lambda b, x: b.negative(x)),          # x * -1 -> -x
    (P("negative", P("negative", X)), lambda x: x),                 # -(-x) -> x
    (P("add", X, P("negative", Y)), lambda b, x, y: b.subtract(x, y)),   # x + (-y) -> x - y
    (P("subtract", X, P("negative", Y)), lambda b, x, y: b.add(x, y)),   # x - (-y) -> x + y
    (P("relu", P("relu", X, name="inner")), lambda inner: inner),   # relu(relu(x)) -> relu(x)
    (P("abs", P("abs", X, name="inner")), lambda inner: inner),     # |(|x|)| -> |x|
    (P("abs", P("negative", X)), lambda b, x: b.abs(x)),            # |-x| -> |x|
]

SHAPES = [
    (P("cast", X), lambda x: x),                                    # cast to x's own dtype -> x
    (P("reshape", X), lambda x: x),                                 # reshape to x's own shape -> x
    (P("reshape", P("reshape", X)),                                 # reshape(reshape(x)) -> reshape(x)
     lambda b, x, root: x if x.type == root.results[0].type else b.reshape(x, shape=root.attrs["shape"])),
    (P("transpose", X, where=_identity_perm), lambda x: x),         # transpose(x, identity) -> x
    (P("transpose", P("transpose", X, name="inner")), _compose),    # transpose∘transpose -> one transpose
]

RULES = ALGEBRA + SHAPES


@dataclass(frozen=True)
class Canonicalize(Pass):
    """Algebraic simplifications: x*1, x+0, -(-x), reshape/transpose chains, no-op casts."""

    name = "canonicalize"

    def run(self, graph, rw) -> bool:
        n = apply_rules(rw, RULES)
        rw.count("rewrites", n)
        return n > 0
