"""``Optimizer``: Keras 3 optimizers as pure ``init`` / ``update`` functions over pytrees of arrays.

The object holds only hyperparameters (and the settable learning rate); all
state lives in the ``opt_state`` dict it returns, so ``update`` can run inside
``jax.jit`` and the saving code can write the state as a dict of arrays::

    opt_state = {
        "iterations": int32 scalar,             # steps taken so far
        "<slot>": {param_name: array, ...},     # one dict per slot, same structure as params
        "<global>": array,                      # e.g. Nadam's "u_product"
    }

One step does exactly what Keras 3's ``apply`` does (JAX backend, no EMA, no
gradient accumulation): clip the gradients (``clipnorm`` per tensor,
``global_clipnorm`` over all, or ``clipvalue``), apply decoupled weight decay
``p <- p - p * weight_decay * lr``, run the optimizer's ``update_step`` for
every parameter, then increment ``iterations``.
"""
from __future__ import annotations

import re
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ..naming import snake_case
from . import schedules
from .stateful import StatefulOptimizerMixin

__all__ = ["Optimizer", "clip_by_norm", "clip_by_global_norm", "global_norm"]

# Keras 3 arguments kxla does not implement; accepted only at their defaults so that
# Keras configs load.
_UNSUPPORTED_DEFAULTS = {"loss_scale_factor": None, "gradient_accumulation_steps": None}


def global_norm(tensors) -> jax.Array:
    """sqrt of the sum of squares of every element of every tensor."""
    return jnp.sqrt(jnp.sum(jnp.stack([jnp.sum(jnp.square(t)) for t in tensors])))


def clip_by_norm(values, clipnorm):
    """Keras's per-tensor clip: ``values * clipnorm / max(||values||_2, clipnorm)`` (NaN-safe at 0)."""
    l2sum = jnp.sum(jnp.square(values), keepdims=True)
    pred = l2sum > 0
    l2norm = jnp.where(pred, jnp.sqrt(jnp.where(pred, l2sum, jnp.ones_like(l2sum))), l2sum)
    return (values * clipnorm) / jnp.maximum(l2norm, clipnorm)


def clip_by_global_norm(tensors, clip_norm):
    """Scale every tensor by ``clip_norm / max(global_norm, clip_norm)``; NaN when the norm is not finite."""
    norm = global_norm(tensors)
    scale = clip_norm * jnp.minimum(1.0 / norm, 1.0 / clip_norm)
    scale = scale + (norm - norm)
    return [t * scale.astype(t.dtype) for t in tensors]


def _check_ema(use_ema, momentum, frequency):
    if not use_ema:
        return
    if momentum > 1 or momentum < 0:
        raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={momentum}")
    if frequency and (not isinstance(frequency, int) or frequency < 1):
        raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                         f"Received: ema_overwrite_frequency={frequency}")


def _path_name(path) -> str:
    parts = []
    for entry in path:
        key = getattr(entry, "key", None)
        if key is None:
            key = getattr(entry, "name", None)
        if key is None:
            key = getattr(entry, "idx", entry)
        parts.append(str(key))
    return "/".join(parts)


