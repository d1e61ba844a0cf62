"""``check_numerics``: find the first node whose value (forward) or gradient (backward) is NaN or Inf.

    issue = kxla.debug.check_numerics(model, x, y)
    if issue:
        print(issue)      # backward: inf in gradient wrt input 0 (%1) of sqrt (layer 'root', node 2) ...

Forward: the model's (unoptimized, so every node keeps its layer) graph runs
in ``kxla.debug.Interpreter``; the first node with a non-finite floating
output is where the trouble starts, since all its inputs were finite.

Backward (when ``y`` is given and the model is compiled with a loss): the loss
is computed from the outputs exactly as the train step does, then cotangents
flow back node by node in reverse order, each through ``jax.vjp`` of that
node's lowering rule. The first node (in that reverse order) that turns finite
output cotangents into a non-finite input cotangent is reported — e.g.
``sqrt`` at 0 — provided some parameter's gradient ends up non-finite (a
non-finite intermediate gradient masked later, as ``where`` or ``relu`` can
do, does not reach the update and is not reported). Per-node vjp is the
chain rule ``jax.grad`` applies to the whole graph, so the gradients are the
ones the train step sees.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ..ir.printer import Namer
from .interpreter import Hook, Interpreter


@dataclass
class NumericsIssue:
    """Where the first NaN or Inf appears.

    Attributes:
      stage: ``"input"`` (data, parameter or state), ``"forward"``, ``"loss"`` or ``"backward"``.
      kind: ``"nan"``, ``"inf"`` or ``"nan+inf"``.
      count: how many elements are non-finite.
      op: the node's op (None for stages "input" and "loss").
      layer: the node's layer path (``"block/conv"``), or None.
      node_index: position of the node in ``graph.nodes``.
      ir_line: the node's line of IR text.
      detail: which value: ``"output 0"``, ``"gradient wrt input 1 (%d1.kernel)"``, ``"parameter 'd1.kernel'"``...
      parameters: (backward) the trainable parameters whose gradient is non-finite.
    """

    stage: str
    kind: str
    count: int
    detail: str
    op: str | None = None
    layer: str | None = None
    node_index: int | None = None
    ir_line: str | None = None
    parameters: list = field(default_factory=list)

    def __str__(self):
        where = f"{self.op} (layer {self.layer!r}, node {self.node_index})" if self.op else ""
        text = f"{self.stage}: {self.kind} in {self.detail}" + (f" of {where}" if where else "") + \
            f" [{self.count} element(s)]"
        if self.ir_line:
            text += f"\n  {self.ir_line}"
        if self.parameters:
            text += f"\n  non-finite gradients reach: {', '.join(self.parameters)}"
        return text


def check_numerics(model, x, y=None, sample_weight=None, training=None):
    """Report the first NaN/Inf in ``model``'s forward pass on ``x`` and, given ``y``, its backward pass.

    Arguments:
      model: a kxla Model (compiled with a loss, for the backward pass).
      x: one batch of inputs (array, list or dict, as for ``predict``).
      y: targets; when given (and the model has a loss) gradients are checked too.
      sample_weight: optional per-sample weights for the loss.
      training: trace the training graph (Dropout, BatchNorm in training mode);
        default: True when ``y`` is given, else False.

    Returns:
      A ``NumericsIssue`` describing the first non-finite value, or None when
      every value (and gradient) is finite.
    """
    training = (y is not None) if training is None else bool(training)
    xs, ys, sw, n = model._prepare(x, y, sample_weight)
    traced = model.trace(training=training)
    graph = traced.graph
    interp = Interpreter(graph)
    arrays = {var.ir_name: jnp.asarray(var.value) for var in traced.variables}
    params = {v.name: arrays[v.name] for v in graph.params}
    state = {v.name: arrays[v.name] for v in graph.state}

    for i, (v, a) in enumerate(zip(graph.inputs, xs)):
        issue = _nonfinite(a, "input", f"input {i} ({v.name!r})")
        if issue:
            return issue
    for kind, table in (("parameter", params), ("state", state)):
        for name, a in table.items():
            issue = _nonfinite(a, "input", f"{kind} {name!r}")
            if issue:
                return issue

    rng = jax.random.key(0)
    finder = _FirstNonFinite(interp)
    interp.hooks.append(finder)
    interp.run(params, state, xs, rng=rng, training=training, keep_values=True)
    if finder.issue is not None:
        return finder.issue
    if ys is None or not getattr(model, "compiled", False) or model._loss_spec is None:
        return None

    # the loss and its gradient wrt every graph output, computed as the train step does
    outs = [interp.value(v) for v in graph.outputs]
    mask = jnp.ones((n,), jnp.float32)

    def loss_of(outputs):
        total, _ = model._loss_terms(ys, outputs[:traced.n_outputs], sw, mask)
        for reg in outputs[traced.n_outputs:]:
            total = total + reg
        return total

    loss, loss_vjp = jax.vjp(loss_of, outs)
    issue = _nonfinite(loss, "loss", "the loss value")
    if issue:
        return issue
    (out_cts,) = loss_vjp(jnp.ones_like(loss))
    for i, ct in enumerate(out_cts):
        issue = _nonfinite(ct, "loss", f"the loss gradient wrt output {i}")
        if issue:
            return issue
    return _backward(interp, dict(_accumulate({}, graph.outputs, out_cts)), rng, training)


class _FirstNonFinite(Hook):
    def __init__(self, interp: Interpreter):
        self.interp = interp
        self.issue = None

    def after_node(self, node, inputs, outputs):
        if self.issue is None:
            for i, out in enumerate(outputs):
                self.issue = _nonfinite(out, "forward", f"output {i}", node, self.interp)
                if self.issue:
                    break


def _backward(interp: Interpreter, cts: dict, rng, training):
    """Reverse sweep of per-node vjps.

    A node is an *origin* when the cotangents of its outputs are finite (or
    only became non-finite by summing finite contributions) but those of its
    inputs are not. The first origin is reported when some parameter's
    gradient ends up non-finite; a non-finite intermediate gradient that never
    reaches a parameter (e.g. masked by ``where``) is harmless and not reported.
    """
    graph = interp.graph
    names = Namer(graph).names
    tainted: set = set()                   # values that received a non-finite contribution
    origin = None
    for node in reversed(interp.nodes):
        if not any(id(r) in cts for r in node.results):
            continue                       # the loss does not depend on this node
        out_cts, bad_out = [], False
        for i, r in enumerate(node.results):
            value = interp.value(r)
            if not _is_float(value):
                out_cts.append(np.zeros(np.shape(value), jax.dtypes.float0))
                continue
            ct = cts.get(id(r))
            ct = jnp.zeros_like(value) if ct is None else ct
            issue = _nonfinite(ct, "backward", f"the summed gradient wrt output {i}", node, interp)
            if issue:
                bad_out = True
                if origin is None and id(r) not in tainted:
                    origin = issue
            out_cts.append(ct)
        inputs = [interp.value(v) for v in node.inputs]
        diff = [i for i, a in enumerate(inputs) if _is_float(a)]
        if not diff:
            continue

        def run_node(*float_args, inputs=inputs, diff=diff, node=node):
            args = list(inputs)
            for i, a in zip(diff, float_args):
                args[i] = a
            outs = interp.eval_node(node, args, rng=rng, training=training)     # the forward's own rule
            return outs[0] if len(outs) == 1 else tuple(outs)

        _, node_vjp = jax.vjp(run_node, *[inputs[i] for i in diff])
        in_cts = node_vjp(out_cts[0] if len(node.results) == 1 else tuple(out_cts))
        for i, ct in zip(diff, in_cts):
            v = node.inputs[i]
            issue = _nonfinite(ct, "backward", f"gradient wrt input {i} (%{names.get(id(v), '?')})",
                               node, interp)
            if issue:
                tainted.add(id(v))
                if origin is None and not bad_out:
                    origin = issue
        _accumulate(cts, [node.inputs[i] for i in diff], in_cts)
    bad_params = [v.name for v in graph.params
                  if v.trainable and id(v) in cts and _nonfinite(cts[id(v)], "backward", "")]
    if not bad_params:
        return None
    if origin is None:                     # cannot happen with finite output cotangents; be safe
        origin = NumericsIssue(stage="backward", kind="nan", count=0, detail="parameter gradients")
    origin.parameters = bad_params
    return origin


def _accumulate(cts: dict, values, grads) -> dict:
    for v, g in zip(values, grads):
        cts[id(v)] = g if id(v) not in cts else cts[id(v)] + g
    return cts


def _is_float(a) -> bool:
    return jnp.issubdtype(jnp.result_type(a), jnp.inexact)


def _nonfinite(a, stage, detail, node=None, interp=None):
    if not _is_float(a):
        return None
    a = np.asarray(a)
    nan, inf = int(np.isnan(a).sum()), int(np.isinf(a).sum())
    if not nan and not inf:
        return None
    kind = "nan+inf" if nan and inf else "nan" if nan else "inf"
    if node is None:
        return NumericsIssue(stage=stage, kind=kind, count=nan + inf, detail=detail)
    return NumericsIssue(stage=stage, kind=kind, count=nan + inf, detail=detail, op=node.op, layer=node.layer,
                         node_index=interp.node_index[id(node)], ir_line=interp.ir_line(node))
