"""Numerical checks for passes: run a graph before and after a pipeline and compare.

Every pass test should end with ``assert_semantics_preserved``: it lowers the
original and the transformed graph with ``kxla.lowering.lower`` (so it uses
jax, unlike the passes), feeds both the same random inputs, parameters and
state, and compares the outputs, the new state and (``grads=True``) the
gradients of a random projection of the outputs with respect to every
trainable floating-point parameter.
"""
from __future__ import annotations

import numpy as np

from ..ir import Graph, get_op

__all__ = ["assert_semantics_preserved", "random_arguments", "evaluate"]


def _concrete(shape, batch: int) -> tuple:
    return tuple(batch if d is None else d for d in shape)


def _draw(rng: np.random.Generator, type_, batch: int, kind: str) -> np.ndarray:
    shape = _concrete(type_.shape, batch)
    dtype = type_.dtype
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith(("int", "uint")):
        return rng.integers(0, 3, size=shape).astype(dtype)
    if kind == "state":            # moving statistics: keep variances positive
        arr = rng.uniform(0.5, 1.5, size=shape)
    elif kind == "param":
        arr = rng.normal(0.0, 0.5, size=shape)
    else:
        arr = rng.normal(0.0, 1.0, size=shape)
    import jax.numpy as jnp
    return np.asarray(jnp.asarray(arr, dtype=dtype))


def random_arguments(graph: Graph, seed: int = 0, batch: int = 2):
    """``(params, state, inputs)`` of random values fitting ``graph`` (unknown dims set to ``batch``)."""
    rng = np.random.default_rng(seed)
    params = {v.name: _draw(rng, v.type, batch, "param") for v in graph.params}
    state = {v.name: _draw(rng, v.type, batch, "state") for v in graph.state}
    inputs = [_draw(rng, v.type, batch, "input") for v in graph.inputs]
    return params, state, inputs


class _Runner:
    """The lowered graph, jitted once (forward and gradient) and reused across trials."""

    def __init__(self, graph: Graph, training: bool, seed: int, jit: bool = True):
        import jax
        from ..lowering import lower
        self.graph, self.training, self.seed = graph, training, seed
        self.fn = lower(graph)
        self.jit = jax.jit if jit else (lambda f: f)
        self._fwd = self.jit(lambda p, s, x: self.fn(p, s, x, rng=jax.random.PRNGKey(seed), training=training))
        self._grad = None

    def __call__(self, params, state, inputs):
        outs, new_state = self._fwd(params, state, inputs)
        return [np.asarray(o) for o in outs], {k: np.asarray(v) for k, v in new_state.items()}

    def gradients(self, params, state, inputs, cotangents):
        """Gradients of ``sum(output_i * cotangent_i)`` w.r.t. trainable float parameters."""
        import jax
        import jax.numpy as jnp
        names = [v.name for v in self.graph.params
                 if v.trainable and np.issubdtype(np.asarray(params[v.name]).dtype, np.floating)]
        if not names:
            return {}
        if self._grad is None:
            def loss(trainable, fixed, state, inputs, cot):
                outs, _ = self.fn({**fixed, **trainable}, state, inputs, rng=jax.random.PRNGKey(self.seed),
                                  training=self.training)
                total = 0.0
                for o, c in zip(outs, cot):
                    if c is not None:
                        total = total + jnp.sum(o.astype(jnp.float32) * c)
                return total
            self._grad = self.jit(jax.grad(loss))
        fixed = {k: v for k, v in params.items() if k not in names}
        grads = self._grad({k: params[k] for k in names}, fixed, state, inputs, cotangents)
        return {k: np.asarray(v) for k, v in grads.items()}


def evaluate(graph: Graph, params, state, inputs, training: bool = False, seed: int = 0, jit: bool = True):
    """Lower ``graph`` and run it once: ``(outputs, new_state)`` as numpy arrays.

    ``jit=True`` compiles the whole graph once (fastest for a graph run a few
    times); ``jit=False`` runs op by op (fastest when many graphs share shapes).
    """
    return _Runner(graph, training, seed, jit)(params, state, inputs)


def _close(what: str, a, b, rtol: float, atol: float, context: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        raise AssertionError(f"{what}: shape/dtype {b.shape} {b.dtype} before, {a.shape} {a.dtype} after{context}")
    if a.dtype == bool or np.issubdtype(a.dtype, np.integer):
        np.testing.assert_array_equal(a, b, err_msg=f"{what} changed{context}")
        return
    tol = {np.dtype("float16"): 1e-2}.get(a.dtype, 0)
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=max(rtol, tol),
                               atol=max(atol, tol), equal_nan=True, err_msg=f"{what} changed{context}")


def assert_semantics_preserved(pipeline, graph, n: int = 3, grads: bool = True, rtol: float = 1e-5,
                               atol: float = 1e-5, batch: int = 2, training: bool = False, seed: int = 0,
                               transformed: Graph | None = None) -> Graph:
    """Run ``pipeline`` on ``graph`` and check the result computes the same thing.

    Arguments:
      pipeline: pipeline text, a list of passes, a Pass, or a ``PassManager``.
      graph: a Graph or IR text.
      n: number of random trials (inputs, parameters and state drawn anew each time).
      grads: also compare gradients w.r.t. trainable float parameters (of a
        random projection of the outputs).
      rtol, atol: tolerances (float16 results get at least 1e-2).
      batch: size given to unknown (batch) dimensions.
      training: the ``training`` flag passed to the lowered functions. Graphs
        with random ops (dropout) draw keys from node positions, which passes
        change, so compare those with ``training=False``.
      seed: base seed.
      transformed: compare against this graph instead of running ``pipeline``.

    Returns:
      The transformed graph.
    """
    from .ir import _as_graph, _ensure_ops
    _ensure_ops()
    graph = _as_graph(graph)
    if transformed is None:
        from kxla.passes import PassManager
        pm = pipeline if isinstance(pipeline, PassManager) else PassManager(pipeline)
        transformed = pm.run(graph)
    label = pipeline if isinstance(pipeline, str) else str(getattr(pipeline, "passes", pipeline))
    if [v.name for v in transformed.params] != [v.name for v in graph.params]:
        raise AssertionError(f"pipeline {label!r} changed the graph's parameters")
    run_before, run_after = _Runner(graph, training, seed), _Runner(transformed, training, seed)
    for trial in range(n):
        params, state, inputs = random_arguments(graph, seed=seed + trial, batch=batch)
        context = f" (pipeline {label!r}, trial {trial})"
        before, state_before = run_before(params, state, inputs)
        after, state_after = run_after(params, state, inputs)
        if len(before) != len(after):
            raise AssertionError(f"{len(before)} outputs before, {len(after)} after{context}")
        for i, (a, b) in enumerate(zip(after, before)):
            _close(f"output {i}", a, b, rtol, atol, context)
        for k in state_before:
            _close(f"new state {k!r}", state_after[k], state_before[k], rtol, atol, context)
        if grads:
            rng = np.random.default_rng(seed + 1000 + trial)
            cot = [rng.normal(size=o.shape).astype(np.float32) if np.issubdtype(o.dtype, np.floating) else None
                   for o in before]
            g_before = run_before.gradients(params, state, inputs, cot)
            g_after = run_after.gradients(params, state, inputs, cot)
            for k in g_before:
                _close(f"gradient w.r.t. {k!r}", g_after[k], g_before[k], max(rtol, 1e-4), max(atol, 1e-4), context)
    return transformed


def has_random_ops(graph: Graph) -> bool:
    return any(get_op(n.op).effect == "random" for n in graph.nodes)
