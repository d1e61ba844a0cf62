"""``Interpreter``: run an IR graph node by node, un-jitted, with hooks around every node.

It is the evaluator ``kxla.lower(graph)`` traces (``kxla.lowering.Evaluator``:
each node calls its op's registered lowering rule with the same
``LowerContext``, training flag and per-node random key), run on concrete
arrays, one op at a time, so a hook can look at (or replace) every
intermediate value::

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

from ..ir import Graph, Node, Value, print_graph
from ..lowering import Evaluator


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


class Interpreter(Evaluator):
    """Evaluate ``graph`` node by node on concrete arrays: ``kxla.lowering.Evaluator`` run eagerly.

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
        super().__init__(graph, hooks)
        self._ir_lines = None

    # -- queries --------------------------------------------------------------------
    def ir_line(self, node: Node) -> str:
        """The node's line in the printed graph (``%3 = relu(%2) : f32[?,8]  // dense``)."""
        if self._ir_lines is None:
            self._ir_lines = print_graph(self.graph).splitlines()[1:1 + len(self.nodes)]
        return self._ir_lines[self.node_index[id(node)]].strip()

    def value(self, v: Value):
        """The array computed for ``v`` in the last ``run(..., keep_values=True)``."""
        try:
            return self.values[id(v)]
        except KeyError:
            raise KeyError(f"no value recorded for {v!r}; run with keep_values=True") from None

    # -- evaluation (``run`` and ``bind`` come from Evaluator) ---------------------------
    def eval_node(self, node: Node, inputs: list, rng=None, training: bool = False) -> list:
        """Run one node's lowering rule on ``inputs``; a failure names the node and its IR line."""
        try:
            return super().eval_node(node, inputs, rng=rng, training=training)
        except Exception as e:
            index = self.node_index[id(node)]
            raise InterpreterError(f"node {index} ({node.op}, layer {node.layer!r}) failed: {e}\n"
                                   f"  {self.ir_line(node)}") from e

    def argument(self, x):
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
