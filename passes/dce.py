"""``dce``: dead code elimination.

A node is live if one of its results is a graph output, a state update's new
value, or an input of a live node. Everything else is erased, in one reverse
sweep. Graph inputs, parameters and state are never removed (they are the
lowered function's signature), and a random node that feeds an output is
live like any other; a random node whose result nobody reads is removed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import Pass


@dataclass(frozen=True)
class DeadCodeElimination(Pass):
    """Remove nodes whose results are never read."""

    name = "dce"

    def run(self, graph, rw) -> bool:
        live = {id(v) for v in graph.outputs} | {id(v) for _, v in graph.updates}
        dead = []
        for node in reversed(list(rw.walk())):
            if any(id(r) in live for r in node.results):
                live.update(id(v) for v in node.inputs)
            else:
                dead.append(node)
        for node in dead:          # consumers come first in reverse order
            rw.erase(node)
        return bool(dead)
