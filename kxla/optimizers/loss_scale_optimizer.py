"""``LossScaleOptimizer``: Keras 3's dynamic loss scaling around an inner optimizer, as a pure update.

The state is the inner optimizer's (``iterations``, its slots) plus ``step_counter`` and
``dynamic_scale``; ``optimizer.variables`` lists the wrapper's ``iteration`` (stays 0) and ``learning_rate`` (0),
``step_counter``, ``dynamic_scale`` and then the inner optimizer's variables, as Keras's. The train step multiplies the loss by ``scale_loss`` and
``update`` divides the gradients by the scale. A step whose gradients are not all finite leaves
the parameters and the inner state unchanged and halves the scale; after ``dynamic_growth_steps``
finite steps in a row the scale doubles (Keras's rule: the counter is reset on both events).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .base import Optimizer

# Keras's own variables of the wrapper: an ``iteration`` that stays 0 and a ``learning_rate`` of 0
# (its base class's), then the scale state
_OWN = ("lso_iteration", "lso_learning_rate", "step_counter", "dynamic_scale")
_OWN_NAMES = ("iteration", "learning_rate", "step_counter", "dynamic_scale")
_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                  "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                  "loss_scale_factor": None, "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling (Keras 3's arguments: ``inner_optimizer``, ``initial_scale``,
    ``dynamic_growth_steps``, ``name``)."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None,
                 **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError(f"inner_optimizer must be a kxla Optimizer, got {inner_optimizer!r}")
        self.inner_optimizer = inner_optimizer
        self.name = name or "loss_scale_optimizer"
        self.initial_scale, self.dynamic_growth_steps = float(initial_scale), int(dynamic_growth_steps)
        self.weight_decay = self.clipnorm = self.clipvalue = self.global_clipnorm = None
        self._exclude_pattern = None

    # the learning rate is the inner optimizer's
    @property
    def _learning_rate(self):
        return self.inner_optimizer._learning_rate

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def slot_names(self):
        return self.inner_optimizer.slot_names

    @property
    def use_ema(self):
        return getattr(self.inner_optimizer, "use_ema", False)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def current_learning_rate(self, opt_state):
        return self.inner_optimizer.current_learning_rate(opt_state)

    # -- pure state and update ------------------------------------------------------------------
    def init(self, params) -> dict:
        state = dict(self.inner_optimizer.init(params))
        state["lso_iteration"] = jnp.zeros((), jnp.int32)
        state["lso_learning_rate"] = jnp.zeros((), jnp.float32)
        state["step_counter"] = jnp.zeros((), jnp.int32)
        state["dynamic_scale"] = jnp.asarray(self.initial_scale, jnp.float32)
        return state

    def scale_loss(self, loss, opt_state=None):
        """``loss * scale``: the state's scale inside a step, else the built variable's (or the initial)."""
        if opt_state is not None:
            scale = opt_state["dynamic_scale"]
        elif self.built:
            scale = self._variables[3].value
        else:
            scale = self.initial_scale
        return loss * jnp.asarray(scale, jnp.result_type(loss))

    def update(self, grads, params, opt_state, learning_rate=None):
        scale = opt_state["dynamic_scale"]
        leaves = [g for g in jax.tree_util.tree_leaves(grads) if g is not None]
        finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in leaves])) if leaves else jnp.bool_(True)
        unscaled = jax.tree_util.tree_map(lambda g: g / scale.astype(jnp.result_type(g)), grads)
        inner = {k: v for k, v in opt_state.items() if k not in _OWN}
        own = {k: opt_state[k] for k in _OWN[:2] if k in opt_state}
        new_p, new_inner = self.inner_optimizer.update(unscaled, params, inner, learning_rate)
        keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, old)
        new_p, new_inner = keep(new_p, params), keep(new_inner, inner)
        counter = opt_state["step_counter"]
        grow = jnp.logical_and(finite, counter == self.dynamic_growth_steps - 1)
        new_inner.update(own)
        new_inner["step_counter"] = jnp.where(finite & ~grow, counter + 1, 0).astype(jnp.int32)
        new_inner["dynamic_scale"] = jnp.where(finite, jnp.where(grow, scale * 2.0, scale),
                                               scale * 0.5).astype(jnp.float32)
        return new_p, new_inner

    # -- Keras's stateful API: own variables first, then the inner optimizer's ---------------------
    def build(self, variables):
        if self.built:
            return
        inner = self.inner_optimizer
        if getattr(inner, "loss_scale_factor", None) is not None:     # Keras: the dynamic scale replaces it
            inner.loss_scale_factor = None
        inner.build(variables)
        own = [self._new_var(value, name) for value, name in
               zip((np.int32(0), np.float32(0.0), np.int32(0), np.float32(self.initial_scale)), _OWN_NAMES)]
        self._trainable_variables, self._var_index = inner._trainable_variables, inner._var_index
        inner_layout = [("nested", None, None)] * len(inner.variables) if getattr(inner, "nested_state", False) \
            else list(inner._layout)
        self._layout = [("global", key, None) for key in _OWN] + inner_layout
        self._variables = own + list(inner.variables)
        self._jitted_apply = None
        self.built = True

    # the inner optimizer lists (and views) its own part of the state: a MultiOptimizer's is nested
    @property
    def nested_state(self) -> bool:
        return getattr(self.inner_optimizer, "nested_state", False)

    def state_from_list(self, values: list):
        self._check_built("stateless_apply")
        if len(values) != len(self._variables):
            raise ValueError("Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                             f"LossScaleOptimizer().variables. Received list with length {len(values)}, but "
                             f"expected {len(self._variables)} variables.")
        state, lr = self.inner_optimizer.state_from_list(list(values[4:]))
        return {**state, **dict(zip(_OWN, values[:4]))}, lr

    def list_from_state(self, state: dict, learning_rate=None) -> list:
        inner = {k: v for k, v in state.items() if k not in _OWN}
        return [state[k] for k in _OWN] + self.inner_optimizer.list_from_state(inner, learning_rate)

    def variable_values(self, opt_state: dict, names: list, learning_rate=None) -> list:
        inner = {k: v for k, v in opt_state.items() if k not in _OWN}
        return [opt_state[k] for k in _OWN] + self.inner_optimizer.variable_values(inner, names, learning_rate)

    def state_from_values(self, values: list, names: list, like: dict) -> dict:
        inner = self.inner_optimizer.state_from_values(list(values[4:]), names,
                                                       {k: v for k, v in like.items() if k not in _OWN})
        return {**inner, **dict(zip(_OWN, values[:4]))}

    def bind_state_views(self, store, names: list, make_view) -> None:
        """The wrapper's own Variables view the store's scale state; the inner optimizer's view its part."""
        own = make_view(store, self, names)
        for var in self._variables[:4]:
            var._store = own
        inner = self.inner_optimizer
        if hasattr(inner, "bind_state_views"):
            inner.bind_state_views(store, names, make_view)
            return
        view = make_view(store, inner, names)
        for var in inner._variables:
            var._store = view

    def step_rate_value(self):
        return self.inner_optimizer.step_rate_value()

    def step_rate(self, opt_state, learning_rate):
        return self.inner_optimizer.step_rate(opt_state, learning_rate)

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def _sync_learning_rate(self):
        self.inner_optimizer._sync_learning_rate()

    def get_config(self) -> dict:
        from . import serialize
        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        from . import deserialize
        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)
