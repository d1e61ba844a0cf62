"""Gradient check for layers with weights: XLA's gradients against central finite differences.

``check_weight_gradients(layer, inputs)`` traces the layer once (batch dim
unknown), lowers it, jits ``value_and_grad`` of a smooth scalar loss of the
output once, and for each trainable weight compares the directional
derivative along a random direction touching only that weight with
``(L(w + eps v) - L(w - eps v)) / (2 eps)``. One compilation per layer, two
extra evaluations per weight, so it stays cheap.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from kxla.lowering import lower
from layer_check import run_traced


def check_weight_gradients(layer, inputs, eps=1e-2, rtol=3e-2, atol=2e-3, seed=0):
    """Assert that every trainable weight's gradient matches finite differences (see module doc)."""
    _, _, graph = run_traced(layer, inputs)
    fn = lower(graph)
    arrays = [np.asarray(a) for a in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    params = {w.ir_name: jnp.asarray(w.value) for w in layer.weights if w.kind == "param"}
    state = {w.ir_name: jnp.asarray(w.value) for w in layer.weights if w.kind == "state"}
    rng = np.random.default_rng(seed)
    out_shape = np.asarray(fn(params, state, arrays)[0][0]).shape
    probe = jnp.asarray(rng.normal(size=out_shape).astype(np.float32))

    def loss(p):
        outs, _ = fn(p, state, arrays)
        return jnp.sum(jnp.tanh(outs[0]) * probe)

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    _, grads = value_and_grad(params)
    checked = 0
    for w in layer.trainable_weights:
        v = rng.normal(size=w.shape).astype(np.float32)
        v /= np.linalg.norm(v)
        up = dict(params, **{w.ir_name: params[w.ir_name] + eps * v})
        down = dict(params, **{w.ir_name: params[w.ir_name] - eps * v})
        numeric = (float(value_and_grad(up)[0]) - float(value_and_grad(down)[0])) / (2 * eps)
        analytic = float(jnp.sum(grads[w.ir_name] * v))
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol, err_msg=w.path)
        checked += 1
    assert checked == len(layer.trainable_weights) > 0
