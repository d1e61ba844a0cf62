"""Pattern rewriting: match a small DAG of ops with predicates, replace it (tinygrad-style tables).

A rule is one row: a pattern and a function building the replacement from
the names the pattern bound. Tables are plain lists, so they compose
(``RULES = ALGEBRA + RESHAPES``)::

    X, Y = V("x"), V("y")
    RULES = [
        (P("multiply", X, C(1)),          lambda x: x),                # x * 1 -> x
        (P("negative", P("negative", X)), lambda x: x),                # -(-x) -> x
        (P("add", X, P("negative", Y)),   lambda b, x, y: b.subtract(x, y)),  # x + -y -> x - y
    ]
    apply_rules(rw, RULES)

Patterns:
  ``P(op, *inputs, name=, where=, one_use=)`` matches a value produced by a
  node whose op is ``op`` (a name, a tuple of names, or None for any op), whose inputs match
  ``inputs`` (omit them to accept any inputs), and for which ``where(node)``
  holds. Binary ops with the "commutative" trait also match with their inputs swapped.
  ``one_use=True`` additionally requires the value to have exactly one
  reader (fusions use it for interior nodes so nothing else sees the
  intermediate). ``name`` binds the node.
  ``V(name, where=)`` matches any value (binds it); a name used twice must
  bind the same value.
  ``C(x)`` matches a value produced by a ``constant`` node all of whose
  elements equal ``x``.

Replacement functions receive, by parameter name, any bound name plus
``root`` (the matched node), ``b`` (a ``Builder`` that inserts before the
root) and ``rw``. They return the new value for the root's result, or None
to decline. A replacement whose type differs from the root's result type is
declined too, so a rule can never make the IR ill-typed (``x * 1`` where
the ``1`` broadcasts ``x`` to a larger shape is left alone).
"""
from __future__ import annotations

import inspect
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from kxla.ir import Node, Value, get_op, has_op, merge_layers

from .rewriter import Builder, Rewriter

__all__ = ["P", "V", "C", "Match", "Rule", "apply_rules", "match", "is_commutative", "constant_value"]


def is_commutative(node: Node) -> bool:
    """True for a two-input node whose op has the "commutative" trait."""
    return len(node.inputs) == 2 and has_op(node.op) and "commutative" in get_op(node.op).traits


class _Pattern:
    def match(self, value: Value, m: "Match") -> bool:  # pragma: no cover - abstract
        raise TypeError(f"{type(self).__name__} must define match(value, m)")


class P(_Pattern):
    """Matches a value produced by an op (see module doc)."""

    __slots__ = ("op", "inputs", "name", "where", "one_use", "any_inputs")

    def __init__(self, op, *inputs, name=None, where=None, one_use=False):
        self.op = None if op is None else (op,) if isinstance(op, str) else tuple(op)
        self.inputs = tuple(inputs)
        self.name = name
        self.where = where
        self.one_use = one_use
        self.any_inputs = not inputs

    def __repr__(self):
        args = [repr(self.op if self.op is None or len(self.op) != 1 else self.op[0])] + [repr(p) for p in self.inputs]
        return f"P({', '.join(args)})"

    def match(self, value: Value, m: "Match") -> bool:
        node = value.producer
        if node is None or m.rw.is_erased(node):
            return False
        if self.one_use and m.rw.only_reader(value) is None:
            return False
        if not self.match_node(node, m):
            return False
        return True

    def match_node(self, node: Node, m: "Match") -> bool:
        if self.op is not None and node.op not in self.op:
            return False
        if self.where is not None and not self.where(node):
            return False
        if not self.any_inputs:
            ins = node.inputs
            if len(ins) != len(self.inputs):
                return False
            orders = [ins]
            if is_commutative(node):
                orders.append(ins[::-1])
            for order in orders:
                saved = m.save()
                if all(p.match(v, m) for p, v in zip(self.inputs, order)):
                    break
                m.restore(saved)
            else:
                return False
        if self.name is not None:
            if self.name in m.bindings and m.bindings[self.name] is not node:
                return False
            m.bindings[self.name] = node
        m.nodes.append(node)
        return True


@dataclass(frozen=True, eq=False)
class V(_Pattern):
    """Matches any value and binds it to ``name``; ``where(value)`` filters."""

    name: str
    where: Callable | None = None

    def match(self, value: Value, m: "Match") -> bool:
        if self.where is not None and not self.where(value):
            return False
        bound = m.bindings.get(self.name)
        if bound is not None and bound is not value:
            return False
        m.bindings[self.name] = value
        return True


@dataclass(frozen=True, eq=False)
class C(_Pattern):
    """Matches a ``constant`` whose every element equals ``value``; binds it to ``name`` if given."""

    value: float
    name: str | None = None

    def match(self, value: Value, m: "Match") -> bool:
        node = value.producer
        if node is None or node.op != "constant" or m.rw.is_erased(node):
            return False
        if constant_value(node) != self.value:
            return False
        if self.name is not None:
            m.bindings[self.name] = value
        m.nodes.append(node)
        return True


