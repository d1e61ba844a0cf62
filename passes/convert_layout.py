"""``convert-layout{to=channels_last|channels_first}``: one data format for every layout-sensitive op.

Each value gets a *physical layout*: the permutation ``P`` with
``physical = logical.transpose(P)`` (identity at first). One forward sweep
decides, per node, from its op's declared layout (``kxla.ir.LAYOUTS``):

* ``sensitive`` ops with a ``data_format`` (conv, pooling, fused convs ...)
  are switched to the target format; their input is requested in the target
  layout and their output carries it. Kernels and other inputs never move.
  ``flatten`` keeps Keras's element order: it reads a channels-last physical
  input as ``data_format="channels_last"`` and a channels-first one as
  ``"channels_first"`` whenever that gives the same elements, else its input
  is transposed back.
* ``agnostic`` (elementwise) ops take the layout of their first permuted
  input; other inputs are brought to it (a lower-rank broadcast operand is
  reshaped to full rank first).
* ``axis`` ops keep their input's layout: ``remap_axes`` rewrites their axis
  attributes; reductions drop the reduced axes from the layout.
* existing ``transpose`` nodes are absorbed: the output just carries a
  permuted layout, so inverse pairs vanish.
* ``opaque`` ops, ops with an effect (random draws depend on the layout),
  and anything whose rewritten shape does not check out are barriers: their
  inputs are transposed back to the logical layout.

Transposes are created lazily, once per (value, layout), right where a
reader needs them: at graph inputs feeding converted ops, at barriers, and
at graph outputs/state updates (which keep their logical layout). The pass
reports ``transposes_inserted``, ``transposes_cancelled`` (existing transposes
absorbed), ``transposes_remaining`` and ``ops_converted``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import TensorType, get_op

from .base import Pass
from .perms import compose, format_change, identity, inverse, is_identity, permute_type, to_channels_last


class _Layouts:
    """The sweep's state: physical value and layout per logical value, and the transpose cache."""

    def __init__(self, rw):
        self.rw = rw
        self.phys: dict[int, tuple] = {}      # id(logical value) -> (physical value, perm)
        self.logical: dict[int, TensorType] = {}
        self.cache: dict[tuple, object] = {}  # (id(physical value), transpose perm) -> value
        self.inserted = 0

    def logical_type(self, v) -> TensorType:
        return self.logical.get(id(v), v.type)

    def perm(self, v) -> tuple:
        return self.phys.get(id(v), (v, identity(self.logical_type(v).rank)))[1]

    def get(self, v, want, anchor):
        """A value holding ``v`` laid out as ``logical(v).transpose(want)``, inserting a transpose if needed."""
        pv, perm = self.phys.get(id(v), (v, None))
        if perm is None:
            perm = identity(len(want))
        q = tuple(inverse(perm)[w] for w in want)
        if is_identity(q):
            return pv
        key = (id(pv), q)
        if key not in self.cache:
            node = self.rw.insert("transpose", [pv], {"perm": list(q)}, before=anchor,
                                  layer=anchor.layer if anchor is not None else None)
            self.cache[key] = node.results[0]
            self.inserted += 1
        return self.cache[key]


