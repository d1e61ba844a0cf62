"""``MultiOptimizer``: Keras 3's optimizer that hands each variable to the optimizer an ``OptimizerMap``
(or a function of the variable) chooses.

``build(variables)`` asks the map for every variable's optimizer and builds each
inner optimizer on its own variables (in the order they come). The state is
nested, one part per inner optimizer, keyed by its position::

    {"iterations": int32,                      # the MultiOptimizer's own step count
     "optimizers": {"0": <inner 0's state>,    # its slots keyed like its share of the params
                    "1": {"iterations": 0}}}   # an inner optimizer with no variable: never steps

``optimizer.variables`` is Keras's list: the MultiOptimizer's ``iteration`` and
``learning_rate`` (a constant 0), then every inner optimizer's variables in
turn (an unused one: its ``iteration`` and ``learning_rate`` only). Its learning
rate is not readable or settable (Keras's AttributeError): each inner optimizer
keeps its own, and a step's learning-rate argument is the vector of them.
``loss_scale_factor`` multiplies the loss in ``scale_loss`` and divides the
gradients before they reach the inner optimizers.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..ops.tracing import Variable
from . import schedules
from .base import Optimizer
from .optimizer_map import OptimizerMap, deserialize_entry, serialize_entry, without_inner_factor

__all__ = ["MultiOptimizer", "OptimizerMap"]


def _is_schedule(opt) -> bool:
    return isinstance(opt._learning_rate, schedules.LearningRateSchedule)


class MultiOptimizer(Optimizer):
    """Delegates each variable to an inner optimizer.

    Arguments:
        optimizer_map: an ``OptimizerMap``, or a callable ``f(variable) -> Optimizer``.
        loss_scale_factor: multiply the loss by this (gradients are divided by it), or None.
        name: default ``"multi_optimizer"``.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        self.name = name or "multi_optimizer"
        self.weight_decay = self.clipnorm = self.clipvalue = self.global_clipnorm = None
        self.ema_momentum, self.ema_overwrite_frequency = 0.99, None
        self._exclude_pattern = None
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        for opt in list(getattr(optimizer_map, "values", list)()) + [getattr(optimizer_map, "default_optimizer",
                                                                            None)]:
            if opt is not None and not any(opt is o for o in self._inner_optimizers):
                self._inner_optimizers.append(opt)
        self.loss_scale_factor = loss_scale_factor

    nested_state = True         # (saving lists the state through ``variable_values`` / ``state_from_values``)

    # ------------------------------------------------------------------ Keras's attributes
    @property
    def optimizers(self) -> list:
        """The inner optimizers: the map's, then its default, then any the map returned at ``build``."""
        return self._inner_optimizers

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on "
                             "the individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
                             "individual sub-optimizers instead.")

    @property
    def _learning_rate(self):
        """The inner optimizers' rates (a new tuple each time: the loop re-reads it every step)."""
        return tuple(opt._learning_rate for opt in self._inner_optimizers)

    @property
    def loss_scale_factor(self):
        return self._loss_scale_factor

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        if value is not None and (isinstance(value, bool) or not np.isfinite(float(value)) or float(value) <= 0):
            raise ValueError(f"loss_scale_factor must be a positive number or None. Received: {value!r}")
        self._loss_scale_factor = None if value is None else float(value)

    @property
    def use_ema(self) -> bool:
        """True when an inner optimizer keeps moving averages (``fit`` then finalizes them)."""
        return any(getattr(opt, "use_ema", False) for opt in self._inner_optimizers)

    # ------------------------------------------------------------------ build
    def build(self, variables):
        """Ask the map for every variable's optimizer and build each inner optimizer on its variables."""
        if self.built:
            return
        from .loss_scale_optimizer import LossScaleOptimizer
        variables = list(variables)
        if not callable(self._optimizer_map):
            raise TypeError("optimizer_map must be an OptimizerMap or a callable returning the optimizer of a "
                            f"variable. Received: {self._optimizer_map}")
        route = []
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
            if isinstance(opt, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(opt, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if not any(opt is o for o in self._inner_optimizers):
                self._inner_optimizers.append(opt)
            route.append(next(j for j, o in enumerate(self._inner_optimizers) if o is opt))
        members = [[i for i, r in enumerate(route) if r == j] for j in range(len(self._inner_optimizers))]
        for opt, idx in zip(self._inner_optimizers, members):
            if idx:
                self._build_inner(opt, [variables[i] for i in idx])
        self._trainable_variables, self._route, self._members = variables, route, members
        self._var_index = {id(v): i for i, v in enumerate(variables)}
        self._var_to_optimizer_idx = {id(v): j for v, j in zip(variables, route)}
        self._names = [getattr(v, "ir_name", None) for v in variables]
        self._name_route = {n: j for n, j in zip(self._names, route)}
        self._variables = [self._new_var(np.int32(0), "iteration"), self._new_var(np.float32(0.0), "learning_rate")]
        self._layout = [("iterations", None, None), ("learning_rate", None, None)]
        self._unused = {j: self._unused_variables(opt) for j, opt in enumerate(self._inner_optimizers)
                        if not members[j]}
        self._jitted_apply = None
        self.built = True

    @staticmethod
    def _build_inner(opt, variables):
        if opt.built and [id(v) for v in opt._trainable_variables] != [id(v) for v in variables]:
            raise ValueError(f"Optimizer {opt.name!r} is already built on other variables; a MultiOptimizer "
                             "builds each inner optimizer on the variables mapped to it. Use a new instance.")
        opt.build(variables)

    @staticmethod
    def _unused_variables(opt) -> list:
        """Keras's variables of an inner optimizer no variable maps to: ``iteration`` (and ``learning_rate``)."""
        out = [opt.iterations]
        if not _is_schedule(opt):
            rate = Variable(np.float32(opt._learning_rate), name="learning_rate", path=f"{opt.name}/learning_rate",
                            kind="state", trainable=False, initializer_name="zeros")
            rate._store = _RateStore(opt)
            out.append(rate)
        return out

    @property
    def variables(self) -> list:
        """Keras's order: own ``iteration`` and ``learning_rate``, then each inner optimizer's variables."""
        if not self.built:
            return []
        out = list(self._variables)
        for j, opt in enumerate(self._inner_optimizers):
            out += self._unused[j] if j in self._unused else opt.variables
        return out

    # ------------------------------------------------------------------ pure state and update
    def _split(self, tree) -> list:
        """``tree`` (a dict by variable IR name, or a list in build order) cut into one part per inner optimizer."""
        self._check_built("update")
        n = len(self._inner_optimizers)
        if isinstance(tree, dict):
            parts = [{} for _ in range(n)]
            for key, value in tree.items():
                if key not in self._name_route:
                    raise ValueError(f"Unknown variable {key!r}: this MultiOptimizer was built on "
                                     f"{[k for k in self._names]}. When working with a new set of variables, "
                                     "create a new optimizer instance.")
                parts[self._name_route[key]][key] = value
            return parts
        if isinstance(tree, (list, tuple)):
            if len(tree) != len(self._route):
                raise ValueError(f"Expected {len(self._route)} values (one per variable the MultiOptimizer was "
                                 f"built with), got {len(tree)}.")
            parts = [[] for _ in range(n)]
            for j, value in zip(self._route, tree):
                parts[j].append(value)
            return parts
        raise TypeError(f"MultiOptimizer takes params as a dict by variable name or a list, got {type(tree).__name__}")

    def _merge(self, parts: list, like):
        if isinstance(like, dict):
            merged = {}
            for part in parts:
                merged.update(part)
            return {k: merged[k] for k in like}
        out, taken = [None] * len(like), [iter(p) for p in parts]
        for i, j in enumerate(self._route):
            out[i] = next(taken[j])
        return out

    def init(self, params) -> dict:
        """``{"iterations": 0, "optimizers": {"<j>": inner j's init of its share of params}}`` (after build)."""
        parts = self._split(params)
        inner = {str(j): opt.init(part) if self._members[j] else {"iterations": jnp.zeros((), jnp.int32)}
                 for j, (opt, part) in enumerate(zip(self._inner_optimizers, parts))}
        return {"iterations": jnp.zeros((), jnp.int32), "optimizers": inner}

    def current_learning_rate(self, opt_state) -> jax.Array:
        """The float32 vector of the inner optimizers' learning rates for the next step."""
        rates = [opt.current_learning_rate(opt_state["optimizers"][str(j)])
                 for j, opt in enumerate(self._inner_optimizers)]
        return jnp.stack(rates) if rates else jnp.zeros((0,), jnp.float32)

    def step_rate_value(self):
        return tuple(0.0 if _is_schedule(opt) else float(opt._learning_rate) for opt in self._inner_optimizers)

    def step_rate(self, opt_state, learning_rate):
        return learning_rate

    def scale_loss(self, loss, opt_state=None):
        """``loss * loss_scale_factor`` (the loss as is without one)."""
        if self._loss_scale_factor is None:
            return loss
        return loss * jnp.asarray(self._loss_scale_factor, jnp.result_type(loss))

    def update(self, grads, params, opt_state, learning_rate=None):
        """One step of every inner optimizer that has variables, on its share; pure (jit-able).

        ``learning_rate``: the vector of inner rates (an inner optimizer with a schedule reads its own);
        None: each inner optimizer's current rate.
        """
        if self._loss_scale_factor is not None:
            factor = self._loss_scale_factor
            grads = jax.tree_util.tree_map(lambda g: g / jnp.asarray(factor, jnp.result_type(g)), grads)
        p_parts, g_parts = self._split(params), self._split(grads)
        new_parts, inner = list(p_parts), dict(opt_state["optimizers"])
        for j, opt in enumerate(self._inner_optimizers):
            if not self._members[j]:
                continue
            rate = None if learning_rate is None or _is_schedule(opt) else learning_rate[j]
            new_parts[j], inner[str(j)] = opt.update(g_parts[j], p_parts[j], inner[str(j)], rate)
        return self._merge(new_parts, params), {"iterations": opt_state["iterations"] + 1, "optimizers": inner}

    # ------------------------------------------------------------------ Keras-ordered lists
    def state_from_list(self, values: list):
        """``(opt_state, rates)`` from values ordered like ``variables`` (inner slots as lists)."""
        self._check_built("stateless_apply")
        n = len(self.variables)
        if len(values) != n:
            raise ValueError("Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                             f"MultiOptimizer().variables. Received list with length {len(values)}, but "
                             f"expected {n} variables.")
        k, inner, rates = 2, {}, []
        for j, opt in enumerate(self._inner_optimizers):
            if self._members[j]:
                size = len(opt.variables)
                state, rate = opt.state_from_list(list(values[k:k + size]))
            else:
                size = len(self._unused[j])
                state, rate = {"iterations": values[k]}, (values[k + 1] if size > 1 else None)
            inner[str(j)] = state
            rates.append(jnp.zeros((), jnp.float32) if rate is None else jnp.asarray(rate, jnp.float32))
            k += size
        rates = jnp.stack(rates) if rates else jnp.zeros((0,), jnp.float32)
        return {"iterations": values[0], "optimizers": inner}, rates

    def list_from_state(self, state: dict, learning_rate=None) -> list:
        """Values ordered like ``variables`` from an ``opt_state`` whose inner slots are lists."""
        out = [state["iterations"], jnp.zeros((), jnp.float32)]
        for j, opt in enumerate(self._inner_optimizers):
            inner = state["optimizers"][str(j)]
            rate = None if learning_rate is None or _is_schedule(opt) else learning_rate[j]
            if self._members[j]:
                out += opt.list_from_state(inner, rate)
                continue
            out.append(inner["iterations"])
            if not _is_schedule(opt):
                out.append(jnp.asarray(opt._learning_rate if rate is None else rate, jnp.float32))
        return out

    def _inner_names(self, j) -> list:
        return [self._names[i] for i in self._members[j]]

    def variable_values(self, opt_state: dict, names: list, learning_rate=None) -> list:
        """``variables``-ordered values of a state whose slots are keyed by variable IR name."""
        inner = {}
        for j in range(len(self._inner_optimizers)):
            own = self._inner_names(j)
            inner[str(j)] = {k: ([v[n] for n in own] if isinstance(v, dict) else v)
                             for k, v in opt_state["optimizers"][str(j)].items()}
        return self.list_from_state({"iterations": opt_state["iterations"], "optimizers": inner}, learning_rate)

    def state_from_values(self, values: list, names: list, like: dict) -> dict:
        """Inverse of ``variable_values``, shaped like the state ``like``."""
        state, _ = self.state_from_list(list(values))
        inner = {}
        for j in range(len(self._inner_optimizers)):
            own, got, ref = self._inner_names(j), state["optimizers"][str(j)], like["optimizers"][str(j)]
            inner[str(j)] = {k: (dict(zip(own, got[k])) if isinstance(ref.get(k), dict) else got[k]) for k in ref}
        return {"iterations": state["iterations"], "optimizers": inner}

    def bind_state_views(self, store, names: list, make_view) -> None:
        """Let the Variables of this optimizer and of each inner one view the model's state in ``store``."""
        self._variables[0]._store = make_view(store, self, names)      # own learning_rate: a constant 0
        for j, opt in enumerate(self._inner_optimizers):
            if self._members[j]:
                view = make_view(_PartStore(store, str(j)), opt, self._inner_names(j))
                for var in opt._variables:
                    var._store = view

    # ------------------------------------------------------------------ stateful apply
    def apply(self, grads, trainable_variables=None):
        """Each inner optimizer's ``apply`` on its variables, then ``iterations + 1`` (Keras's order)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built "
                                 "on a list of variables. Call `optimizer.build(trainable_variables)` first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise ValueError("Gradients must match trainable variables one-to-one. Received "
                             f"{len(grads)} gradients and {len(self._trainable_variables)} variables.")
        parts = [([], []) for _ in self._inner_optimizers]
        factor = self._loss_scale_factor
        for g, var in zip(grads, trainable_variables):
            if id(var) not in self._var_to_optimizer_idx:
                raise ValueError(f"Unknown variable: {var}. This optimizer can only be called for the variables "
                                 "it was originally built with.")
            part = parts[self._var_to_optimizer_idx[id(var)]]
            part[0].append(g if g is None or factor is None else jnp.asarray(g) / factor)
            part[1].append(var)
        for opt, (sub_grads, sub_vars) in zip(self._inner_optimizers, parts):
            if sub_grads:
                opt.apply(sub_grads, sub_vars)
        self.iterations.assign(np.int32(np.asarray(self.iterations.numpy()) + 1))

    def finalize_variable_values(self, var_list):
        """Each inner optimizer with ``use_ema`` gives its variables their moving averages."""
        if not self.built:
            return
        for j, opt in enumerate(self._inner_optimizers):
            if self._members[j]:
                opt.finalize_variable_values([self._trainable_variables[i] for i in self._members[j]])

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        return {"optimizer_map": serialize_entry(self._optimizer_map), "loss_scale_factor": self._loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "MultiOptimizer":
        config = dict(config)
        entry = without_inner_factor(config["optimizer_map"], config.get("loss_scale_factor"))
        config["optimizer_map"] = deserialize_entry(entry, custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<MultiOptimizer name={self.name} optimizers={[o.name for o in self._inner_optimizers]}>"


class _RateStore:
    """The ``learning_rate`` Variable of an inner optimizer no variable maps to: reads and sets its rate."""

    def __init__(self, optimizer):
        self.optimizer = optimizer

    def read(self, var):
        return np.float32(self.optimizer._learning_rate)

    def write(self, var, value):
        self.optimizer.learning_rate = float(np.asarray(value))


class _PartStore:
    """One inner optimizer's part of a model's optimizer state, shaped like the store its view expects."""

    def __init__(self, store, key: str):
        self._store, self._key = store, key

    @property
    def lock(self):
        return self._store.lock

    @property
    def optimizer(self):
        return self._store.optimizer["optimizers"][self._key]

    @optimizer.setter
    def optimizer(self, value):
        full = dict(self._store.optimizer)
        full["optimizers"] = {**full["optimizers"], self._key: value}
        self._store.optimizer = full

    @property
    def version(self):
        return self._store.version

    @version.setter
    def version(self, value):
        self._store.version = value
