"""Graph -> one pure JAX function, through the one graph evaluator. Knows the IR and the op registry's
lowering rules, nothing of layers.

    fn = kxla.lower(graph)
    outputs, new_state = fn(params, state, inputs, rng=None, training=False)

``params`` and ``state`` map graph argument names to arrays; ``inputs`` is a
sequence in graph-input order (or a dict by input name). ``new_state`` holds
every state entry, updated where the graph says so. Each node runs under a
``jax.named_scope`` of its layer path (a fused node: its source layers joined
by "+", ``conv2d+activation``), so the lowered program's metadata names the layers.

``Evaluator`` is the only walk over a graph's nodes that computes values (as
torch.fx's ``Interpreter``): ``lower`` runs it under ``jax.jit`` tracing,
``kxla.debug.Interpreter`` runs it eagerly with hooks around every node, and
``kxla.debug.check_numerics`` reuses ``eval_node`` for its per-node vjps.
Nodes marked by ``kxla.remat`` / ``RematScope`` (``node.meta["remat"]``) run in groups under
``jax.checkpoint`` (``kxla.remat_lowering``; node by node when hooks or ``keep_values`` ask).
Hooks are objects with ``before_node(node, inputs)`` and/or
``after_node(node, inputs, outputs)``; each may return a list replacing the
inputs/outputs (None keeps them). An op with a region (``scan``) evaluates
it with a nested ``Evaluator`` (one per region, without the hooks: its nodes
run inside ``jax.lax.scan``'s tracing) through ``LowerContext.run_region``.
"""
from __future__ import annotations

from typing import Callable, Iterable

import jax

from .ir import Graph, Node, get_op
from .ops.core import LowerContext
from .ops.random_ops import random_key_ids
from .remat_lowering import RematGroup, group_steps


class LoweringError(ValueError):
    """The lowered function was called with arguments that do not fit the graph."""


