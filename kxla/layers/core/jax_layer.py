"""JaxLayer and FlaxLayer (Keras 3): wrap a JAX function ``call_fn(params, state, inputs, rng, training)``.

``params`` / ``state`` pytrees (given, or made by ``init_fn(rng, inputs,
training)`` on ones of the input shape at build) become the layer's trainable /
non-trainable variables, in ``jax.tree_util`` leaf order and named
``variable``, ``variable_1``, ... as Keras names them. Traced, the call is one
``jax_call`` node whose inputs are the variables and the inputs; a returned
new state becomes state updates. ``call_fn`` may take any of ``params``,
``state``, ``rng``, ``inputs`` (required) and ``training``. In a traced call
``rng`` is drawn in the graph (kxla's keys, not Keras's draw); eagerly from
kxla's global generator. ``FlaxLayer`` needs the ``flax`` package, which
kxla does not install: it raises an ImportError naming it.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..layer import Layer

_CALL_ARGS = {"params", "state", "rng", "inputs", "training"}


def _signature(fn, name, allowed, required):
    params = inspect.signature(fn).parameters
    for arg in required:
        if arg not in params:
            raise ValueError(f"Missing required argument in `{name}`: `{arg}`")
    for arg in params:
        if arg not in allowed:
            raise ValueError(f"Unsupported argument in `{name}`: `{arg}`, supported arguments are "
                             f"`{'`, `'.join(sorted(allowed))}`")
    return list(params)


def _is_leaf_value(value):
    return isinstance(value, (np.ndarray, np.generic, bool, int, float)) or hasattr(value, "__jax_array__") or \
        type(value).__module__.startswith("jax")


class JaxLayer(Layer):
    """A Keras layer running a JAX function with its own parameters (``keras.layers.JaxLayer``)."""

    def __init__(self, call_fn, init_fn=None, params=None, state=None, seed=None,
                 native_serialization_platforms=None, **kwargs):
        super().__init__(**kwargs)
        self.call_fn, self.init_fn, self.seed = call_fn, init_fn, seed
        self.jax2tf_native_serialization_platforms = native_serialization_platforms
        self._count = 0
        self.params = self._variables(params, trainable=True)
        self.state = self._variables(state, trainable=False)
        self.call_fn_arguments = _signature(call_fn, "call_fn", _CALL_ARGS, {"inputs"})
        self.call_fn_has_params = "params" in self.call_fn_arguments
        self.call_fn_has_state = "state" in self.call_fn_arguments
        if init_fn is None and params is None and state is None and \
                (self.call_fn_has_params or self.call_fn_has_state):
            raise ValueError("`init_fn`, `params` and `state` cannot all be `None` when `call_fn` takes a "
                             "`params` or a `state` argument.")
        if init_fn is not None:
            self.init_fn_arguments = _signature(init_fn, "init_fn", {"rng", "inputs", "training"}, {"inputs"})
        if params is not None or state is not None:
            self.built = True

    def _variables(self, values, trainable):
        import jax

        def make(value):
            if not _is_leaf_value(value):
                return value                        # configuration left in the structure
            arr = np.asarray(value)
            dtype = None if arr.dtype.kind == "f" else arr.dtype
            name = "variable" if self._count == 0 else f"variable_{self._count}"
            self._count += 1
            return self.add_weight(shape=arr.shape, initializer=lambda shape, dtype=None, a=arr: a, dtype=dtype,
                                   trainable=trainable, name=name)
        return None if values is None else jax.tree_util.tree_map(make, values)

    def build(self, input_shape):
        if self.params is None and self.state is None and (self.call_fn_has_params or self.call_fn_has_state):
            import jax.numpy as jnp
            from ...seeding import next_key
            inputs = jnp.ones([1 if d is None else d for d in input_shape])
            args = {"rng": next_key(), "inputs": inputs, "training": True}
            result = self.init_fn(*[args[a] for a in self.init_fn_arguments])
            params, state = result if self.call_fn_has_state else (result, None)
            self.params = self._variables(params, trainable=True)
            self.state = self._variables(state, trainable=False)
        self.built = True

    def _leaves(self, tree):
        import jax
        from ...ops.tracing import Variable
        return [v for v in jax.tree_util.tree_leaves(tree) if isinstance(v, Variable)]

    def _run(self, flat, n_params, n_state, rng, training):
        """Rebuild params / state from ``flat`` arrays and call ``call_fn``."""
        import jax
        from ...ops.tracing import Variable

        def fill(tree, values):
            it = iter(values)
            return jax.tree_util.tree_map(lambda v: next(it) if isinstance(v, Variable) else v, tree)
        args = {"params": fill(self.params, flat[:n_params]),
                "state": fill(self.state, flat[n_params:n_params + n_state]),
                "inputs": flat[n_params + n_state], "rng": rng, "training": training}
        return self.call_fn(*[args[a] for a in self.call_fn_arguments])

    def call(self, inputs, training=False):
        import jax
        from ... import ops
        from ...ops.tracing import current_builder
        params, state = self._leaves(self.params), self._leaves(self.state)
        n_params, n_state, draws = len(params), len(state), "rng" in self.call_fn_arguments and training
        shape = {}

        def fn(*flat):
            rng = jax.random.wrap_key_data(flat[-1].astype("uint32")) if draws else None
            out = self._run(list(flat[:len(flat) - draws]), n_params, n_state, rng, training)
            preds, new_state = out if self.call_fn_has_state else (out, None)
            leaves, shape["tree"] = jax.tree_util.tree_flatten(preds)
            return tuple(leaves) + tuple(jax.tree_util.tree_leaves(new_state))
        extra = []
        if draws:
            from ...random import randint
            extra = [randint((2,), 0, 2 ** 31 - 1, dtype="int32")]
        if current_builder() is None:
            results = fn(*[p.value for p in params], *[s.value for s in state], inputs, *extra)
        else:
            results = ops.jax_call(fn, *params, *state, inputs, *extra, name=f"JaxLayer.{self.name}")
            results = results if isinstance(results, tuple) else (results,)
        n_pred = len(results) - (n_state if self.call_fn_has_state else 0)
        if self.call_fn_has_state:
            for var, value in zip(state, results[n_pred:]):
                var.assign(value)
        return jax.tree_util.tree_unflatten(shape["tree"], list(results[:n_pred]))

    def get_config(self):
        from .wrapper import serialize             # Keras's function entries (module, class_name "function")
        return {**super().get_config(), "call_fn": serialize(self.call_fn),
                "init_fn": None if self.init_fn is None else serialize(self.init_fn),
                "native_serialization_platforms": self.jax2tf_native_serialization_platforms}

    @classmethod
    def from_config(cls, config):
        from ...object_registration import get_registered_object
        config = dict(config)
        for key in ("call_fn", "init_fn"):
            entry = config.get(key)
            if isinstance(entry, dict):
                fn = get_registered_object(entry.get("registered_name") if entry.get("registered_name") not in
                                           (None, "function") else entry["config"])
                if fn is None:
                    raise ValueError(f"JaxLayer.from_config: function {entry['config']!r} is not registered; "
                                     "register it with kxla.saving.register_keras_serializable or pass it in "
                                     "custom_objects")
                config[key] = fn
        return cls(**config)


class FlaxLayer(JaxLayer):
    """A Flax ``nn.Module`` as a layer (``keras.layers.FlaxLayer``); needs the ``flax`` package."""

    def __init__(self, module, method=None, variables=None, **kwargs):
        try:
            import flax.linen  # noqa: F401
        except ImportError as e:
            raise ImportError("FlaxLayer needs the `flax` package, which is not installed "
                              "(pip install flax)") from e
        raise NotImplementedError("FlaxLayer: flax is installed, but kxla's FlaxLayer is not implemented; "
                                  "wrap module.apply in a kxla.layers.JaxLayer instead")