class Optimizer(StatefulOptimizerMixin):
    """Base class of kxla's optimizers.

    Subclasses set ``slot_names`` (per-parameter state, Keras's variable names),
    optionally override ``slot_initial_value``, ``init_globals`` / ``update_globals``
    (state shared by all parameters) and implement ``update_step``.

    Arguments:
        learning_rate: a float (settable later, e.g. by callbacks) or a
            ``LearningRateSchedule`` evaluated at ``opt_state["iterations"]``.
        weight_decay: decoupled weight decay factor, or None.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the optimizer's name (default: snake-cased class name).
    """

    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        for key, default in _UNSUPPORTED_DEFAULTS.items():
            if key in kwargs:
                value = kwargs.pop(key)
                if value != default:
                    raise ValueError(f"kxla optimizers do not support {key}={value!r}; leave it at {default!r}.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        _check_ema(use_ema, ema_momentum, ema_overwrite_frequency)
        self.use_ema, self.ema_momentum = bool(use_ema), ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.name = name or snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self._learning_rate = None
        self.learning_rate = learning_rate
        self._exclude_pattern = None

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The Python float learning rate, or the ``LearningRateSchedule``."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            return
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. If you need the learning "
                "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
                "argument.")
        if isinstance(value, bool) or callable(value):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of LearningRateSchedule. "
                f"Received instead: learning_rate={value!r}")
        try:
            self._learning_rate = float(np.asarray(value))
            self._sync_learning_rate()
        except (TypeError, ValueError):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of LearningRateSchedule. "
                f"Received instead: learning_rate={value!r}") from None

    def current_learning_rate(self, opt_state) -> jax.Array:
        """The float32 learning rate for the next step (the schedule at ``opt_state["iterations"]``).

        Arguments:
            opt_state: the state from ``init``/``update``.
        Returns:
            a float32 scalar (traceable when ``opt_state`` is traced).
        """
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return jnp.asarray(lr(opt_state["iterations"]), jnp.float32)
        return jnp.asarray(lr, jnp.float32)

    def step_rate_value(self):
        """The host value of a train step's learning-rate argument (0.0 for a schedule, read in the step)."""
        lr = self._learning_rate
        return 0.0 if isinstance(lr, schedules.LearningRateSchedule) else float(lr)

    def step_rate(self, opt_state, learning_rate):
        """The rate ``update`` takes inside a step from its argument: the schedule's value, else the argument."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self.current_learning_rate(opt_state)
        return learning_rate

    # ------------------------------------------------------------------ weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude parameters whose name contains any of ``var_names`` (regex search) from weight decay.

        ``var_list`` entries may be parameter names (strings) or objects with a ``name`` / ``path``.
        """
        names = list(var_names or [])
        for v in var_list or []:
            names.append(re.escape(v if isinstance(v, str) else getattr(v, "path", None) or v.name))
        self._exclude_pattern = re.compile("|".join(sorted(set(names)))) if names else None

    def _weight_decay_for(self, name: str, param):
        """The decoupled weight decay factor of one parameter (Muon: per kind of update)."""
        return self.weight_decay

    def _decayed(self, p, name: str, learning_rate):
        wd = self._weight_decay_for(name, p)
        if wd is None or not self._use_weight_decay(name):
            return p
        return p - p * jnp.asarray(wd, p.dtype) * jnp.asarray(learning_rate).astype(p.dtype)

    def _use_weight_decay(self, name: str) -> bool:
        return self._exclude_pattern is None or self._exclude_pattern.search(name) is None

    # ------------------------------------------------------------------ state
    def slot_initial_value(self, slot: str) -> float:
        """The constant a slot starts at (Keras: zeros, Adagrad's accumulator: 0.1)."""
        return 0.0

    def init_globals(self, params) -> dict:
        """State shared by all parameters (Nadam's ``u_product``); none by default."""
        return {}

    def update_globals(self, opt_state) -> dict:
        """New values of the shared state for this step, computed before the per-parameter updates."""
        return {}

    def init(self, params) -> dict:
        """Fresh optimizer state for ``params`` (a dict, or any pytree, of arrays).

        Returns:
            ``{"iterations": int32 0, <slot>: pytree like params, <global>: array}``.
        """
        state = {"iterations": jnp.zeros((), jnp.int32)}
        for slot in self.slot_names:
            value = self.slot_initial_value(slot)
            state[slot] = jax.tree_util.tree_map(lambda p, v=value: jnp.full(jnp.shape(p), v, jnp.result_type(p)),
                                                 params)
        if self.use_ema:                  # Keras's "average" variables: the weights' moving average
            state["average"] = jax.tree_util.tree_map(lambda p: jnp.zeros(jnp.shape(p), jnp.result_type(p)),
                                                      params)
        state.update(self.init_globals(params))
        return state

    # ------------------------------------------------------------------ the step
    def clip_gradients(self, grads: list) -> list:
        """Keras's clipping of a list of gradient arrays (at most one of the three options is set)."""
        if self.clipnorm and self.clipnorm > 0:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [jnp.clip(g, -v, v) for g in grads]
        return list(grads)

    def update_step(self, grad, param, slots: dict, lr, ctx: dict):
        """One parameter's update. Subclasses implement it.

        Arguments:
            grad: the clipped gradient, already cast to ``param.dtype``.
            param: the (weight-decayed) parameter.
            slots: ``{slot_name: array}`` for this parameter.
            lr: the learning rate cast to ``param.dtype``.
            ctx: ``{"iterations": int32 scalar, "name": the parameter's name}`` plus this step's
                updated globals.
        Returns:
            ``(new_param, {slot_name: new_array})``.
        """
        raise TypeError(f"Optimizer {type(self).__name__} must define update_step(grad, param, slots, lr, ctx)")

    def scale_loss(self, loss, opt_state=None):
        """The loss the gradients are taken of (Keras's ``scale_loss``; ``LossScaleOptimizer`` scales it)."""
        return loss

    def stateless_apply(self, optimizer_variables, grads, trainable_variables, learning_rate=None):
        """Keras 3's ``stateless_apply``: ``(new_trainable_variables, new_optimizer_variables)``.

        With lists (Keras's form, after ``build``): ``optimizer_variables`` ordered like
        ``self.variables``, ``grads`` and ``trainable_variables`` like the built variables; the
        learning rate is read from the list's ``learning_rate`` entry. With an ``opt_state`` dict
        (kxla's form) and dicts of params: ``update(grads, params, opt_state, learning_rate)``.
        """
        if isinstance(optimizer_variables, (list, tuple)):
            if learning_rate is not None:
                raise ValueError("stateless_apply with lists reads the learning rate from "
                                 "`optimizer_variables`; do not pass `learning_rate`")
            return self._stateless_apply_lists(optimizer_variables, grads, trainable_variables)
        return self.update(grads, trainable_variables, optimizer_variables, learning_rate)

    def update(self, grads, params, opt_state, learning_rate=None):
        """Apply one optimization step. Pure: safe under ``jax.jit`` (and donation).

        Arguments:
            grads: gradients, same structure as ``params``.
            params: current parameters.
            opt_state: state from ``init`` or a previous ``update``.
            learning_rate: the step's learning rate as a (traced) scalar; when None,
                ``current_learning_rate(opt_state)`` is used.
        Returns:
            ``(new_params, new_opt_state)``.
        """
        if learning_rate is None:
            learning_rate = self.current_learning_rate(opt_state)
        path_leaves, treedef = jax.tree_util.tree_flatten_with_path(params)
        names = [_path_name(path) for path, _ in path_leaves]
        p_leaves = [leaf for _, leaf in path_leaves]
        g_leaves = treedef.flatten_up_to(grads)
        slot_leaves = {s: treedef.flatten_up_to(opt_state[s]) for s in self.slot_names}

        g_leaves = self.clip_gradients(g_leaves)
        p_leaves = [self._decayed(p, n, learning_rate) for p, n in zip(p_leaves, names)]

        new_globals = self.update_globals(opt_state)
        ctx = {"iterations": opt_state["iterations"], **new_globals}
        new_p, new_slots = [], {s: [] for s in self.slot_names}
        for i, (g, p) in enumerate(zip(g_leaves, p_leaves)):
            lr = jnp.asarray(learning_rate).astype(p.dtype)
            slots = {s: slot_leaves[s][i] for s in self.slot_names}
            p2, s2 = self.update_step(jnp.asarray(g).astype(p.dtype), p, slots, lr, dict(ctx, name=names[i]))
            new_p.append(p2.astype(p.dtype))
            for s in self.slot_names:
                new_slots[s].append(s2[s].astype(slots[s].dtype))

        new_state = dict(opt_state)
        if self.use_ema:
            new_p, new_state["average"] = self._ema(new_p, treedef.flatten_up_to(opt_state["average"]),
                                                    opt_state["iterations"], treedef)
        new_state.update(new_globals)
        for s in self.slot_names:
            new_state[s] = jax.tree_util.tree_unflatten(treedef, new_slots[s])
        new_state["iterations"] = opt_state["iterations"] + 1
        return jax.tree_util.tree_unflatten(treedef, new_p), new_state

    def _ema(self, new_p: list, averages: list, iterations, treedef):
        """Keras's moving average of the updated weights (momentum 0 on the first step), and every
        ``ema_overwrite_frequency`` steps the weights overwritten with it."""
        new_avg = []
        for p, a in zip(new_p, averages):
            momentum = (iterations != 0).astype(p.dtype) * self.ema_momentum
            new_avg.append(momentum * a + (1 - momentum) * p)
        if self.ema_overwrite_frequency:
            overwrite = (iterations + 1) % self.ema_overwrite_frequency == 0
            new_p = [jnp.where(overwrite, a, p) for a, p in zip(new_avg, new_p)]
        return new_p, jax.tree_util.tree_unflatten(treedef, new_avg)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        """Keras-compatible config (learning rate as a float or a serialized schedule)."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        config = {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue}
        if getattr(self, "use_ema", False):
            config.update(use_ema=True, ema_momentum=self.ema_momentum,
                          ema_overwrite_frequency=self.ema_overwrite_frequency)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        """Rebuild an optimizer from ``get_config()`` output (Keras 3 configs too)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name} learning_rate={self._learning_rate!r}>"