class Evaluator:
    """Evaluates ``graph`` node by node through each op's lowering rule, calling ``hooks`` around each node.

    Arguments:
      graph: a verified kxla.ir.Graph.
      hooks: objects with ``before_node`` / ``after_node`` (see module doc); run in list order,
        each seeing the previous hook's replacements.

    Attributes:
      values: after ``run(..., keep_values=True)``, ``id(Value) -> array`` for every graph
        argument and node result.
      node_index: ``id(node) -> position`` in ``graph.nodes``.
      key_ids: ``id(node) -> key id`` folded into ``rng`` for the node (its random-draw rank).
    """

    def __init__(self, graph: Graph, hooks: Iterable = ()):
        self.graph = graph
        self.hooks = list(hooks)
        self.nodes = list(graph.nodes)
        self.node_index = {id(n): i for i, n in enumerate(self.nodes)}
        keys = random_key_ids(self.nodes)
        self.key_ids = {id(n): keys.get(id(n), i) for i, n in enumerate(self.nodes)}
        self._plan = [(n, [id(v) for v in n.inputs], [id(r) for r in n.results]) for n in self.nodes]
        self._outputs = [id(v) for v in graph.outputs]
        self._state_names = [v.name for v in graph.state]
        self._updates = [(s.name, id(v)) for s, v in graph.updates]
        self._steps = group_steps(self._plan, set(self._outputs) | {vid for _, vid in self._updates})
        self.values: dict = {}
        self._regions: dict = {}            # id(region graph) -> its Evaluator

    # -- one node ---------------------------------------------------------------------
    def context(self, node: Node, rng=None, training: bool = False) -> LowerContext:
        """The ``LowerContext`` the node's rule sees: the training flag and the node's random key."""
        return LowerContext(rng=rng, training=training, node_index=self.key_ids[id(node)],
                            run_region=self.run_region)

    def run_region(self, region: Graph, args: list, rng=None, training: bool = False) -> list:
        """Evaluate a region (a sub-graph with inputs only) on ``args``; returns its outputs."""
        evaluator = self._regions.get(id(region))
        if evaluator is None or evaluator.graph is not region:
            evaluator = self._regions[id(region)] = Evaluator(region)
        outputs, _ = evaluator.run({}, {}, args, rng=rng, training=training)
        return outputs

    def eval_node(self, node: Node, inputs: list, rng=None, training: bool = False) -> list:
        """Run one node's lowering rule on ``inputs``; returns a list with one array per result."""
        if isinstance(node, RematGroup):            # a remat region's run of nodes (kxla.remat_lowering)
            return node.run(self, inputs, rng, training)
        with jax.named_scope("+".join(node.layers) or node.op):     # every source layer
            result = get_op(node.op).lower(self.context(node, rng, training), *inputs, **node.attrs)
        return [result] if len(node.results) == 1 else list(result)

    # -- the graph --------------------------------------------------------------------
    def run(self, params: dict, state: dict, inputs, rng=None, training: bool = False,
            keep_values: bool = False):
        """Evaluate the graph; returns ``(outputs, new_state)`` (see module doc for the arguments)."""
        env = self.bind(params, state, inputs)
        hooks = self.hooks
        for node, ins, outs in (self._plan if hooks or keep_values else self._steps):
            args = [env[i] for i in ins]
            if hooks:
                args = self._before(node, args)
            results = self.eval_node(node, args, rng=rng, training=training)
            if hooks:
                results = self._after(node, args, results)
            env.update(zip(outs, results))
        self.values = env if keep_values else {}
        new_state = {name: state[name] for name in self._state_names}
        for name, vid in self._updates:
            new_state[name] = env[vid]
        return [env[i] for i in self._outputs], new_state

    def bind(self, params: dict, state: dict, inputs) -> dict:
        """``id(Value) -> array`` for the graph's inputs, parameters and state (checked by name and count)."""
        g = self.graph
        names = [v.name for v in g.inputs]
        if isinstance(inputs, dict):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise LoweringError(f"missing graph inputs {missing}; graph @{g.name} takes {names}")
            inputs = [inputs[n] for n in names]
        inputs = list(inputs)
        if len(inputs) != len(g.inputs):
            raise LoweringError(f"graph @{g.name} takes {len(g.inputs)} input(s), got {len(inputs)}")
        env = {id(v): self.argument(x) for v, x in zip(g.inputs, inputs)}
        for kind, values, table, where in (("parameter", g.params, params, "params"),
                                           ("state", g.state, state, "state")):
            for v in values:
                try:
                    env[id(v)] = self.argument(table[v.name])
                except KeyError:
                    raise LoweringError(f"{kind} {v.name!r} missing from {where}") from None
        return env

    def argument(self, x):
        """How a graph argument enters the evaluation (as given; the debug Interpreter makes jax arrays)."""
        return x

    def _before(self, node, args):
        for hook in self.hooks:
            before = getattr(hook, "before_node", None)
            replaced = before(node, args) if before is not None else None
            if replaced is not None:
                args = _check_count(node, replaced, len(node.inputs), "before_node", "inputs")
        return args

    def _after(self, node, args, results):
        for hook in self.hooks:
            after = getattr(hook, "after_node", None)
            replaced = after(node, args, results) if after is not None else None
            if replaced is not None:
                results = _check_count(node, replaced, len(node.results), "after_node", "outputs")
        return results


def _check_count(node, replaced, n, hook, what) -> list:
    replaced = list(replaced)
    if len(replaced) != n:
        raise ValueError(f"a {hook} hook returned {len(replaced)} {what} for {node.op} "
                         f"(layer {node.layer!r}), which has {n}")
    return replaced


def lower(graph: Graph) -> Callable:
    """Return ``fn(params, state, inputs, rng=None, training=False) -> (outputs, new_state)``.

    Arguments:
      graph: a verified kxla.ir.Graph.

    Returns:
      A pure function, ready for ``jax.jit``/``jax.grad``; outputs is a list.
    """
    evaluator = Evaluator(graph)

    def fn(params, state, inputs, rng=None, training=False):
        return evaluator.run(params, state, inputs, rng=rng, training=training)

    fn.graph = graph
    return fn
