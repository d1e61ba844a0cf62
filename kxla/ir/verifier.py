"""Checks a Graph's invariants; raises ``VerificationError`` naming the offending node.

A node parsed from text is named by its line and column in that text
(``line 3, column 3: node softmax (layer 'dense') #1: ...``); a node made in
Python by its index and layer.

Invariants checked, in order, for every graph:
  1. Graph arguments (inputs, params, state) have the right kind and unique names.
  2. Every node's op is registered (``kxla.ir.registry``).
  3. Every node reads only values defined earlier in the node list (graph
     arguments or results of earlier nodes): no use before definition, no
     cycles. The list order is the program order; out-of-order IR is an
     error here, never reordered behind the author's back. Each node is in
     the ``users`` of every value it reads.
  4. Every result is produced exactly once (SSA).
  5. Every node's attributes are in its op's schema, of the right kind, with
     required ones present.
  6. Every node's result types — shapes and dtypes — equal what the op's
     shape/dtype rule gives for its input types and attributes (e.g. softmax
     of i32 is f32, as its lowering computes).
  7. Every graph output and every update's new value is defined; update
     targets are state arguments, updated at most once, with matching types.
  8. Every region attribute (a sub-graph, e.g. scan's ``body``) is isolated
     from above — inputs only: no params, state or updates, and it reads
     nothing but its own values — and passes all of the above itself. Its
     signature against the node's operands (e.g. a scan's carried states keep
     their types from input to output) is the op's shape rule's to check (6).
"""
from __future__ import annotations

from .graph import Graph, Node
from .registry import get_op, has_op


class VerificationError(ValueError):
    """A graph breaks one of the verifier's invariants; ``line``/``column`` locate a parsed node (else None)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line, self.column = line, column


def describe(node: Node, index: int | None = None) -> str:
    """``node relu (layer 'dense') #3``: how errors name a node (the index when given)."""
    where = f" (layer {node.layer!r})" if node.layer else ""
    number = f" #{index}" if index is not None else ""
    return f"node {node.op}{where}{number}"


def verify(graph: Graph) -> None:
    defined: set[int] = set()
    names: set[str] = set()
    for kind, values in (("input", graph.inputs), ("param", graph.params), ("state", graph.state)):
        for v in values:
            if v.kind != kind:
                raise VerificationError(f"graph {kind} {v.name!r} has kind {v.kind!r}")
            if v.name in names:
                raise VerificationError(f"graph argument name {v.name!r} is used twice")
            names.add(v.name)
            defined.add(id(v))
    for index, node in enumerate(graph.nodes):
        _check_node(node, index, defined)
    _check_outputs(graph, defined)


def _check_node(node: Node, index: int, defined: set) -> None:
    loc = node.meta.get("loc") if isinstance(getattr(node, "meta", None), dict) else None
    try:
        _node_invariants(node, describe(node, index), defined)
    except VerificationError as e:
        if loc is None:
            raise
        raise VerificationError(f"line {loc[0]}, column {loc[1]}: {e}", loc[0], loc[1]) from None


def _node_invariants(node: Node, where: str, defined: set) -> None:
    if not has_op(node.op):
        try:
            get_op(node.op)
        except KeyError as e:
            raise VerificationError(f"{where}: {e.args[0]}") from None
    opdef = get_op(node.op)
    for i, v in enumerate(node.inputs):
        if id(v) not in defined:
            raise VerificationError(f"{where}: input {i} ({v}) is used before it is defined")
        if node not in v.users:
            raise VerificationError(f"{where}: input {i} ({v}) does not list the node among its users")
    try:
        attrs = opdef.normalize_attrs(node.attrs)
    except (TypeError, ValueError, KeyError) as e:
        raise VerificationError(f"{where}: {e}") from None
    if list(attrs) != list(node.attrs):
        missing = [k for k in attrs if k not in node.attrs]
        raise VerificationError(f"{where}: attributes missing {missing} (schema order {list(attrs)})")
    for key, value in attrs.items():
        if isinstance(value, Graph):
            _check_region(value, f"{where}: region {key}=@{value.name}")
    try:
        expected = opdef.infer_types([v.type for v in node.inputs], attrs)
    except (TypeError, ValueError) as e:
        raise VerificationError(f"{where}: shape rule rejects inputs: {e}") from None
    except Exception as e:          # a rule meeting attribute values it never expected (hand-written IR)
        raise VerificationError(f"{where}: shape rule rejects inputs: {type(e).__name__}: {e}") from None
    actual = [r.type for r in node.results]
    if list(expected) != actual:
        raise VerificationError(
            f"{where}: result types {', '.join(map(str, actual))} disagree with the shape rule, "
            f"which gives {', '.join(map(str, expected))}")
    for r in node.results:
        if id(r) in defined:
            raise VerificationError(f"{where}: result {r} is defined twice")
        defined.add(id(r))


def _check_region(region: Graph, where: str) -> None:
    for kind in ("params", "state", "updates"):
        if getattr(region, kind):
            raise VerificationError(f"{where}: a region has inputs only (every weight it reads is an operand "
                                    f"of the node), but it has {kind}")
    if not region.outputs:
        raise VerificationError(f"{where}: a region returns at least one value")
    try:
        verify(region)
    except VerificationError as e:
        raise VerificationError(f"{where}: {e}") from None


def _check_outputs(graph: Graph, defined: set) -> None:
    for i, v in enumerate(graph.outputs):
        if id(v) not in defined:
            raise VerificationError(f"graph output {i} ({v}) is not defined in the graph")
    targets = set()
    for state, new in graph.updates:
        if state.kind != "state" or state not in graph.state:
            raise VerificationError(f"update target {state} is not a state argument of the graph")
        if id(state) in targets:
            raise VerificationError(f"state {state.name!r} is updated twice")
        targets.add(id(state))
        if id(new) not in defined:
            raise VerificationError(f"update of {state.name!r} reads an undefined value {new}")
        if new.type != state.type:
            raise VerificationError(f"update of {state.name!r}: new value type {new.type} != state type {state.type}")
