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


# -- against Keras 3 (the oracle) --------------------------------------------------------------------
def _leaves(out):
    if isinstance(out, (list, tuple)):
        return [leaf for o in out for leaf in _leaves(o)]
    return [out]


def _resolve(root, ns, name):
    mod = root
    for part in filter(None, ns.split(".")):
        mod = getattr(mod, part)
    return getattr(mod, name)


def _assert_same_values(ours, theirs, rtol, atol, what):
    ours, theirs = _leaves(ours), _leaves(theirs)
    assert len(ours) == len(theirs), f"{what}: {len(ours)} results, Keras gives {len(theirs)}"
    for o, t in zip(ours, theirs):
        o, t = np.asarray(o), np.asarray(t)
        assert canonical_dtype(o.dtype) == canonical_dtype(t.dtype), f"{what}: dtype {o.dtype}, Keras {t.dtype}"
        assert o.shape == t.shape, f"{what}: shape {o.shape}, Keras {t.shape}"
        np.testing.assert_allclose(o.astype("float64") if o.dtype.kind == "V" or o.dtype.name == "bfloat16"
                                   else o, t.astype(o.dtype), rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=what)


def _check_symbolic(name, ours, theirs, arrays, kwargs, got, expected):
    """Symbolic results: with exact shapes they equal the eager results' shapes and dtypes; with an unknown
    leading dimension, the shapes equal Keras's symbolic ones (where Keras's symbolic rule is right at exact
    shapes and does not fail)."""
    import keras
    import kxla

    def specs(fn, make, unknown):          # unknown: the first input's leading dimension (a batch)
        shapes = [tuple(a.shape) for a in arrays]
        if unknown and shapes and shapes[0]:
            shapes[0] = (None,) + shapes[0][1:]
        return [(tuple(o.shape), canonical_dtype(o.dtype)) for o in _leaves(
            fn(*[make(s, a.dtype) for s, a in zip(shapes, arrays)], **kwargs))]

    def ours_make(s, d):
        return kxla.KerasTensor(TensorType(s, canonical_dtype(d)))
    eager = [(tuple(np.shape(e)), canonical_dtype(np.asarray(e).dtype)) for e in _leaves(got)]
    assert specs(ours, ours_make, False) == eager, f"{name}: symbolic result differs from the eager result"
    try:
        keras_exact = [s for s, _ in specs(theirs, keras.KerasTensor, False)]
        keras_unknown = [s for s, _ in specs(theirs, keras.KerasTensor, True)]
    except Exception:
        return                        # Keras has no symbolic rule for these inputs
    if keras_exact != [s for s, _ in eager]:
        return                        # Keras's symbolic rule disagrees with its own results here
    have = [s for s, _ in specs(ours, ours_make, True)]
    # kxla may know a dimension Keras leaves unknown (a broadcast against a known size): it must be the real one
    agree = len(have) == len(keras_unknown) and all(
        len(h) == len(k) and all(a == b or b is None and a == e for a, b, e in zip(h, k, ex))
        for h, k, (ex, _) in zip(have, keras_unknown, eager))
    assert agree, f"{name} symbolic with an unknown dim: {have}, Keras {keras_unknown}"


def check_against_keras(name, arrays, kwargs=None, ns="", grad=True, trace=True, rtol=1e-5, atol=1e-6,
                        ours=None, theirs=None):
    """Compare ``kxla.ops[.ns].name`` with ``keras.ops[.ns].name`` on ``arrays`` (positional) and ``kwargs``.

    Checks values and dtypes, symbolic output shapes and dtypes (kxla's
    KerasTensor against keras.KerasTensor, also with an unknown leading
    dimension), the traced IR (``check_op``) and, when ``grad`` and every
    input and result is floating, the gradient of the results' sum.
    ``ours`` / ``theirs`` replace the looked-up functions (to bind static arguments).
    """
    import keras
    import kxla
    from kxla.ir import is_floating
    kwargs = kwargs or {}
    ours = ours or _resolve(kxla.ops, ns, name)
    theirs = theirs or _resolve(keras.ops, ns, name)
    arrays = [np.asarray(a) for a in arrays]
    got, expected = ours(*arrays, **kwargs), theirs(*arrays, **kwargs)
    _assert_same_values(got, expected, rtol, atol, f"{name} values")
    _check_symbolic(name, ours, theirs, arrays, kwargs, got, expected)
    if trace and arrays:
        check_op(lambda *t: ours(*t, **kwargs), *arrays, batched=(), rtol=rtol, atol=atol)
    floats = all(is_floating(canonical_dtype(a.dtype)) for a in arrays)
    if grad and arrays and floats and all(is_floating(canonical_dtype(np.asarray(o).dtype))
                                          for o in _leaves(got)):
        def loss(f):
            return lambda *a: sum(jax.numpy.sum(o) for o in _leaves(f(*a, **kwargs)))
        argnums = tuple(range(len(arrays)))
        g_ours = jax.grad(loss(ours), argnums)(*arrays)
        g_theirs = jax.grad(loss(theirs), argnums)(*arrays)
        _assert_same_values(g_ours, g_theirs, max(rtol, 1e-4), max(atol, 1e-5), f"{name} gradient")
    return got