def constant_value(node: Node):
    """The single value a ``constant`` node holds in every element, or None if not a splat."""
    value = node.attrs.get("value")
    first = None
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
            continue
        if first is None:
            first = v
        elif v != first:
            return None
    return first


class Match:
    """The result of matching: ``bindings`` by name, the matched ``nodes``, the ``root`` node."""

    def __init__(self, rw: Rewriter, root: Node):
        self.rw = rw
        self.root = root
        self.bindings: dict = {}
        self.nodes: list[Node] = []

    def save(self):
        return dict(self.bindings), len(self.nodes)

    def restore(self, saved) -> None:
        self.bindings, n = dict(saved[0]), saved[1]
        del self.nodes[n:]

    def __getattr__(self, name):
        try:
            return self.__dict__["bindings"][name]
        except KeyError:
            raise AttributeError(name) from None


def match(pattern: P, node: Node, rw: Rewriter) -> Match | None:
    """Match ``pattern`` rooted at ``node``; return the Match or None."""
    m = Match(rw, node)
    return m if pattern.match_node(node, m) else None


@dataclass
class Rule:
    """One table row: ``pattern`` and ``rewrite`` (see module doc); ``doc`` says the identity."""

    pattern: P
    rewrite: Callable
    doc: str = ""
    params: tuple = field(init=False)

    def __post_init__(self):
        if not isinstance(self.pattern, P):
            raise TypeError(f"a rule's root pattern must be a P(op, ...), got {self.pattern!r}")
        self.params = tuple(inspect.signature(self.rewrite).parameters)

    def apply(self, m: Match):
        extras = {"root": m.root, "rw": m.rw, "b": None}
        kwargs = {}
        for p in self.params:
            if p == "b":
                kwargs[p] = Builder(m.rw, before=m.root)
            elif p in m.bindings:
                kwargs[p] = m.bindings[p]
            elif p in extras:
                kwargs[p] = extras[p]
            else:
                raise TypeError(f"rule {self.doc or self.pattern}: rewrite parameter {p!r} is not bound by "
                                "the pattern")
        return self.rewrite(**kwargs)


def _as_rules(rules) -> list[Rule]:
    out = []
    for r in rules:
        if isinstance(r, Rule):
            out.append(r)
        else:
            out.append(Rule(*r))
    return out


def apply_rules(rw: Rewriter, rules, max_rewrites: int | None = None) -> int:
    """Rewrite the graph with ``rules`` until none applies; return the number of rewrites.

    A worklist driver: every node is tried once, and after a rewrite the
    readers of the new value and the nodes it created are tried again, so
    the work is proportional to the graph size plus the rewrites made. The
    first matching row of the table wins. Matched nodes that become dead are
    erased (counted as removed); the root counts as replaced.
    """
    rules = _as_rules(rules)
    by_op: dict[str, list[Rule]] = {}
    wildcard = [r for r in rules if r.pattern.op is None]
    for r in rules:
        for op in r.pattern.op or ():
            by_op.setdefault(op, []).append(r)

    def rules_for(op):
        return by_op.get(op, []) + wildcard if wildcard else by_op.get(op, ())

    worklist = deque(n for n in rw.walk() if wildcard or n.op in by_op)
    queued = {id(n) for n in worklist}
    limit = max_rewrites if max_rewrites is not None else 10 * (len(worklist) + 10)
    count = 0
    rw.take_new()
    while worklist:
        node = worklist.popleft()
        queued.discard(id(node))
        if rw.is_erased(node):
            continue
        for rule in rules_for(node.op):
            m = match(rule.pattern, node, rw)
            if m is None:
                continue
            new = rule.apply(m)
            if isinstance(new, Node):
                new = new.results[0]
            created = rw.take_new()
            if new is None or new is node.results[0] or len(node.results) != 1 or \
                    new.type != node.results[0].type:
                for n in reversed(created):
                    rw.erase_if_dead(n, recursive=False)
                continue
            readers = list(node.results[0].users)
            if new.producer is not None and any(new.producer is n for n in created):
                new.producer.layer = merge_layers(n.layer for n in m.nodes)   # attribution survives
            rw.replace_node(node, [new])
            for n in reversed(m.nodes):        # consumers before their producers
                if n is not node:
                    rw.erase_if_dead(n, recursive=False)
            for n in reversed(created):
                rw.erase_if_dead(n, recursive=False)
            count += 1
            if count > limit:
                raise RuntimeError(f"pattern rewriting did not converge after {count} rewrites "
                                   f"(last rule: {rule.doc or rule.pattern})")
            retry = [n for n in created if not rw.is_erased(n)] + readers
            if new.producer is not None:
                retry.append(new.producer)
            for n in retry:
                if id(n) not in queued and not rw.is_erased(n) and (wildcard or n.op in by_op):
                    worklist.append(n)
                    queued.add(id(n))
            break
    return count
