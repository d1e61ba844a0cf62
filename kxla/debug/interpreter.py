"""``Interpreter``: run an IR graph node by node, un-jitted, with hooks around every node.

It computes exactly what ``kxla.lower(graph)`` computes — each node calls its
op's registered lowering rule with the same ``LowerContext`` (training flag,
per-node random key) — but on concrete arrays, one op at a time, so a hook can
look at (or replace) every intermediate value::

    class Show(kxla.debug.Hook):
        def after_node(self, node, inputs, outputs):
            print(node.op, node.layer, [o.shape for o in outputs])

    outputs, new_state = kxla.debug.Interpreter(graph, hooks=[Show()]).run(params, state, [x])

A hook is any object with ``before_node(node, inputs)`` and/or
``after_node(node, inputs, outputs)`` (``kxla.debug.Hook`` gives no-op
defaults). ``inputs`` and ``outputs`` are lists of arrays (``outputs`` has one
entry per node result, even for single-result ops). ``before_node`` may return
a list of replacement inputs; ``after_node`` may return a list of replacement
outputs; returning None keeps what is there. Hooks run in list order, each
seeing the previous hook's replacements.
"""
from __future__ import annotations

from typing import Iterable

import jax
import jax.numpy as jnp

from ..ir import Graph, Node, Value, get_op, print_graph
from ..ops.core import LowerContext
from ..ops.random_ops import random_key_ids


class Hook:
    """Base class for interpreter hooks; override either method."""

    def before_node(self, node: Node, inputs: list):
        """Called before ``node`` runs; return a list to replace its inputs, or None."""
        return None

    def after_node(self, node: Node, inputs: list, outputs: list):
        """Called after ``node`` ran; return a list to replace its outputs, or None."""
        return None


class InterpreterError(RuntimeError):
    """A node's lowering rule failed; the message names the node, its layer and its IR line."""


