"""The IR's data structure: SSA ``Value``s, ``Node``s and the ``Graph`` that owns them.

A graph has explicit inputs, parameters (trainable or frozen weights) and
state (e.g. BatchNorm moving statistics), nodes in topological order, outputs
and state updates (``update %bn.moving_mean = %7``). Setting a node's inputs
keeps every value's use-list current (as in torch.fx), so passes can ask
``value.users`` at any time. Free-form analysis results go in ``node.meta``.
"""
from __future__ import annotations

from typing import Any, Iterable

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
        self.users: list[Node] = []      # one entry per use (a node using a value twice appears twice)
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
      inputs: input values (assigning the list updates use-lists).
      attrs: attribute dict, in the op schema's order.
      results: values this node produces.
      layer: path of the layer that recorded the node (``"block/conv"``) or None; a node that
        rewrites fused from several layers' nodes names each (``"conv2d, activation"``).
      meta: free-form analysis results.
    """

    __slots__ = ("op", "_inputs", "attrs", "results", "layer", "meta")

    def __init__(self, op: str, inputs: Iterable[Value], attrs: dict | None = None,
                 result_types: Iterable[TensorType] = (), layer: str | None = None):
        self.op = op
        self._inputs: list[Value] = []
        self.attrs = dict(attrs or {})
        self.layer = layer
        self.meta: dict[str, Any] = {}
        self.results = [Value(t, kind="result", producer=self, index=i)
                        for i, t in enumerate(result_types)]
        self.inputs = list(inputs)

    @property
    def inputs(self) -> list[Value]:
        return list(self._inputs)

    @inputs.setter
    def inputs(self, new: Iterable[Value]):
        for v in self._inputs:
            v.users.remove(self)
        self._inputs = list(new)
        for v in self._inputs:
            v.users.append(self)

    def replace_input(self, old: Value, new: Value) -> None:
        self.inputs = [new if v is old else v for v in self._inputs]

    def drop(self) -> None:
        """Detach from the use-lists of its inputs (before removal from a graph)."""
        self.inputs = []

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
        self.nodes: list[Node] = list(nodes)
        self.outputs: list[Value] = list(outputs)
        self.updates: list[tuple[Value, Value]] = list(updates)

    # -- queries ---------------------------------------------------------
    def param(self, name: str) -> Value:
        for v in self.params + self.state:
            if v.name == name:
                return v
        raise KeyError(f"Graph @{self.name} has no parameter or state named {name!r}")

    def live_values(self) -> set:
        """Ids of values read by outputs or updates (roots for liveness)."""
        return {id(v) for v in self.outputs} | {id(v) for _, v in self.updates}

    # -- mutation helpers (passes should prefer kxla.passes.Rewriter) ----
    def replace_all_uses(self, old: Value, new: Value) -> None:
        """Make every reader of ``old`` (nodes, outputs, updates) read ``new``."""
        for node in list(dict.fromkeys(old.users)):
            node.replace_input(old, new)
        self.outputs = [new if v is old else v for v in self.outputs]
        self.updates = [(s, new if v is old else v) for s, v in self.updates]

    def remove_node(self, node: Node) -> None:
        node.drop()
        self.nodes.remove(node)

    def copy(self) -> "Graph":
        """A deep copy (new Value and Node objects, same types and attributes)."""
        from .printer import print_graph
        from .parser import parse
        return parse(print_graph(self))

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
