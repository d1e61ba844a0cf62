"""``mixed-precision{policy=mixed_bfloat16}``: matmuls and convolutions in a 16-bit compute dtype.

Keras's mixed policies (``mixed_bfloat16``, ``mixed_float16``) keep variables
and the loss in float32 and run the heavy math in 16 bits. As an IR rewrite,
each compute node whose floating inputs are float32 is replaced by::

    %a = cast(%x) {dtype="bfloat16"}          // inputs (activations, kernels, biases)
    %b = cast(%kernel) {dtype="bfloat16"}
    %c = matmul(%a, %b) : bf16[...]           // the same op and attributes, 16-bit types
    %d = cast(%c) {dtype="float32"}           // back to float32 for every reader

Compute ops: those with the "compute_heavy" trait in their definition
(matmul, dense, conv, depthwise_conv, conv_transpose, einsum,
tensordot). Everything else (activations, normalization,
softmax, reductions, the loss) stays float32; XLA fuses the casts into the
neighbouring elementwise ops. Gradients flow through the casts, so weights
get float32 gradients. A value read by several compute nodes is cast once.

Options:
  policy: "mixed_bfloat16" or "mixed_float16".
  only: layer names; when given, only nodes recorded by these layers are cast.
  skip: layer names whose nodes stay float32 (a layer with ``dtype="float32"``
    in a mixed model). A node's layer is the last component of its layer path.

Regions (a ``scan`` body: an RNN cell over a time axis of unknown length)
are converted too (``Pass.regions``): their values keep their types at the
region's boundary, so the loop's carries stay float32.

Counters: ``casts_inserted``, ``nodes_converted``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import kxla.ops  # noqa: F401  (registers the ops)
from kxla.ir import get_op, has_op

from .base import Pass

COMPUTE_DTYPES = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


@dataclass(frozen=True)
class MixedPrecision(Pass):
    """Cast the inputs of matmul/conv nodes to the policy's compute dtype and their results back to float32."""

    name = "mixed-precision"
    regions = True          # a scan body's matmuls too (a cell over an unknown time axis), as when unrolled
    policy: Literal["mixed_bfloat16", "mixed_float16"] = "mixed_bfloat16"
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()

    def _selected(self, node) -> bool:
        layers = {path.split("/")[-1] for path in node.layers} or {""}
        if self.only and not layers & set(self.only):
            return False
        return not layers & set(self.skip)

    def run(self, graph, rw) -> bool:
        compute = COMPUTE_DTYPES[self.policy]
        casts: dict[int, object] = {}            # id(float32 value) -> its compute-dtype cast
        for node in list(rw.walk()):
            if not has_op(node.op) or "compute_heavy" not in get_op(node.op).traits or \
                    not self._selected(node):
                continue
            floats = [v for v in node.inputs if v.type.dtype.startswith("float") or v.type.dtype == "bfloat16"]
            if not floats or any(v.type.dtype != "float32" for v in floats):
                continue
            inputs = []
            for v in node.inputs:
                if v.type.dtype != "float32":
                    inputs.append(v)
                    continue
                cast = casts.get(id(v))
                if cast is None:
                    cast = casts[id(v)] = rw.insert("cast", [v], {"dtype": compute}, before=node).results[0]
                    rw.count("casts_inserted")
                inputs.append(cast)
            low = rw.insert(node.op, inputs, node.attrs, before=node)
            backs = []
            for result, new in zip(node.results, low.results):
                if new.type.dtype == compute and result.type.dtype == "float32":
                    new = rw.insert("cast", [new], {"dtype": "float32"}, before=node).results[0]
                    rw.count("casts_inserted")
                backs.append(new)
            rw.replace_node(node, backs)
            rw.count("nodes_converted")
        return rw.changed
