"""Keras 3's stateful optimizer API on top of the pure ``init`` / ``update`` functions.

``build(variables)`` creates the optimizer's ``Variable``s in Keras 3's order
(``iteration``, ``learning_rate`` when it is a float, then each slot group
interleaved per model variable — Adam: ``m0, v0, m1, v1, ...`` — then the
shared state such as Nadam's ``u_product``), so that ``optimizer.variables``
lines up one-to-one with Keras's list and ``stateless_apply`` takes and returns
plain lists as in Keras's custom-step guides::

    optimizer.build(model.trainable_variables)
    opt_vars = [v.value for v in optimizer.variables]
    params, opt_vars = optimizer.stateless_apply(opt_vars, grads, params)

``apply`` / ``apply_gradients`` run the same update through one cached
``jax.jit`` per optimizer and write the results back into the Variables
(applying each variable's ``constraint`` afterwards, as Keras does).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ..ops.tracing import Variable
from . import schedules


def _ref_name(var) -> str:
    path = getattr(var, "path", None)
    if path:
        return path.replace("/", "_")
    return str(getattr(var, "name", "var")).replace("/", "_").replace(":", "_")


class StatefulOptimizerMixin:
    """``build``, ``variables``, ``iterations``, ``apply``, ``apply_gradients`` and list-based
    ``stateless_apply``: mixed into ``Optimizer``."""

    built = False

    @property
    def slot_groups(self) -> tuple:
        """Slot names grouped as Keras creates them (each group interleaved per variable)."""
        return (tuple(self.slot_names),) if self.slot_names else ()

    def _layout_groups(self) -> tuple:
        """``slot_groups`` after the EMA ``average`` variables (Keras's base ``build`` makes them first)."""
        return ((("average",),) if getattr(self, "use_ema", False) else ()) + tuple(self.slot_groups)

    def _state_slots(self) -> tuple:
        return (("average",) if getattr(self, "use_ema", False) else ()) + tuple(self.slot_names)

    # ------------------------------------------------------------------ build
    def build(self, variables):
        """Create the optimizer variables for ``variables`` (Keras 3's ``Optimizer.build``)."""
        if self.built:
            return
        variables = list(variables)
        self._trainable_variables = variables
        self._var_index = {id(v): i for i, v in enumerate(variables)}
        state = self.init([jnp.asarray(_array(v)) for v in variables])
        layout, made = [("iterations", None, None)], []
        made.append(self._new_var(state["iterations"], "iteration"))
        if not isinstance(self._learning_rate, schedules.LearningRateSchedule):
            layout.append(("learning_rate", None, None))
            made.append(self._new_var(np.float32(self._learning_rate), "learning_rate"))
        for group in self._layout_groups():
            for i, ref in enumerate(variables):
                for slot in group:
                    layout.append(("slot", slot, i))
                    made.append(self._new_var(state[slot][i], f"{_ref_name(ref)}_{slot}"))
        for key in sorted(k for k in state if k != "iterations" and k not in self._state_slots()):
            layout.append(("global", key, None))
            made.append(self._new_var(state[key], key))
        self._layout, self._variables = layout, made
        if getattr(self, "use_ema", False):
            self._model_variables_moving_average = [v for v, (kind, key, _) in zip(made, layout)
                                                    if kind == "slot" and key == "average"]
        self._jitted_apply = None
        self.built = True

    def _new_var(self, value, name) -> Variable:
        return Variable(np.asarray(value), name=name, path=f"{self.name}/{name}", kind="state",
                        trainable=False, initializer_name="zeros")

    @property
    def variables(self) -> list:
        """The optimizer's Variables in Keras 3's order (empty before ``build``)."""
        return list(getattr(self, "_variables", []))

    @property
    def iterations(self):
        """The ``iteration`` Variable (int32 steps taken); 0 before ``build``."""
        if not self.built:
            self._iterations_unbuilt = getattr(self, "_iterations_unbuilt", None) or Variable(
                np.zeros((), np.int32), name="iteration", path=f"{self.name}/iteration", kind="state")
            return self._iterations_unbuilt
        return self._variables[0]

    def _sync_learning_rate(self):
        if self.built and len(self._layout) > 1 and self._layout[1][0] == "learning_rate":
            self._variables[1].assign(np.float32(self._learning_rate))

    # ------------------------------------------------------------------ list <-> state dict
    def state_from_list(self, values: list) -> tuple[dict, object]:
        """``(opt_state, learning_rate)`` from values ordered like ``variables`` (params as a list)."""
        self._check_built("stateless_apply")
        if len(values) != len(self._layout):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                f"{type(self).__name__}().variables. Received list with length {len(values)}, but "
                f"expected {len(self._layout)} variables.")
        n = len(self._trainable_variables)
        state, lr = {s: [None] * n for s in self._state_slots()}, None
        for (kind, key, i), value in zip(self._layout, values):
            if kind == "iterations":
                state["iterations"] = value
            elif kind == "learning_rate":
                lr = value
            elif kind == "slot":
                state[key][i] = value
            else:
                state[key] = value
        return state, lr

    def list_from_state(self, state: dict, learning_rate=None) -> list:
        """Values ordered like ``variables`` from an ``opt_state`` whose slots are lists."""
        out = []
        for kind, key, i in self._layout:
            if kind == "iterations":
                out.append(state["iterations"])
            elif kind == "learning_rate":
                out.append(jnp.asarray(self._learning_rate if learning_rate is None else learning_rate,
                                       jnp.float32))
            elif kind == "slot":
                out.append(state[key][i])
            else:
                out.append(state[key])
        return out

    def variable_values(self, opt_state: dict, names: list, learning_rate=None) -> list:
        """``variables``-ordered values of a state whose slots are keyed by variable IR name (``names``:
        those of the built variables, in order)."""
        state = {k: ([v[n] for n in names] if isinstance(v, dict) else v) for k, v in opt_state.items()}
        return self.list_from_state(state, learning_rate)

    def state_from_values(self, values: list, names: list, like: dict) -> dict:
        """Inverse of ``variable_values``, shaped like the state ``like`` (the learning-rate entry is dropped)."""
        state, _ = self.state_from_list(list(values))
        return {k: (dict(zip(names, state[k])) if isinstance(like.get(k), dict) else state[k]) for k in like}

    def _check_built(self, what):
        if not self.built:
            raise ValueError(f"To call `{what}`, {type(self).__name__} must be built (i.e. its variables "
                             "must have been created). You can build it via "
                             "`optimizer.build(trainable_variables)`.")

    def _stateless_apply_lists(self, optimizer_variables, grads, trainable_variables):
        self._check_built("stateless_apply")
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to the "
                f"trainable variables list that the optimizer was built with. Received "
                f"len(trainable_variables) == {len(trainable_variables)} whereas the optimizer was built "
                f"with {len(self._trainable_variables)} variables.")
        state, lr = self.state_from_list(list(optimizer_variables))
        params = [jnp.asarray(_array(p)) for p in trainable_variables]
        grads = [jnp.zeros_like(p) if g is None else jnp.asarray(_array(g)) for g, p in zip(grads, params)]
        if lr is None:
            lr = self.current_learning_rate(state)
        new_params, new_state = self.update(grads, params, state, jnp.asarray(lr, jnp.float32))
        return list(new_params), self.list_from_state(new_state, lr)

    # ------------------------------------------------------------------ stateful apply
    def finalize_variable_values(self, var_list):
        """With ``use_ema``, the weights take their moving average (Keras calls this at the end of fit)."""
        if getattr(self, "use_ema", False) and self.built:
            for var, average in zip(self._trainable_variables, self._model_variables_moving_average):
                var.assign(np.asarray(average.numpy()))

    def apply_gradients(self, grads_and_vars):
        """``apply`` for a list of ``(gradient, variable)`` pairs; returns ``iterations``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Update the Variables in place (Keras 3's ``Optimizer.apply``)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be "
                                 "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                                 "first.")
            if len(grads) != len(self._trainable_variables):
                raise ValueError(f"When passing `grads` as a list of gradient tensors, the gradients must "
                                 f"match the {len(self._trainable_variables)} variables the optimizer was "
                                 f"built with. Received a list of {len(grads)} gradients.")
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            self.build(variables)
            unknown = [v for v in variables if id(v) not in self._var_index]
            if unknown:
                raise ValueError(f"Unknown variable: {unknown[0]}. This optimizer can only be called for "
                                 "the variables it was originally built with. When working with a new set "
                                 "of variables, you should recreate a new optimizer instance.")
        self._apply_to(grads, variables)

    def _apply_to(self, grads, variables):
        values = [_array(v) for v in self._trainable_variables]
        full = [None] * len(values)
        for g, v in zip(grads, variables):
            full[self._var_index[id(v)]] = g
        full = [jnp.zeros_like(jnp.asarray(p)) if g is None else jnp.asarray(_array(g))
                for g, p in zip(full, values)]
        touched = {self._var_index[id(v)] for v, g in zip(variables, grads) if g is not None}
        if self._jitted_apply is None:
            self._jitted_apply = jax.jit(self._stateless_apply_lists)
        new_params, new_opt = self._jitted_apply([v.value for v in self._variables], full, values)
        for i, var in enumerate(self._trainable_variables):
            if i in touched:
                value = new_params[i]
                constraint = getattr(var, "constraint", None)
                var.assign(constraint(value) if constraint is not None else value)
        for var, (kind, _, i), value in zip(self._variables, self._layout, new_opt):
            if kind != "slot" or i in touched:          # slots of variables without a gradient stay
                var.assign(value)


def _array(x):
    return x.value if isinstance(x, Variable) else x