@dataclass(frozen=True)
class ConvertLayout(Pass):
    """Rewrite layout-sensitive ops to one data_format, moving transposes to the edges."""

    name = "convert-layout"
    to: Literal["channels_last", "channels_first"] = "channels_last"

    def run(self, graph, rw) -> bool:
        if not any(n.op == "transpose" or (get_op(n.op).layout == "sensitive" and
                                           n.attrs.get("data_format", self.to) != self.to)
                   for n in graph.nodes):
            for key in ("transposes_inserted", "transposes_cancelled", "transposes_remaining", "ops_converted"):
                rw.count(key, 0)
            return False                      # already in the target layout, no transposes to move
        L = _Layouts(rw)
        before = sum(n.op == "transpose" for n in graph.nodes)
        absorbed, converted = [], 0
        for node in list(rw.walk()):
            opdef = get_op(node.op)
            if node.op == "transpose" and len(node.inputs) == 1:
                self._absorb(node, L)
                absorbed.append(node)
                continue
            if opdef.effect is not None:
                plan = None
            elif opdef.layout == "sensitive":
                plan = self._sensitive(node, L)
            elif opdef.layout == "agnostic":
                plan = self._agnostic(node, L)
            elif opdef.layout == "axis":
                plan = self._axis(node, opdef, L)
            else:
                plan = None
            if plan is None:
                plan = self._barrier(node, L)
            self._apply(node, plan, L)
            if plan.get("converted"):
                converted += 1
        for i, v in enumerate(graph.outputs):
            rw.set_output(i, L.get(v, identity(L.logical_type(v).rank), None))
        for i, (_, v) in enumerate(graph.updates):
            rw.set_update(i, L.get(v, identity(L.logical_type(v).rank), None))
        for node in reversed(absorbed):
            rw.erase_if_dead(node, recursive=False)
        remaining = sum(n.op == "transpose" for n in rw.walk())
        rw.count("transposes_inserted", L.inserted)
        rw.count("transposes_cancelled", max(0, before + L.inserted - remaining))
        rw.count("transposes_remaining", remaining)
        rw.count("ops_converted", converted)
        return rw.changed

    # -- per-category plans: {"inputs": [(value, perm) | (value, None)], "attrs", "out": [perms]} -----
    def _barrier(self, node, L):
        return {"inputs": [(v, identity(L.logical_type(v).rank)) for v in node.inputs], "attrs": None,
                "out": [identity(r.type.rank) for r in node.results]}

    def _check(self, node, opdef, inputs, attrs, outs, L):
        """Do the planned physical input types give the planned permuted result types?"""
        types = [permute_type(L.logical_type(v), p) if p is not None else L.logical_type(v) for v, p in inputs]
        try:
            got = opdef.infer_types(types, opdef.normalize_attrs(attrs))
        except (TypeError, ValueError, KeyError, IndexError):
            return False
        want = [permute_type(r.type, p) for r, p in zip(node.results, outs)]
        return list(got) == want

    def _sensitive(self, node, L):
        if "data_format" not in node.attrs or not node.inputs:
            return None
        x = node.inputs[0]
        rank = L.logical_type(x).rank
        if node.op == "flatten":
            return self._flatten(node, L)
        src = node.attrs["data_format"]
        m = format_change(src, self.to, rank)
        attrs = {**node.attrs, "data_format": self.to}
        inputs = [(x, m)] + [(v, identity(L.logical_type(v).rank)) for v in node.inputs[1:]]
        outs = [m if r.type.rank == rank else identity(r.type.rank) for r in node.results]
        if not self._check(node, get_op(node.op), inputs, attrs, outs, L):
            return None
        return {"inputs": inputs, "attrs": attrs, "out": outs, "converted": src != self.to}

    def _flatten(self, node, L):
        x = node.inputs[0]
        rank = L.logical_type(x).rank
        out = [identity(node.results[0].type.rank)]
        if rank <= 2:
            return None
        fmt = node.attrs["data_format"]
        order = identity(rank) if fmt == "channels_last" else to_channels_last(rank)   # element order wanted
        p = L.perm(x)
        if tuple(p) == tuple(order):
            new = "channels_last"
        elif compose(p, to_channels_last(rank)) == tuple(order):
            new = "channels_first"
        else:
            return None
        return {"inputs": [(x, p)], "attrs": {**node.attrs, "data_format": new}, "out": out}

    def _agnostic(self, node, L):
        rank = max((r.type.rank for r in node.results), default=0)
        target = next((L.perm(v) for v in node.inputs
                       if L.logical_type(v).rank == rank and not is_identity(L.perm(v))), None)
        if target is None:
            return None
        inputs = []
        for v in node.inputs:
            r = L.logical_type(v).rank
            if r == rank:
                inputs.append((v, target))
            elif r == 0:
                inputs.append((v, ()))
            else:
                inputs.append((v, "broadcast"))
        if any(p == "broadcast" and None in L.logical_type(v).shape for v, p in inputs):
            return None
        outs = [target for _ in node.results]
        check = [(v, p) if p != "broadcast" else (v, None) for v, p in inputs]
        types_ok = self._check_broadcast(node, check, target, outs, L)
        if not types_ok:
            return None
        return {"inputs": inputs, "attrs": None, "out": outs, "target": target}

    def _check_broadcast(self, node, inputs, target, outs, L):
        types = []
        rank = len(target)
        for v, p in inputs:
            t = L.logical_type(v)
            if p is None:                       # lower-rank broadcast operand, padded to full rank
                t = permute_type(t.with_shape((1,) * (rank - t.rank) + t.shape), target)
            else:
                t = permute_type(t, p)
            types.append(t)
        opdef = get_op(node.op)
        try:
            got = opdef.infer_types(types, node.attrs)
        except (TypeError, ValueError):
            return False
        return list(got) == [permute_type(r.type, p) for r, p in zip(node.results, outs)]

    def _axis(self, node, opdef, L):
        if not node.inputs:
            return None
        rank = L.logical_type(node.inputs[0]).rank
        perm = next((L.perm(v) for v in node.inputs
                     if L.logical_type(v).rank == rank and not is_identity(L.perm(v))), None)
        if perm is None:
            return None
        try:
            attrs = opdef.remap_axes(dict(node.attrs), list(perm), [L.logical_type(v) for v in node.inputs])
        except (TypeError, ValueError, KeyError, IndexError):
            return None
        inputs = [(v, perm if L.logical_type(v).rank == rank else identity(L.logical_type(v).rank))
                  for v in node.inputs]
        outs = []
        for r in node.results:
            if r.type.rank == rank:
                outs.append(perm)
            elif r.type.rank < rank:
                q = self._reduced_perm(node, perm, rank, r.type.rank)
                if q is None:
                    return None
                outs.append(q)
            else:
                return None
        if not self._check(node, opdef, inputs, attrs, outs, L):
            return None
        return {"inputs": inputs, "attrs": attrs, "out": outs}

    @staticmethod
    def _reduced_perm(node, perm, rank, out_rank):
        """Layout of a reduction's result: the input layout without the reduced axes."""
        axes = node.attrs.get("axis", node.attrs.get("axes", "missing"))
        if axes == "missing":
            return None
        if axes is None:
            removed = set(range(rank))
        else:
            removed = {a % rank for a in (axes if isinstance(axes, list) else [axes])}
        if rank - len(removed) != out_rank:
            return None
        kept = [a for a in range(rank) if a not in removed]
        return tuple(kept.index(p) for p in perm if p not in removed)

    # -- applying a plan ------------------------------------------------------------
    def _absorb(self, node, L):
        """transpose(x, q): no node needed, the result is x's physical value with layout inv(q) . P."""
        x = node.inputs[0]
        pv, p = L.phys.get(id(x), (x, identity(L.logical_type(x).rank)))
        q = node.attrs["perm"]
        L.phys[id(node.results[0])] = (pv, tuple(inverse(q)[i] for i in p))

    @staticmethod
    def _broadcast_operand(v, target, node, L):
        """A lower-rank operand of an elementwise op, padded to full rank and laid out as ``target``.

        One reshape when the permutation only moves size-1 axes (a per-channel
        constant), else a reshape and a transpose.
        """
        t = L.logical_type(v)
        padded = (1,) * (len(target) - t.rank) + tuple(t.shape)
        base = L.get(v, identity(t.rank), node)
        moved = [a for a in target if padded[a] != 1]
        if moved == sorted(moved):
            shape = [padded[a] for a in target]
            return L.rw.insert("reshape", [base], {"shape": shape}, before=node).results[0]
        value = L.rw.insert("reshape", [base], {"shape": list(padded)}, before=node).results[0]
        return L.get(value, target, node)

    def _apply(self, node, plan, L):
        rw = L.rw
        new_inputs = []
        target = plan.get("target")
        for v, p in plan["inputs"]:
            if p == "broadcast":
                new_inputs.append(self._broadcast_operand(v, target, node, L))
            elif p == () or p is None:
                new_inputs.append(L.get(v, (), node) if p == () else v)
            else:
                new_inputs.append(L.get(v, p, node))
        rw.set_inputs(node, new_inputs)
        if plan["attrs"] is not None:
            rw.set_attrs(node, plan["attrs"])
        for r, p in zip(node.results, plan["out"]):
            L.logical[id(r)] = r.type
            new_type = permute_type(r.type, p)
            rw.set_type(r, new_type)
            L.phys[id(r)] = (r, tuple(p))
