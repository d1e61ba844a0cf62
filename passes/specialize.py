"""``specialize{batch=N}``: fix the unknown batch dimension of the graph inputs, then re-infer all types.

Useful before dumping IR for a fixed serving batch size, or to let later
passes see fully static shapes.
"""
from __future__ import annotations

from dataclasses import dataclass

from .base import Pass
from .shape_inference import infer_all, set_batch


@dataclass(frozen=True)
class Specialize(Pass):
    """Fix the unknown batch dimension of the graph inputs to ``batch`` and re-infer types."""

    name = "specialize"
    batch: int = 1

    def run(self, graph, rw) -> bool:
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        set_batch(graph, rw, self.batch)
        infer_all(graph, rw)
        return rw.changed
