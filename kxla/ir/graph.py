"""The IR's data structure: SSA ``Value``s, ``Node``s and the ``Graph`` that owns them.

A graph has explicit inputs, parameters (trainable or frozen weights) and
state (e.g. BatchNorm moving statistics), nodes in a linked list whose order
is the program order (``kxla.ir.nodelist``), outputs and state updates
(``update %bn.moving_mean = %7``). ``Node.inputs`` is a tuple; assigning it
keeps every value's ``users`` current (as in torch.fx): an ordered set of the
nodes reading the value (a dict keyed by node, each reader once, O(1)
removal). Free-form analysis results go in ``node.meta``; ``Graph.clone()``
copies them with everything else.

Regions: an op may hold sub-graphs as attributes of kind ``"region"`` (the
``scan`` op's ``body``). A region is a ``Graph`` isolated from above: it
reads only its own inputs (every weight or outer value it needs is an
operand of the node, passed in as a region input), has no params, state or
updates, and returns its results. ``clone()`` copies regions deeply; the
printer writes them under their node, the parser reads them back and the
verifier checks them like any graph (and the op's shape rule checks the
region's signature against the node's operands).
"""
from __future__ import annotations

from typing import Any, Iterable

from .nodelist import NodeList
from .types import TensorType

VALUE_KINDS = ("input", "param", "state", "result")
LAYER_SEPARATOR = ", "      # a node fused from several layers' nodes: ``layer = "conv2d, activation"``


def merge_layers(layers) -> str | None:
    """One ``Node.layer`` naming every source layer once, in order (None when there is none)."""
    seen: list[str] = []
    for layer in layers:
        for part in (layer or "").split(LAYER_SEPARATOR):
            if part and part not in seen:
                seen.append(part)
    return LAYER_SEPARATOR.join(seen) or None


class Value:
    """One SSA value: produced once (by a node, or as a graph input/param/state)."""

    __slots__ = ("type", "name", "kind", "producer", "index", "users", "attrs")

    def __init__(self, type: TensorType, name: str | None = None, kind: str = "result",
                 producer: "Node | None" = None, index: int = 0, attrs: dict | None = None):
        if kind not in VALUE_KINDS:
            raise ValueError(f"Value kind must be one of {VALUE_KINDS}, got {kind!r}")
        self.type = type
        self.name = name
        self.kind = kind
        self.producer = producer
        self.index = index
        self.users: dict[Node, None] = {}   # ordered set of reading nodes (each once, in order of first use)
        self.attrs = dict(attrs or {})   # param/state metadata: init, trainable

    @property
    def trainable(self) -> bool:
        return self.kind == "param" and self.attrs.get("trainable", True)

    def __repr__(self):
        return f"Value({self.name or '?'}: {self.type})"


class Node:
    """An operation applied to input values, producing ``len(results)`` values.

    Attributes:
      op: registered op name.
      inputs: input values, a tuple (assigning it updates the values' ``users``).
      attrs: attribute dict, in the op schema's order.
      results: values this node produces.
      layer: path of the layer that recorded the node (``"block/conv"``) or None; a node that
        rewrites fused from several layers' nodes names each (``"conv2d, activation"``).
      meta: free-form analysis results.
    """

    __slots__ = ("op", "_inputs", "attrs", "results", "layer", "meta", "_prev", "_next", "_owner", "_order")

    def __init__(self, op: str, inputs: Iterable[Value], attrs: dict | None = None,
                 result_types: Iterable[TensorType] = (), layer: str | None = None):
        self.op = op
        self._inputs: tuple[Value, ...] = ()
        self.attrs = dict(attrs or {})
        self.layer = layer
        self.meta: dict[str, Any] = {}
        self._prev = self._next = self._owner = None      # links of the graph's NodeList
        self._order = 0
        self.results = [Value(t, kind="result", producer=self, index=i)
                        for i, t in enumerate(result_types)]
        self.inputs = inputs

    @property
    def inputs(self) -> tuple[Value, ...]:
        return self._inputs

    @inputs.setter
    def inputs(self, new: Iterable[Value]):
        new = tuple(new)
        for v in self._inputs:
            if v not in new:
                v.users.pop(self, None)
        self._inputs = new
        for v in new:
            v.users[self] = None

    def replace_input(self, old: Value, new: Value) -> None:
        self.inputs = [new if v is old else v for v in self._inputs]

    def drop(self) -> None:
        """Detach from the ``users`` of its inputs (before removal from a graph)."""
        self.inputs = ()

    @property
    def layers(self) -> list[str]:
        """Every source layer path of this node (see ``layer``)."""
        return self.layer.split(LAYER_SEPARATOR) if self.layer else []

    @property
    def result(self) -> Value:
        if len(self.results) != 1:
            raise ValueError(f"{self.op} has {len(self.results)} results, not one")
        return self.results[0]

    def __repr__(self):
        return f"Node({self.op}, layer={self.layer})"


