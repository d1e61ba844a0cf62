"""The order of a functional model's layers, as Keras 3 computes it (``keras.src.ops.function.map_graph``).

Keras walks back from the outputs depth-first, numbering operations as it
first meets them, gives every call node a depth (the longest path to an
output), and lists operations deepest first, ties broken by that number.
``model.layers``, ``get_weights()`` and Keras's weight files all follow this
order, so kxla uses it too: weights then line up with Keras's for any graph,
branches included.
"""
from __future__ import annotations

from .functional import tensor_leaves

__all__ = ["keras_layer_order"]


def keras_layer_order(inputs: list, outputs, records: list) -> list:
    """The layers of the functional graph ``records`` (input layers included) in Keras's order."""
    producer = {id(t): r for r in records for t in r.outputs}
    input_ids = {id(t): t for t in inputs}

    def node_of(t):
        return ("in", id(t)) if id(t) in input_ids else ("rec", id(producer[id(t)]))

    nodes = {("in", k): ("in", t) for k, t in input_ids.items()}
    nodes.update({("rec", id(r)): ("rec", r) for r in records})

    def operation(key):
        kind, obj = nodes[key]
        if kind == "in":
            return obj._input_layer
        return obj.layer if obj.layer is not None else obj

    def input_tensors(key):
        kind, obj = nodes[key]
        return [] if kind == "in" else [t for t in tensor_leaves((obj.args, obj.kwargs))
                                        if id(t) in input_ids or id(t) in producer]

    op_index, finished, ordered = {}, set(), []
    for out in tensor_leaves(outputs):
        _visit(node_of(out), node_of, operation, input_tensors, op_index, finished, ordered)
    node_depth, op_depth = {}, {}
    for key in reversed(ordered):
        depth = max(node_depth.setdefault(key, 0), op_depth.get(id(operation(key)), 0))
        op_depth[id(operation(key))] = depth
        node_depth[key] = depth
        for t in input_tensors(key):
            parent = node_of(t)
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    ops = {id(operation(k)): operation(k) for k in ordered}
    for t in inputs:                                    # inputs no output depends on still count
        if id(t._input_layer) not in op_depth:
            op_depth[id(t._input_layer)] = 0
            op_index[id(t._input_layer)] = -1
            ops[id(t._input_layer)] = t._input_layer
    order = sorted(op_depth, key=lambda k: (-op_depth[k], op_index[k]))
    from ..layers.layer import Layer
    return [ops[k] for k in order if isinstance(ops[k], Layer)]


def _visit(start, node_of, operation, input_tensors, op_index, finished, ordered):
    """Keras's ``_build_map_helper`` without recursion (deep graphs such as DenseNet121)."""
    if start in finished:
        return
    stack = [(start, None)]
    in_progress = set()
    while stack:
        key, pending = stack[-1]
        if pending is None:
            if key in finished:
                stack.pop()
                continue
            if key in in_progress:
                raise ValueError("the functional graph has a cycle")
            op_index.setdefault(id(operation(key)), len(op_index))
            in_progress.add(key)
            pending = iter(input_tensors(key))
            stack[-1] = (key, pending)
        nxt = next(pending, None)
        if nxt is not None:
            child = node_of(nxt)
            if child not in finished:
                stack.append((child, None))
            continue
        stack.pop()
        in_progress.discard(key)
        finished.add(key)
        ordered.append(key)

