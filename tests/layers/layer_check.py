"""Layer-test harness: run a kxla layer traced (batch dim unknown) and its Keras 3 twin on the same weights.

``run_traced(layer, inputs, training)`` traces ``layer`` in a ``Builder`` on
symbolic inputs with an unknown batch dim, verifies the graph, lowers it and
runs it with the layer's current weights; it returns the output, the new
state (by ``Variable.ir_name``) and the graph. ``keras_twin(cls, kwargs,
inputs, weights)`` builds the Keras layer of the same name on the inputs and
copies the weights in. ``check_against_keras`` does both and compares, also
checking weight names, shapes and order and that eager calls agree.
"""
from __future__ import annotations

import inspect

import jax
import jax.numpy as jnp
import numpy as np

from kxla.ir import TensorType, canonical_dtype
from kxla.lowering import lower
from kxla.ops import Builder


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def run_traced(layer, inputs, training=False, rng_seed=0):
    """Trace and run ``layer`` on ``inputs`` (array or list); returns (output, new_state, graph)."""
    arrays = [np.asarray(a) for a in _as_list(inputs)]
    with Builder("t", training=training) as b:
        syms = [b.input(TensorType((None,) + a.shape[1:], canonical_dtype(a.dtype)), f"x{i}")
                for i, a in enumerate(arrays)]
        out = layer(syms if isinstance(inputs, (list, tuple)) else syms[0], training=training)
        b.graph.outputs = [b.value_of(out)]
    b.graph.verify()
    variables = b.variables()
    params = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "param"}
    state = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "state"}
    outs, new_state = lower(b.graph)(params, state, arrays, rng=jax.random.key(rng_seed), training=training)
    return np.asarray(outs[0]), {k: np.asarray(v) for k, v in new_state.items()}, b.graph


def keras_twin(keras, class_name, kwargs, inputs, weights):
    """The Keras layer ``class_name(**kwargs)``, built on ``inputs`` and holding ``weights``.

    Weights are overwritten, so random initializers are replaced by "zeros"
    (Keras's first random draw costs seconds of compilation).
    """
    cls = getattr(keras.layers, class_name)
    if weights and "kernel_initializer" in inspect.signature(cls.__init__).parameters:
        kwargs = {"kernel_initializer": "zeros", **kwargs}
    layer = cls(**kwargs)
    layer(inputs if isinstance(inputs, (list, tuple)) else inputs)
    if weights:
        layer.set_weights(weights)
    return layer


def check_against_keras(keras, ours, class_name, kwargs, inputs, training=False, rtol=1e-5, atol=1e-5):
    """Build ``ours`` on ``inputs``, copy its weights into the Keras twin, compare forward passes.

    Checks weight names, shapes and order, the traced and the eager outputs.
    Returns (our output, keras layer).
    """
    ours(inputs if isinstance(inputs, (list, tuple)) else inputs)          # eager call builds the layer
    weights = ours.get_weights()
    twin = keras_twin(keras, class_name, kwargs, inputs, weights)
    assert [w.name for w in ours.weights] == [w.name for w in twin.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in twin.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in twin.weights]
    expected = np.asarray(twin(inputs, training=training))
    traced, _, _ = run_traced(ours, inputs, training=training)
    np.testing.assert_allclose(traced, expected, rtol=rtol, atol=atol)
    if not training:
        eager = np.asarray(ours(inputs))
        np.testing.assert_allclose(eager, expected, rtol=rtol, atol=atol)
    return traced, twin


def rand(*shape, seed=0, dtype="float32"):
    """Standard-normal test data of ``shape``."""
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)
