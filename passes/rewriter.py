"""``Rewriter``: the one door through which passes change the IR, counting what they do.

Every pass receives a Rewriter bound to the graph it transforms. It creates
nodes (``insert``), redirects uses (``replace_node``, ``replace_value``),
deletes nodes (``erase``) and edits nodes in place (``set_inputs``,
``set_attrs``, ``set_type``). It counts

* ``inserted`` - nodes created,
* ``removed``  - nodes erased,
* ``replaced`` - nodes whose results were redirected to other values and erased,
* ``modified`` - distinct existing nodes (or graph arguments) edited in place,

plus any pass-specific counters (``rw.count("transposes_inserted")``). The
counts are the pass statistics that ``PassManager.report()`` shows and that
tests assert.

The graph's node list is edited in place: ``insert`` places a node right
before its anchor (or at the end), ``erase`` unlinks it, ``move_before`` and
``hoist`` move existing nodes. Nothing repairs the order afterwards: a pass
that makes a node read a value defined after it leaves IR that the verifier
rejects (``use before definition``). Use-lists (``value.users``) are always
current. ``rw.walk()`` visits the nodes present when it is called, skipping
those erased meanwhile.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Iterator

from kxla.ir import Graph, Node, TensorType, Value, get_op

__all__ = ["Rewriter", "Builder"]


class Rewriter:
    """Mutates one graph and counts the mutations (see module doc).

    Arguments:
      graph: the graph to transform (the pass manager hands a private copy).
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.inserted = 0
        self.removed = 0
        self.replaced = 0
        self.counters: Counter = Counter()
        self._modified: set[int] = set()
        self._new: list[Node] = []                 # nodes created since the last take_new()

    # -- statistics ------------------------------------------------------------
    @property
    def modified(self) -> int:
        return len(self._modified)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.removed or self.replaced or self._modified)

    def count(self, key: str, n: int = 1) -> None:
        """Add ``n`` to the pass-specific counter ``key`` (shown in the pass statistics)."""
        self.counters[key] += n

    # -- queries ---------------------------------------------------------------
    def walk(self) -> Iterator[Node]:
        """The graph's nodes in order as of this call, skipping nodes erased meanwhile."""
        nodes = self.graph.nodes
        for node in list(nodes):
            if node._owner is nodes:
                yield node

    def is_erased(self, node: Node) -> bool:
        """True for a node no longer in the graph (erased or replaced)."""
        return node._owner is not self.graph.nodes

    def num_uses(self, value: Value) -> int:
        """Uses of ``value``: one per node input slot reading it, plus graph outputs and state updates."""
        g = self.graph
        return sum(sum(v is value for v in n.inputs) for n in value.users) + \
            sum(v is value for v in g.outputs) + sum(v is value for _, v in g.updates)

    def only_reader(self, value: Value) -> Node | None:
        """The single node reading ``value`` once, if that is its only use (not an output); else None."""
        if len(value.users) != 1 or self.is_graph_result(value):
            return None
        (node,) = value.users
        return node if sum(v is value for v in node.inputs) == 1 else None

    def is_graph_result(self, value: Value) -> bool:
        g = self.graph
        return any(v is value for v in g.outputs) or any(v is value for _, v in g.updates)

    def take_new(self) -> list[Node]:
        """Nodes created since the previous call (pattern drivers put them on their worklist)."""
        new, self._new = self._new, []
        return new

    # -- creating nodes --------------------------------------------------------
    def insert(self, op: str, inputs: Iterable[Value], attrs: dict | None = None, *,
               before: Node | None = None, layer: str | None = None,
               types: Iterable[TensorType] | None = None) -> Node:
        """Create a node, place it right before ``before`` (or at the end) and return it.

        Attributes are completed with the op's defaults and result types come
        from the op's shape rule unless ``types`` is given. ``layer`` defaults
        to the anchor's layer; the node joins the anchor's remat region (``meta["remat"]``).
        """
        opdef = get_op(op)
        inputs = list(inputs)
        attrs = opdef.normalize_attrs(dict(attrs or {}))
        if types is None:
            types = opdef.infer_types([v.type for v in inputs], attrs)
        if layer is None and before is not None:
            layer = before.layer
        node = Node(opdef.name, inputs, attrs, list(types), layer=layer)     # an old name: the current op
        if before is not None and before.meta.get("remat"):     # joins the anchor's remat region
            node.meta["remat"] = before.meta["remat"]
        self.graph.nodes.insert_before(before, node)
        self.inserted += 1
        self._new.append(node)
        return node

    def builder(self, before: Node | None = None, layer: str | None = None) -> "Builder":
        """A ``Builder`` inserting before ``before``: ``b.add(x, y)`` returns the new value."""
        return Builder(self, before, layer)

    # -- redirecting and erasing ---------------------------------------------
    def replace_value(self, old: Value, new: Value) -> None:
        """Make every reader of ``old`` (nodes, outputs, updates) read ``new``. Types must agree."""
        if old is new:
            return
        if old.type != new.type:
            raise ValueError(f"cannot replace a value of type {old.type} by one of type {new.type}")
        self.graph.replace_all_uses(old, new)

    def replace_node(self, node: Node, new_values: Iterable[Value] | Value) -> None:
        """Redirect the uses of each result of ``node`` to ``new_values`` and erase ``node`` (one replaced)."""
        if isinstance(new_values, Value):
            new_values = [new_values]
        new_values = list(new_values)
        if len(new_values) != len(node.results):
            raise ValueError(f"{node.op} has {len(node.results)} result(s), got {len(new_values)} replacement(s)")
        for old, new in zip(node.results, new_values):
            self.replace_value(old, new)
        self._drop(node)
        self.replaced += 1

    def erase(self, node: Node) -> None:
        """Erase a node whose results nobody reads (one removed)."""
        for r in node.results:
            if r.users or self.is_graph_result(r):
                raise ValueError(f"cannot erase {node.op} (layer {node.layer!r}): its result is still used")
        self._drop(node)
        self.removed += 1

    def erase_if_dead(self, node: Node, recursive: bool = True) -> int:
        """Erase ``node`` if none of its results is read, then (recursively) its newly dead producers.

        Returns the number of nodes erased.
        """
        stack, erased = [node], 0
        while stack:
            n = stack.pop()
            if self.is_erased(n) or any(r.users or self.is_graph_result(r) for r in n.results):
                continue
            producers = [v.producer for v in n.inputs if v.producer is not None]
            self.erase(n)
            erased += 1
            if recursive:
                stack.extend(producers)
        return erased

    def _drop(self, node: Node) -> None:
        node.drop()
        self.graph.nodes.remove(node)

    # -- editing in place ------------------------------------------------------
    def set_inputs(self, node: Node, inputs: Iterable[Value]) -> None:
        inputs = list(inputs)
        if len(inputs) != len(node.inputs) or any(a is not b for a, b in zip(inputs, node.inputs)):
            node.inputs = inputs
            self._modified.add(id(node))

    def set_input(self, node: Node, index: int, value: Value) -> None:
        inputs = list(node.inputs)
        inputs[index] = value
        self.set_inputs(node, inputs)

    def set_attrs(self, node: Node, attrs: dict) -> None:
        """Replace ``node``'s attributes (completed with defaults, in schema order)."""
        attrs = get_op(node.op).normalize_attrs(dict(attrs))
        if attrs != node.attrs or list(attrs) != list(node.attrs):
            node.attrs = attrs
            self._modified.add(id(node))

    def set_attr(self, node: Node, key: str, value) -> None:
        self.set_attrs(node, {**node.attrs, key: value})

    def set_op(self, node: Node, op: str, attrs: dict | None = None) -> None:
        """Turn ``node`` into another op (same inputs and results), e.g. conv2d -> fused_conv2d."""
        node.op = op
        node.attrs = get_op(op).normalize_attrs(dict(node.attrs if attrs is None else attrs))
        self._modified.add(id(node))

    def set_type(self, value: Value, type: TensorType) -> None:
        """Change a value's type (shape inference, layout changes)."""
        if value.type != type:
            value.type = type
            self._modified.add(id(value.producer) if value.producer is not None else id(value))

    def set_output(self, index: int, value: Value) -> None:
        self.graph.outputs[index] = value

    def set_update(self, index: int, value: Value) -> None:
        state, _ = self.graph.updates[index]
        self.graph.updates[index] = (state, value)

    # -- moving ----------------------------------------------------------------
    def move_before(self, node: Node, anchor: Node) -> None:
        """Move ``node`` right before ``anchor`` (counted as modified; the caller keeps the order valid)."""
        if node is not anchor and node._next is not anchor:
            self.graph.nodes.move_before(node, anchor)
            self._modified.add(id(node))

    def hoist(self, values: Iterable[Value], before: Node) -> bool:
        """Make every value in ``values`` defined before ``before`` by moving the nodes computing it.

        The nodes at or after ``before`` that the values depend on move, in their
        order, to just before it. Returns False, moving nothing, when that is
        impossible: the values depend on ``before`` itself or on an op with an
        effect (random draws stay where they are).
        """
        nodes = self.graph.nodes
        late: dict[int, Node] = {}
        stack = [v.producer for v in values if v.producer is not None]
        while stack:
            n = stack.pop()
            if id(n) in late or nodes.comes_before(n, before):
                continue
            if n is before or get_op(n.op).effect is not None:
                return False
            late[id(n)] = n
            stack.extend(v.producer for v in n.inputs if v.producer is not None)
        for n in sorted(late.values(), key=nodes.order_key):
            self.move_before(n, before)
        return True


