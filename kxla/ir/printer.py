"""IR text: the MLIR-like form that ``kxla.ir.parse`` reads back exactly.

    graph @mlp(%x: f32[?,784]) params(%dense.kernel: f32[784,32] {init="glorot_uniform"}) {
      %0 = matmul(%x, %dense.kernel) : f32[?,32]  // dense
      return %0
    }

Graph inputs, parameters and state print under their own names; node results
are numbered in order. Attributes print in the op schema's order. Also holds
the Graphviz (``to_dot``) rendering.

A region attribute (a sub-graph, see ``kxla.ir.graph``) prints as a reference
``body=@body`` in the node's attributes and as a block under the node, indented,
with its own value names (a region reads only its own inputs)::

    %3, %4 = scan(%x, %2, %rnn.cell.kernel) {num_xs=1, num_carries=1, axis=1, reverse=false, unroll=1, body=@body} : ...
      region @body(%x0: f32[?,5], %state0: f32[?,3], %rnn.cell.kernel: f32[5,3]) {
        %0 = matmul(%x0, %rnn.cell.kernel) : f32[?,3]  // rnn/cell
        return %0, %0
      }
"""
from __future__ import annotations

import json
import math

from .graph import Graph, Value


def format_attr(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(format_attr(v) for v in value) + "]"
    if isinstance(value, Graph):
        return "@" + value.name              # a region: its block follows the node
    raise TypeError(f"Cannot print attribute value {value!r} of type {type(value).__name__}")


def remat_suffix(node) -> str:
    """`` [remat 0/3]``: the remat regions holding the node, outermost first (``kxla.remat_scope``)."""
    path = node.meta.get("remat")
    return f" [remat {'/'.join(map(str, path))}]" if path else ""


def format_attrs(attrs: dict) -> str:
    if not attrs:
        return ""
    return "{" + ", ".join(f"{k}={format_attr(v)}" for k, v in attrs.items()) + "}"


class Namer:
    """Assigns the printed name of every value: named graph arguments, numbered results."""

    def __init__(self, graph: Graph):
        self.names: dict[int, str] = {}
        taken: set[str] = set()
        for i, v in enumerate(graph.inputs + graph.params + graph.state):
            base = v.name or f"arg{i}"
            name, k = base, 1
            while name in taken or name.isdigit():
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            self.names[id(v)] = name
        counter = 0
        for node in graph.nodes:
            for r in node.results:
                self.names[id(r)] = str(counter)
                counter += 1

    def __call__(self, v: Value) -> str:
        try:
            return "%" + self.names[id(v)]
        except KeyError:
            return f"%<undefined {v.name or '?'}: {v.type}>"


def print_graph(graph: Graph) -> str:
    return "\n".join(_graph_lines(graph, "graph", ""))


def _graph_lines(graph: Graph, keyword: str, indent: str) -> list:
    """The lines of ``graph`` (a top-level graph, or a region under ``keyword`` "region"), indented."""
    name = Namer(graph)

    def arg(v: Value) -> str:
        attrs = format_attrs(v.attrs)
        return f"{name(v)}: {v.type}" + (f" {attrs}" if attrs else "")

    head = f"{keyword} @{graph.name}(" + ", ".join(arg(v) for v in graph.inputs) + ")"
    if graph.params:
        head += " params(" + ", ".join(arg(v) for v in graph.params) + ")"
    if graph.state:
        head += " state(" + ", ".join(arg(v) for v in graph.state) + ")"
    lines = [indent + head + " {"]
    for node in graph.nodes:
        results = ", ".join(name(r) for r in node.results)
        types = ", ".join(str(r.type) for r in node.results)
        attrs = format_attrs(node.attrs)
        line = f"{indent}  {results} = {node.op}(" + ", ".join(name(v) for v in node.inputs) + ")"
        if attrs:
            line += " " + attrs
        line += f" : {types}"
        if node.layer or node.meta.get("remat"):
            line += "  //" + (f" {node.layer}" if node.layer else "") + remat_suffix(node)
        lines.append(line)
        for value in node.attrs.values():
            if isinstance(value, Graph):
                lines.extend(_graph_lines(value, "region", indent + "    "))
    lines.append(f"{indent}  return " + ", ".join(name(v) for v in graph.outputs))
    for state, new in graph.updates:
        lines.append(f"{indent}  update {name(state)} = {name(new)}")
    lines.append(indent + "}")
    return lines


def to_dot(graph: Graph) -> str:
    """Graphviz text: one box per node (op, layer, result type), arrows along data flow."""
    name = Namer(graph)

    def q(s: str) -> str:
        return json.dumps(s)

    out = [f"digraph {q(graph.name)} {{", "  rankdir=TB;", "  node [fontname=monospace];"]
    for v in graph.inputs:
        out.append(f"  {q(name(v))} [shape=oval, label={q(name(v) + chr(10) + str(v.type))}];")
    for v in graph.params + graph.state:
        if v.users:
            out.append(f"  {q(name(v))} [shape=note, style=dashed, label={q(name(v) + chr(10) + str(v.type))}];")
    for i, node in enumerate(graph.nodes):
        label = node.op + (f"\n[{node.layer}]" if node.layer else "") + "\n" + \
            ", ".join(str(r.type) for r in node.results)
        out.append(f"  n{i} [shape=box, label={q(label)}];")
        for r in node.results:
            out.append(f"  {q(name(r))} [shape=point];")
            out.append(f"  n{i} -> {q(name(r))} [arrowhead=none];")
        for v in node.inputs:
            out.append(f"  {q(name(v))} -> n{i};")
    for j, v in enumerate(graph.outputs):
        out.append(f"  out{j} [shape=oval, label={q('output ' + str(j))}];")
        out.append(f"  {q(name(v))} -> out{j};")
    out.append("}")
    return "\n".join(out)
