"""``fuse-parallel-matmul``: matmuls reading the same input with different 2-D kernels become one.

    y1 = matmul(x, k1)            kc = concatenate(k1, k2, k3){axis=1}
    y2 = matmul(x, k2)     ==>    y  = matmul(x, kc)
    y3 = matmul(x, k3)            y1, y2, y3 = split(y){indices=[n1, n1+n2], axis=-1}

(the Q/K/V projections of attention, the gates of an LSTM cell, parallel
heads.) Kernels must be rank 2 with the same number of rows and dtype, and
computed from parameters, state and constants only, so concatenating them
never creates a cycle; like every pass it never touches parameter values:
the concatenation is a graph node. Needs the ``concatenate`` and ``split`` ops.
Reports ``groups`` and ``matmuls_fused``.
"""
from __future__ import annotations

from dataclasses import dataclass

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import get_op, has_op

from .base import Pass
from .fold_batchnorm import _Static


@dataclass(frozen=True)
class FuseParallelMatmul(Pass):
    """Matmuls sharing an input -> one matmul on concatenated kernels + split."""

    name = "fuse-parallel-matmul"
    min_group: int = 2

    def run(self, graph, rw) -> bool:
        if not (has_op("concatenate") and has_op("split")):
            return False
        static = _Static()
        groups, fused = 0, 0
        seen: set[int] = set()
        for node in rw.walk():
            if node.op != "matmul" or id(node.inputs[0]) in seen:
                continue
            x = node.inputs[0]
            seen.add(id(x))
            by_kernel: dict[tuple, list] = {}
            for user in list(x.users):
                if user.op != "matmul" or rw.is_erased(user) or user.inputs[0] is not x or user.inputs[1] is x:
                    continue
                k = user.inputs[1]
                if k.type.rank != 2 or None in k.type.shape or not static(k):
                    continue
                by_kernel.setdefault((k.type.shape[0], k.type.dtype), []).append(user)
            for group in by_kernel.values():
                if len(group) >= max(2, self.min_group) and self._fuse(group, x, rw):
                    groups += 1
                    fused += len(group)
        rw.count("groups", groups)
        rw.count("matmuls_fused", fused)
        return groups > 0

    def _fuse(self, group, x, rw) -> bool:
        kernels = [n.inputs[1] for n in group]
        widths = [k.type.shape[1] for k in kernels]
        points, total = [], 0
        for w in widths[:-1]:
            total += w
            points.append(total)
        (kc_t,) = get_op("concatenate").infer_types([k.type for k in kernels], {"axis": 1})
        (y_t,) = get_op("matmul").infer_types([x.type, kc_t], {})
        outs = get_op("split").infer_types([y_t], {"indices": points, "axis": y_t.rank - 1})
        if [t for t in outs] != [n.results[0].type for n in group]:
            return False
        if not rw.hoist(kernels, before=group[0]):        # the concatenation is placed before the first
            return False
        b = rw.builder(before=group[0])
        kc = b.concatenate(*kernels, axis=1)
        y = b.matmul(x, kc)
        parts = b.split(y, indices=points, axis=y_t.rank - 1)
        parts = parts if isinstance(parts, tuple) else (parts,)
        for node, part in zip(group, parts):
            rw.replace_node(node, [part])
        return True
