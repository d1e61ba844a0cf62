"""Shared checks for op tests: run an op eagerly and traced (known shapes and a None batch dim).

``check_op(fn, *arrays)`` calls ``fn`` on the arrays eagerly, then traces it
twice in a ``Builder`` (inputs with their exact shapes, then with the batch dim
of the ``batched`` inputs unknown), verifies each graph and its print/parse
round trip, lowers it and checks that every result type agrees with the
lowered output (exactly for known shapes, ``None`` as a wildcard otherwise)
and that the lowered values equal the eager ones. It returns the eager
outputs as numpy arrays.
"""
from __future__ import annotations

import jax
import numpy as np

from kxla.ir import TensorType, canonical_dtype, parse, print_graph
from kxla.lowering import lower
from kxla.ops import Builder


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def trace(fn, arrays, batched=(0,), unknown_batch=True, rng_seed=0):
    """Trace ``fn`` on symbolic inputs shaped like ``arrays``; return (graph, result types, outputs)."""
    with Builder("t", training=True) as b:
        inputs = []
        for i, a in enumerate(arrays):
            shape = tuple(a.shape)
            if unknown_batch and i in batched and shape:
                shape = (None,) + shape[1:]
            inputs.append(b.input(TensorType(shape, canonical_dtype(a.dtype)), f"x{i}"))
        outs = _as_list(fn(*inputs))
        b.graph.outputs = [b.value_of(o) for o in outs]
    graph = b.graph
    graph.verify()
    text = print_graph(graph)
    again = parse(text)
    again.verify()
    assert print_graph(again) == text
    results, _ = lower(graph)({}, {}, list(arrays), rng=jax.random.key(rng_seed), training=True)
    return graph, [o.type for o in outs], [np.asarray(r) for r in results]


def _matches(declared: TensorType, actual: np.ndarray, wildcard: bool) -> bool:
    if declared.dtype != canonical_dtype(actual.dtype) or declared.rank != actual.ndim:
        return False
    return all(d == a or (wildcard and d is None) for d, a in zip(declared.shape, actual.shape))


def check_op(fn, *arrays, batched=(0,), deterministic=True, rtol=1e-5, atol=1e-5):
    """Eager vs traced agreement of ``fn`` (see module doc); returns the eager outputs."""
    arrays = [np.asarray(a) for a in arrays]
    eager = [np.asarray(e) for e in _as_list(fn(*arrays))]
    for unknown in (False, True):
        _, types, lowered = trace(fn, arrays, batched=batched, unknown_batch=unknown)
        assert len(types) == len(eager) == len(lowered)
        for t, e, r in zip(types, eager, lowered):
            assert _matches(t, r, wildcard=unknown), f"declared {t}, lowered {r.dtype}{r.shape}"
            assert e.shape == r.shape and e.dtype == r.dtype
            if deterministic:
                np.testing.assert_allclose(r, e, rtol=rtol, atol=atol)
    return eager if len(eager) > 1 else eager[0]


def rand(*shape, seed=0, dtype="float32"):
    """Standard-normal test data of ``shape``."""
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)
