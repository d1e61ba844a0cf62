"""FeatureSpace's symbolic ends: raw ``Input``\\ s and the encoded features, joined by one host-callback node.

When every feature is numeric, ``get_inputs()`` are ``kxla.Input`` tensors
(``(None, 1)``, the feature's dtype) and ``get_encoded_features()`` is the
output of one ``jax_call`` node over them whose function runs the
FeatureSpace on the host (``jax.pure_callback``: lookups, hashes and crosses
in numpy, inside the compiled step). The encoded tensors are also model
inputs, so both of Keras's models work: ``Model(encoded, y)`` (fed
``fs(raw)``) and ``Model(fs.get_inputs(), y)`` (fed the raw features, as
Keras's JAX backend runs it, un-jitted). With a string feature there is no
raw graph input (XLA has no strings): the raw inputs are ``RawInput``
descriptions and the encoded features plain Inputs.
"""
from __future__ import annotations

import numpy as np

from ..core.input_layer import Input, InputLayer
from .feature_space_data import RawInput

_GRAPH_DTYPE = {"int64": "int32"}        # the graph's integers are 32-bit (jax without x64), as Keras on JAX


def raw_inputs(features):
    """``{name: Input or RawInput}`` for ``features`` (``{name: Feature}``)."""
    if any(f.dtype == "string" for f in features.values()):
        return {name: RawInput(name, f.dtype) for name, f in features.items()}
    return {name: Input(shape=(1,), dtype=f.dtype, name=name) for name, f in features.items()}


def _as_input(tensor, name):
    """Let the computed ``tensor`` also start a model (``Model(inputs=tensor, ...)``) as an Input."""
    layer = InputLayer(batch_shape=tuple(tensor.shape), dtype=tensor.dtype, name=name)
    layer.output = tensor
    tensor._input_layer = layer
    return tensor


def encoded_features(fs, specs):
    """The encoded features of ``fs`` (``specs``: ``{name: (dtype, width)}`` in output order)."""
    specs = {k: (_GRAPH_DTYPE.get(d, d), w) for k, (d, w) in specs.items()}
    if isinstance(next(iter(fs.inputs.values())), RawInput):
        if fs.output_mode == "concat":
            return Input(shape=(sum(w for _, w in specs.values()),), dtype="float32", name=f"{fs.name}_encoded")
        return {key: Input(shape=(w,), dtype=d, name=key) for key, (d, w) in specs.items()}
    outs = _host_node(fs, specs)
    if fs.output_mode == "concat":
        return _as_input(outs[0], f"{fs.name}_encoded")
    return {key: _as_input(t, key) for key, t in zip(specs, outs)}


def _digest(fs):
    """A hash of ``fs``'s config and adapted state: the node's function key, so a saved model's node binds
    (in a later process) only to a FeatureSpace adapted the same way, never silently to another one."""
    import hashlib
    import json
    from .feature_space_io import _stateful
    h = hashlib.sha256(json.dumps(fs.get_config(), sort_keys=True, default=str).encode())
    for layer in fs.preprocessors.values():
        state = _stateful(layer)
        if state is not None:
            h.update(repr(state[1] if state[0] == "vocab" else [np.asarray(v).tobytes() for v in state[1]]).encode())
    return h.hexdigest()[:16]


def _host_node(fs, specs):
    import jax
    from ...ops.jax_call import jax_call
    names = list(fs.inputs)
    if fs.output_mode == "concat":
        out_specs = [("float32", sum(w for _, w in specs.values()))]
    else:
        out_specs = list(specs.values())

    def host(*arrays):
        result = fs({n: np.asarray(a) for n, a in zip(names, arrays)})
        values = [result] if fs.output_mode == "concat" else [result[k] for k in specs]
        return tuple(np.asarray(v).astype(d) for v, (d, _) in zip(values, out_specs))

    def encode(*xs):
        batch = xs[0].shape[0]
        shapes = tuple(jax.ShapeDtypeStruct((batch, w), d) for d, w in out_specs)
        return jax.pure_callback(host, shapes, *xs)

    out = jax_call(encode, *[fs.inputs[n] for n in names], name=f"kxla.FeatureSpace.{fs.name}.{_digest(fs)}")
    return list(out) if isinstance(out, (list, tuple)) else [out]
