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
        eager = np.asarray(ours(inputs, training=False))
        np.testing.assert_allclose(eager, expected, rtol=rtol, atol=atol)
    return traced, twin


def rand(*shape, seed=0, dtype="float32"):
    """Standard-normal test data of ``shape``."""
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# -- many layers through one check: outputs in both modes, config, masks ---------------------------------


VARIANCE_SCALING = ("VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                    "LecunNormal")


def _normalize_config(value):
    """Config values in a comparable form: tuples as lists, serialized objects as (class_name, config)."""
    if isinstance(value, dict):
        if value.get("class_name") in VARIANCE_SCALING:     # Keras 3.15 adds input/output axes (None)
            value = {**value, "config": {k: v for k, v in value["config"].items()
                                         if not (k in ("input_axes", "output_axes") and v is None)}}
        if "class_name" in value and "config" in value:
            return {"class_name": value["class_name"], "config": _normalize_config(value["config"])}
        return {k: _normalize_config(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize_config(v) for v in value]
    return value


def check_config(keras, ours, class_name, kwargs, twin=None, skip=("name", "dtype", "trainable")):
    """Our ``get_config`` has Keras's keys and values (``twin``'s, built like ours, if given);
    ``from_config`` round-trips it."""
    import kxla
    config = ours.get_config()
    twin = twin if twin is not None else getattr(keras.layers, class_name)(**kwargs)
    ref = dict(twin.get_config())
    if "kernel_initializer" in ref and "kernel_initializer" not in kwargs:      # keras_twin made it "zeros"
        ref["kernel_initializer"] = getattr(keras.layers, class_name)(**kwargs).get_config()["kernel_initializer"]
    keys = [k for k in ref if k not in skip]
    assert sorted(k for k in config if k not in skip) == sorted(keys), (class_name, sorted(config), sorted(ref))
    got = {k: _normalize_config(config[k]) for k in keys}
    want = {k: _normalize_config(ref[k]) for k in keys}
    assert got == want, (class_name, {k: (got[k], want[k]) for k in keys if got[k] != want[k]})
    assert type(ours).from_config(config).get_config() == config
    assert getattr(kxla.layers, class_name) is type(ours) or issubclass(type(ours), getattr(kxla.layers, class_name))


def run_traced_masked(layer, x, mask, training=False):
    """Trace ``layer`` on ``x`` carrying Keras mask ``mask``; returns (output, output mask or None)."""
    with Builder("t", training=training) as b:
        sym = b.input(TensorType((None,) + x.shape[1:], canonical_dtype(x.dtype)), "x")
        sym_mask = b.input(TensorType((None,) + mask.shape[1:], "bool"), "mask")
        sym._keras_mask = sym_mask
        out = layer(sym, training=training)
        out_mask = getattr(out, "_keras_mask", None)
        b.graph.outputs = [b.value_of(out)] + ([b.value_of(out_mask)] if out_mask is not None else [])
    b.graph.verify()
    variables = b.variables()
    params = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "param"}
    state = {v.ir_name: jnp.asarray(v.value) for v in variables if v.kind == "state"}
    outs, _ = lower(b.graph)(params, state, [x, mask], rng=jax.random.key(0), training=training)
    return np.asarray(outs[0]), (np.asarray(outs[1]) if len(outs) > 1 else None)


def check_layer(keras, class_name, kwargs, inputs, ours=None, training=(False,), mask=None,
                config=True, rtol=1e-5, atol=1e-5):
    """One layer against Keras 3: weights, outputs in each training mode, config round trip, mask.

    ``ours`` defaults to ``kxla.layers.<class_name>(**kwargs)``; ``training``
    lists the modes to compare (add True for layers that behave differently
    in training). ``mask``
    (a boolean ``(batch, steps)`` array) is attached to the input; the
    output and the propagated mask are compared with Keras's.
    """
    import kxla
    ours = ours if ours is not None else getattr(kxla.layers, class_name)(**kwargs)
    twin = None
    for mode in training:
        _, twin = check_against_keras(keras, ours, class_name, kwargs, inputs, training=mode, rtol=rtol, atol=atol)
    if config:
        check_config(keras, ours, class_name, kwargs, twin)
    if mask is not None:
        got, got_mask = run_traced_masked(ours, inputs, mask)
        kx = keras.ops.convert_to_tensor(inputs)
        takes_mask = "mask" in inspect.signature(twin.call).parameters
        expected = np.asarray(twin(kx, mask=keras.ops.convert_to_tensor(mask)) if takes_mask else twin(kx))
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
        expected_mask = twin.compute_mask(kx, keras.ops.convert_to_tensor(mask))
        if expected_mask is None:
            assert got_mask is None
        else:
            np.testing.assert_array_equal(got_mask, np.asarray(expected_mask))
    return ours, twin
