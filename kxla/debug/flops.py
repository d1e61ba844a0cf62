"""Analytic FLOPs of an IR graph, node by node: each op's own cost rule (``OpDef.cost``).

Convention (the same as XLA's ``cost_analysis()`` where the two can be compared):

* a multiply-add counts **2** FLOPs;
* the unknown batch dimension (``?`` in axis 0) is ``batch_size`` (default 1,
  so totals are per sample); any other unknown dimension counts as 1.

The rules live with the ops (``defop(cost=...)``; the shared rule factories
are in ``kxla.ops.costs``, which documents them): matmul ``2 * N(out) * K``,
convolutions ``2 * taps * in/groups * out`` counting only kernel taps that land
inside the input (as XLA does), pooling ``N(out) * window``, elementwise ops 1
per element, data movement 0, fused bias and activation 1 per element each.
An op without a cost rule (a custom op) counts 0 and is listed in
``FlopsReport.unknown_ops``. XLA, which sees the graph after its own
simplifications, agrees within a few percent on matmul- and conv-dominated
graphs (tests/debug/test_flops.py checks 5%).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import TensorType, get_op, has_op

__all__ = ["node_flops", "node_cost", "graph_flops", "layer_flops", "model_flops", "FlopsReport",
           "format_flops"]


def _concrete(t: TensorType, batch_size: int) -> TensorType:
    shape = tuple((batch_size if i == 0 else 1) if d is None else d for i, d in enumerate(t.shape))
    return TensorType(shape, t.dtype)


def node_cost(node, batch_size: int = 1) -> dict | None:
    """``{"flops", "bytes"}`` of one node from its op's cost rule, or None for an op with no rule."""
    if not has_op(node.op) or get_op(node.op).cost is None:
        return None
    ins = [_concrete(v.type, batch_size) for v in node.inputs]
    outs = [_concrete(r.type, batch_size) for r in node.results]
    return get_op(node.op).cost(ins, outs, node.attrs)


def node_flops(node, batch_size: int = 1) -> int | None:
    """FLOPs of one node under the module's convention, or None for an op with no rule."""
    cost = node_cost(node, batch_size)
    return None if cost is None else cost["flops"]


@dataclass
class FlopsReport:
    """FLOPs of a graph: per node (in graph order), per layer, the total and the ops with no rule."""

    batch_size: int
    per_node: list = field(default_factory=list)       # [(node, flops)]
    per_layer: dict = field(default_factory=dict)      # {top-level layer name or "(ops)": flops}
    total: int = 0
    unknown_ops: list = field(default_factory=list)


def graph_flops(graph, batch_size: int = 1) -> FlopsReport:
    """Count every node of ``graph`` (see the module docstring for the rules).

    Arguments:
      graph: a kxla.ir.Graph.
      batch_size: the size given to the unknown batch dimension (1: per sample).

    Returns:
      A ``FlopsReport``; ``per_layer`` groups nodes by the first component of
      their layer path (nodes made by direct op calls go under ``"(ops)"``).
    """
    report = FlopsReport(batch_size=batch_size)
    for node in graph.nodes:
        flops = node_flops(node, batch_size)
        if flops is None:
            if node.op not in report.unknown_ops:
                report.unknown_ops.append(node.op)
            flops = 0
        report.per_node.append((node, flops))
        layer = node.layers[0].split("/")[0] if node.layer else "(ops)"     # a fused node: its first layer
        report.per_layer[layer] = report.per_layer.get(layer, 0) + flops
        report.total += flops
    return report


def layer_flops(graph, batch_size: int = 1) -> dict:
    """``{top-level layer name: FLOPs}`` (see ``graph_flops``)."""
    return graph_flops(graph, batch_size).per_layer


def model_flops(model, batch_size: int = 1, training: bool = False) -> FlopsReport:
    """``graph_flops`` of the model's traced (unoptimized) graph: the forward pass as written."""
    return graph_flops(model.trace(training).graph, batch_size)


def format_flops(n: float) -> str:
    """``1234567`` -> ``"1.23M"`` (k, M, G, T)."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f}{unit}"
    return str(int(n))