class Builder:
    """Emits nodes before an anchor through a Rewriter: ``b.multiply(x, y)`` -> new Value.

    ``b.op(name, *inputs, **attrs)`` works for any op; ``b.<op>(...)`` is the
    same with the op name as attribute. ``b.constant(1.0, dtype)`` makes a
    scalar (or array) literal.
    """

    def __init__(self, rw: Rewriter, before: Node | None = None, layer: str | None = None):
        self.rw = rw
        self.before = before
        self.layer = layer

    def op(self, name: str, *inputs: Value, **attrs) -> Value:
        node = self.rw.insert(name, inputs, attrs, before=self.before, layer=self.layer)
        return node.results[0] if len(node.results) == 1 else tuple(node.results)

    def constant(self, value, dtype: str = "float32", shape=None) -> Value:
        """A ``constant`` node: a Python scalar (kept as written) or an array-like, optionally broadcast."""
        import numpy as np
        if isinstance(value, (bool, int, float)) and shape is None:
            py = bool(value) if dtype == "bool" else int(value) if dtype.startswith(("int", "uint")) else float(value)
            return self.op("constant", value=py, shape=[], dtype=dtype)
        arr = np.asarray(value, dtype=dtype)
        if shape is not None:
            arr = np.broadcast_to(arr, tuple(shape))
        return self.op("constant", value=arr.tolist(), shape=list(arr.shape), dtype=dtype)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *inputs, **attrs: self.op(name, *inputs, **attrs)
