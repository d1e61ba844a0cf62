"""Graph -> one pure JAX function. Knows the IR and the op registry's lowering rules, nothing of layers.

    fn = kxla.lower(graph)
    outputs, new_state = fn(params, state, inputs, rng=None, training=False)

``params`` and ``state`` map graph argument names to arrays; ``inputs`` is a
sequence in graph-input order (or a dict by input name). ``new_state`` holds
every state entry, updated where the graph says so. Each node runs under a
``jax.named_scope`` of its layer path (a fused node: its source layers joined
by "+", ``conv2d+activation``), so the lowered program's metadata names the layers.
"""
from __future__ import annotations

from typing import Callable

import jax

from .ir import Graph, get_op
from .ops.core import LowerContext
from .ops.random_ops import random_key_ids


class LoweringError(ValueError):
    """The lowered function was called with arguments that do not fit the graph."""


def lower(graph: Graph) -> Callable:
    """Return ``fn(params, state, inputs, rng=None, training=False) -> (outputs, new_state)``.

    Arguments:
      graph: a verified kxla.ir.Graph.

    Returns:
      A pure function, ready for ``jax.jit``/``jax.grad``; outputs is a list.
    """
    nodes = [(get_op(n.op), n, [id(v) for v in n.inputs], [id(r) for r in n.results])
             for n in graph.nodes]
    input_ids = [id(v) for v in graph.inputs]
    input_names = [v.name for v in graph.inputs]
    param_ids = [(v.name, id(v)) for v in graph.params]
    state_ids = [(v.name, id(v)) for v in graph.state]
    output_ids = [id(v) for v in graph.outputs]
    key_ids = random_key_ids(graph.nodes)
    key_ids = [key_ids.get(id(n), i) for i, n in enumerate(graph.nodes)]
    updates = [(s.name, id(v)) for s, v in graph.updates]

    def fn(params, state, inputs, rng=None, training=False):
        env = {}
        if isinstance(inputs, dict):
            missing = [n for n in input_names if n not in inputs]
            if missing:
                raise LoweringError(f"missing graph inputs {missing}; graph @{graph.name} takes {input_names}")
            inputs = [inputs[n] for n in input_names]
        if len(inputs) != len(input_ids):
            raise LoweringError(f"graph @{graph.name} takes {len(input_ids)} input(s), got {len(inputs)}")
        env.update(zip(input_ids, inputs))
        for name, vid in param_ids:
            try:
                env[vid] = params[name]
            except KeyError:
                raise LoweringError(f"parameter {name!r} missing from params") from None
        for name, vid in state_ids:
            try:
                env[vid] = state[name]
            except KeyError:
                raise LoweringError(f"state {name!r} missing from state") from None
        for index, (opdef, node, ins, outs) in enumerate(nodes):
            ctx = LowerContext(rng=rng, training=training, node_index=key_ids[index])
            with jax.named_scope("+".join(node.layers) or node.op):     # every source layer
                result = opdef.lower(ctx, *[env[i] for i in ins], **node.attrs)
            if len(outs) == 1:
                env[outs[0]] = result
            else:
                env.update(zip(outs, result))
        new_state = {name: state[name] for name, _ in state_ids}
        for name, vid in updates:
            new_state[name] = env[vid]
        return [env[i] for i in output_ids], new_state

    fn.graph = graph
    return fn