class Interpreter:
    """Evaluate ``graph`` node by node on concrete arrays.

    Arguments:
      graph: a kxla.ir.Graph (as given to ``kxla.lower``).
      hooks: objects with ``before_node`` / ``after_node`` methods (see module doc).

    Attributes:
      values: after ``run(..., keep_values=True)``, a dict from ``id(Value)``
        to array for every graph input, parameter, state entry and node result
        (read it with ``value(v)``).
      node_index: ``id(node) -> position`` in ``graph.nodes``.
    """

    def __init__(self, graph: Graph, hooks: Iterable = ()):
        self.graph = graph
        self.hooks = list(hooks)
        self.node_index = {id(n): i for i, n in enumerate(graph.nodes)}
        self.key_ids = random_key_ids(graph.nodes)          # the random draws of the lowered graph
        self.values: dict = {}
        self._ir_lines = None

    # -- queries --------------------------------------------------------------------
    def ir_line(self, node: Node) -> str:
        """The node's line in the printed graph (``%3 = relu(%2) : f32[?,8]  // dense``)."""
        if self._ir_lines is None:
            self._ir_lines = print_graph(self.graph).splitlines()[1:1 + len(self.graph.nodes)]
        return self._ir_lines[self.node_index[id(node)]].strip()

    def value(self, v: Value):
        """The array computed for ``v`` in the last ``run(..., keep_values=True)``."""
        try:
            return self.values[id(v)]
        except KeyError:
            raise KeyError(f"no value recorded for {v!r}; run with keep_values=True") from None

    # -- evaluation -------------------------------------------------------------------
    def run(self, params: dict, state: dict, inputs, rng=None, training: bool = False,
            keep_values: bool = False):
        """Evaluate the graph: the same contract as the function ``kxla.lower`` returns.

        Arguments:
          params: graph parameter name -> array.
          state: graph state name -> array.
          inputs: arrays in graph-input order, or a dict by input name.
          rng: a JAX PRNG key (needed by graphs that draw random numbers).
          training: the training flag given to every lowering rule.
          keep_values: keep every intermediate array in ``self.values``.

        Returns:
          ``(outputs, new_state)``: the list of graph outputs and the dict of
          every state entry, updated where the graph says so.
        """
        g = self.graph
        env = self._bind(params, state, inputs)
        for index, node in enumerate(g.nodes):
            ins = [env[id(v)] for v in node.inputs]
            for hook in self.hooks:
                before = getattr(hook, "before_node", None)
                replaced = before(node, ins) if before is not None else None
                if replaced is not None:
                    ins = self._check_count(node, replaced, len(node.inputs), "before_node", "inputs")
            outs = self.eval_node(node, ins, rng=rng, training=training, index=index)
            for hook in self.hooks:
                after = getattr(hook, "after_node", None)
                replaced = after(node, ins, outs) if after is not None else None
                if replaced is not None:
                    outs = self._check_count(node, replaced, len(node.results), "after_node", "outputs")
            env.update(zip((id(r) for r in node.results), outs))
        self.values = env if keep_values else {}
        new_state = {v.name: state[v.name] for v in g.state}
        for s, v in g.updates:
            new_state[s.name] = env[id(v)]
        return [env[id(v)] for v in g.outputs], new_state

    def eval_node(self, node: Node, inputs: list, rng=None, training: bool = False, index=None) -> list:
        """Run one node's lowering rule on ``inputs``; returns a list with one array per result."""
        index = self.node_index[id(node)] if index is None else index
        ctx = LowerContext(rng=rng, training=training, node_index=self.key_ids.get(id(node), index))
        try:
            result = get_op(node.op).lower(ctx, *inputs, **node.attrs)
        except Exception as e:
            raise InterpreterError(f"node {index} ({node.op}, layer {node.layer!r}) failed: {e}\n"
                                   f"  {self.ir_line(node)}") from e
        return [result] if len(node.results) == 1 else list(result)

    def _bind(self, params, state, inputs) -> dict:
        g = self.graph
        names = [v.name for v in g.inputs]
        if isinstance(inputs, dict):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f"missing graph inputs {missing}; graph @{g.name} takes {names}")
            inputs = [inputs[n] for n in names]
        inputs = list(inputs)
        if len(inputs) != len(g.inputs):
            raise ValueError(f"graph @{g.name} takes {len(g.inputs)} input(s), got {len(inputs)}")
        env = {id(v): _as_array(x) for v, x in zip(g.inputs, inputs)}
        for kind, values, table in (("parameter", g.params, params), ("state", g.state, state)):
            for v in values:
                try:
                    env[id(v)] = _as_array(table[v.name])
                except KeyError:
                    raise ValueError(f"{kind} {v.name!r} missing from {kind if kind == 'state' else 'params'}") \
                        from None
        return env

    @staticmethod
    def _check_count(node, replaced, n, hook, what) -> list:
        replaced = list(replaced)
        if len(replaced) != n:
            raise ValueError(f"a {hook} hook returned {len(replaced)} {what} for {node.op} "
                             f"(layer {node.layer!r}), which has {n}")
        return replaced


def _as_array(x):
    # under jax.jit every argument arrives as a jax array: give the rules the same
    return x if isinstance(x, jax.Array) else jnp.asarray(x)


class _LastOutputs(Hook):
    """Records, per layer-path prefix of ``depth`` components, the last output a node of it produced."""

    def __init__(self, depth: int):
        self.depth = depth
        self.last: dict = {}

    def after_node(self, node, inputs, outputs):
        if node.layer:
            key = "/".join(node.layer.split("/")[:self.depth])
            self.last[key] = outputs[0] if len(outputs) == 1 else tuple(outputs)


def layer_outputs(graph: Graph, params: dict, state: dict, inputs, rng=None, training: bool = False,
                  depth: int = 1) -> dict:
    """Run ``graph`` and return ``{layer path: last value its nodes produced}``.

    Arguments:
      graph, params, state, inputs, rng, training: as for ``Interpreter.run``.
      depth: how many components of the node's layer path form the key (1:
        top-level layers, so ``"block/conv"`` counts as ``"block"``).

    Returns:
      A dict in order of each layer's first appearance; a value is an array,
      or a tuple for a multi-result node.
    """
    hook = _LastOutputs(depth)
    Interpreter(graph, hooks=[hook]).run(params, state, inputs, rng=rng, training=training)
    return hook.last
