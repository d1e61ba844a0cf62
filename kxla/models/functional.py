"""Functional-model plumbing: collect the CallRecords between inputs and outputs and replay them.

``collect(inputs, outputs)`` walks back from the outputs through each
KerasTensor's history to the model inputs and returns the records in
topological order; ``replay(records, inputs, traced_inputs, outputs)`` runs
them again (inside a Builder, so the graph reflects the requested training
mode) and returns the traced outputs in the structure of ``outputs``.
"""
from __future__ import annotations

import jax

from ..ops.tracing import KerasTensor, Variable, tensor_leaves  # noqa: F401  (tensor_leaves: kept importable)


def _is_leaf(x):
    return isinstance(x, (KerasTensor, Variable))


def _dependencies(record, input_ids: set) -> list:
    deps = []
    for t in tensor_leaves((record.args, record.kwargs)):
        if id(t) in input_ids:
            continue
        if t.history is None:
            raise ValueError(
                f"Graph disconnected: {t} (an Input not listed in Model(inputs=...)) is needed to "
                f"compute the output of {getattr(record.layer, 'name', 'an op')!r}.")
        deps.append(t.history[0])
    return deps


def collect(inputs: list, outputs) -> list:
    """Records needed to compute ``outputs`` from ``inputs``, dependencies first (iterative DFS)."""
    input_ids = {id(t) for t in inputs}
    order, done = [], set()
    for tensor in tensor_leaves(outputs):
        if id(tensor) in input_ids:
            continue
        if tensor.history is None:
            raise ValueError(f"Graph disconnected: output {tensor} does not come from the model inputs.")
        stack = [(tensor.history[0], iter(_dependencies(tensor.history[0], input_ids)))]
        on_stack = {id(tensor.history[0])}
        while stack:
            record, deps = stack[-1]
            nxt = next((d for d in deps if id(d) not in done), None)
            if nxt is None:
                stack.pop()
                on_stack.discard(id(record))
                if id(record) not in done:
                    done.add(id(record))
                    order.append(record)
            elif id(nxt) in on_stack:
                raise ValueError("the functional graph has a cycle")
            else:
                on_stack.add(id(nxt))
                stack.append((nxt, iter(_dependencies(nxt, input_ids))))
    return order


def replay(records: list, inputs: list, traced_inputs: list, outputs, training=None):
    """Run ``records`` on ``traced_inputs`` (standing for ``inputs``); return traced ``outputs``.

    ``training`` (when not None) replaces the ``training`` argument each layer was called with, as
    Keras 3's functional models do: ``fit`` trains a ``base(x, training=False)`` too (a BatchNormalization
    in it runs in inference mode only while it is frozen), ``predict`` runs every layer in inference mode.
    """
    env = {id(t): v for t, v in zip(inputs, traced_inputs)}

    def sub(tree):
        return jax.tree_util.tree_map(lambda x: env[id(x)] if isinstance(x, KerasTensor) else x, tree,
                                      is_leaf=_is_leaf)

    for record in records:
        args, kwargs = sub((record.args, record.kwargs))
        if training is not None and getattr(record.layer, "_call_has_training", False):
            kwargs = {**kwargs, "training": training}
        out = record.fn(*args, **kwargs)
        for placeholder, real in zip(record.outputs, tensor_leaves(out)):
            env[id(placeholder)] = real
    return sub(outputs)
