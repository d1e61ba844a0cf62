"""``NodeList``: a graph's nodes as a doubly linked list, edited in place (torch.fx / xDSL style).

The order of the list is the program order: a node may only read values
defined by graph arguments or by nodes before it, and the verifier rejects
any list that breaks this (nothing reorders it afterwards). Passes insert
before or after an anchor, erase and move nodes in O(1):

    graph.nodes.insert_before(anchor, node)     graph.nodes.remove(node)
    graph.nodes.insert_after(anchor, node)      graph.nodes.move_before(node, anchor)
    graph.nodes.append(node)                    graph.nodes.comes_before(a, b)

Iteration runs in order and tolerates erasing the node being visited (an
erased node keeps its forward link, as in torch.fx). ``comes_before`` asks
each node's order number: numbers are spread out when assigned, a node
inserted between two neighbours takes the midpoint, and the list renumbers
itself (O(n), lazily, on the next query) only when a gap runs out, as
LLVM's instruction ordering does.
"""
from __future__ import annotations

from typing import Iterable, Iterator

_STEP = 1 << 16


class _Root:
    """The sentinel closing the ring; ``_order`` 0 comes before every node."""

    __slots__ = ("_prev", "_next", "_order", "_owner")

    def __init__(self):
        self._prev = self._next = self
        self._order = 0
        self._owner = None


class NodeList:
    """An ordered, linked list of ``Node``s owned by one graph (see module doc)."""

    __slots__ = ("_root", "_len", "_ordered")

    def __init__(self, nodes: Iterable = ()):
        self._root = _Root()
        self._len = 0
        self._ordered = True          # every node's _order increases along the list
        for n in nodes:
            self.append(n)

    # -- reading ---------------------------------------------------------------
    def __iter__(self) -> Iterator:
        root, cur = self._root, self._root._next
        while cur is not root:
            if cur._owner is self:
                yield cur
            cur = cur._next

    def __reversed__(self) -> Iterator:
        root, cur = self._root, self._root._prev
        while cur is not root:
            if cur._owner is self:
                yield cur
            cur = cur._prev

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __contains__(self, node) -> bool:
        return getattr(node, "_owner", None) is self

    def __getitem__(self, index):
        """``nodes[i]`` and ``nodes[a:b]`` (O(n): for tests and one-off looks, not loops)."""
        items = list(self)
        return items[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, (NodeList, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return f"NodeList({list(self)!r})"

    @property
    def first(self):
        return None if self._len == 0 else self._root._next

    @property
    def last(self):
        return None if self._len == 0 else self._root._prev

    def comes_before(self, a, b) -> bool:
        """True when node ``a`` is earlier in the list than node ``b`` (both in this list)."""
        if a._owner is not self or b._owner is not self:
            raise ValueError("comes_before: both nodes must be in this graph")
        if not self._ordered:
            self._renumber()
        return a._order < b._order

    def order_key(self, node) -> int:
        """A number that increases along the list (valid until the list is next edited)."""
        self._check_member(node)
        if not self._ordered:
            self._renumber()
        return node._order

    # -- editing ---------------------------------------------------------------
    def append(self, node) -> None:
        self._link(node, self._root._prev, self._root)

    def extend(self, nodes: Iterable) -> None:
        for n in nodes:
            self.append(n)

    def insert_before(self, anchor, node) -> None:
        """Place ``node`` right before ``anchor`` (``anchor`` None: at the end)."""
        if anchor is None:
            return self.append(node)
        self._check_member(anchor)
        self._link(node, anchor._prev, anchor)

    def insert_after(self, anchor, node) -> None:
        """Place ``node`` right after ``anchor`` (``anchor`` None: at the start)."""
        if anchor is None:
            return self._link(node, self._root, self._root._next)
        self._check_member(anchor)
        self._link(node, anchor, anchor._next)

    def remove(self, node) -> None:
        """Unlink ``node``; it keeps its forward link so a running iteration continues past it."""
        self._check_member(node)
        p, n = node._prev, node._next
        p._next, n._prev = n, p
        node._owner = None
        self._len -= 1

    def move_before(self, node, anchor) -> None:
        """Move ``node`` (already in this list) right before ``anchor``."""
        if node is anchor:
            return
        self.remove(node)
        self.insert_before(anchor, node)

    # -- internals ---------------------------------------------------------------
    def _check_member(self, node) -> None:
        if getattr(node, "_owner", None) is not self:
            raise ValueError(f"{node!r} is not in this graph's node list")

    def _link(self, node, prev, nxt) -> None:
        if node._owner is not None:
            raise ValueError(f"{node!r} is already in a graph's node list (remove it first)")
        node._prev, node._next, node._owner = prev, nxt, self
        prev._next = nxt._prev = node
        self._len += 1
        if self._ordered:
            lo = prev._order
            if nxt is self._root:
                node._order = lo + _STEP
            elif nxt._order - lo > 1:
                node._order = (lo + nxt._order) // 2
            else:
                self._ordered = False

    def _renumber(self) -> None:
        order = 0
        for node in self:
            order += _STEP
            node._order = order
        self._ordered = True