def _copy_attr(value):
    if isinstance(value, Graph):            # a region: its own nodes and values
        return value.clone()
    return [_copy_attr(v) for v in value] if isinstance(value, list) else value


class Graph:
    """A typed SSA graph: ``inputs``, ``params``, ``state``, ``nodes``, ``outputs``, ``updates``.

    ``updates`` is a list of ``(state_value, new_value)`` pairs: the lowered
    function returns ``new_value`` as the next value of that state entry.
    """

    def __init__(self, name: str = "main", inputs=(), params=(), state=(), nodes=(),
                 outputs=(), updates=()):
        self.name = name
        self.inputs: list[Value] = list(inputs)
        self.params: list[Value] = list(params)
        self.state: list[Value] = list(state)
        self.nodes = NodeList(nodes)
        self.outputs: list[Value] = list(outputs)
        self.updates: list[tuple[Value, Value]] = list(updates)

    # -- queries ---------------------------------------------------------
    def param(self, name: str) -> Value:
        for v in self.params + self.state:
            if v.name == name:
                return v
        raise KeyError(f"Graph @{self.name} has no parameter or state named {name!r}")

    def regions(self) -> list:
        """``[(node, attribute name, region graph)]`` for every region attribute of this graph's nodes
        (not nested ones: recurse on each region for those)."""
        return [(n, k, v) for n in self.nodes for k, v in n.attrs.items() if isinstance(v, Graph)]

    def live_values(self) -> set:
        """Ids of values read by outputs or updates (roots for liveness)."""
        return {id(v) for v in self.outputs} | {id(v) for _, v in self.updates}

    # -- mutation helpers (passes should prefer kxla.passes.Rewriter) ----
    def replace_all_uses(self, old: Value, new: Value) -> None:
        """Make every reader of ``old`` (nodes, outputs, updates) read ``new``."""
        for node in list(old.users):
            node.replace_input(old, new)
        self.outputs = [new if v is old else v for v in self.outputs]
        self.updates = [(s, new if v is old else v) for s, v in self.updates]

    def remove_node(self, node: Node) -> None:
        node.drop()
        self.nodes.remove(node)

    def clone(self) -> "Graph":
        """A structural deep copy: new Values and Nodes, same names, types, attributes, layers and ``meta``.

        Attribute lists are copied (editing the clone's attributes leaves the
        original alone); ``meta`` dicts are copied one level deep.
        """
        new: dict[int, Value] = {}

        def arg(v: Value) -> Value:
            c = Value(v.type, name=v.name, kind=v.kind, attrs={k: _copy_attr(a) for k, a in v.attrs.items()})
            new[id(v)] = c
            return c

        g = Graph(self.name, [arg(v) for v in self.inputs], [arg(v) for v in self.params],
                  [arg(v) for v in self.state])
        for n in self.nodes:
            c = Node(n.op, [new[id(v)] for v in n._inputs], {k: _copy_attr(a) for k, a in n.attrs.items()},
                     [r.type for r in n.results], layer=n.layer)
            c.meta = dict(n.meta)
            for old, r in zip(n.results, c.results):
                new[id(old)] = r
            g.nodes.append(c)
        g.outputs = [new[id(v)] for v in self.outputs]
        g.updates = [(new[id(s)], new[id(v)]) for s, v in self.updates]
        return g

    def topological_order(self, roots: Iterable[Value] | None = None, everything: bool = True) -> list[Node]:
        """Nodes depth-first from ``roots`` (default: outputs, then update values), inputs left to right.

        A node comes after every node it reads. With ``everything`` the nodes
        no root reaches follow, in list order. Reads only ``Node.inputs``, so
        it also orders a list that is not in program order.
        """
        roots = list(self.outputs) + [v for _, v in self.updates] if roots is None else list(roots)
        members = {id(n) for n in self.nodes}
        done: set[int] = set()
        out: list[Node] = []
        for root in roots:
            if root.producer is None or id(root.producer) in done or id(root.producer) not in members:
                continue
            stack = [(root.producer, False)]
            while stack:
                node, expanded = stack.pop()
                if id(node) in done:
                    continue
                if expanded:
                    done.add(id(node))
                    out.append(node)
                    continue
                stack.append((node, True))
                for v in reversed(node._inputs):
                    p = v.producer
                    if p is not None and id(p) in members and id(p) not in done:
                        stack.append((p, False))
        if everything:
            out.extend(n for n in self.nodes if id(n) not in done)
        return out

    # -- text ------------------------------------------------------------
    def __str__(self) -> str:
        from .printer import print_graph
        return print_graph(self)

    def verify(self) -> "Graph":
        from .verifier import verify
        verify(self)
        return self

    def to_dot(self) -> str:
        from .printer import to_dot
        return to_dot(self)
