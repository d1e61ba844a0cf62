"""Adafactor — Keras 3's update rule (factored second moments for rank >= 2 weights).

Slots: ``r`` (row means, ``shape[:-1]``) and ``c`` (column means,
``shape[:-2] + shape[-1:]``) for weights of rank >= 2 (scalars, unused, for
the others) and ``v`` (the second-moment estimate, the weight's shape).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from . import schedules
from .base import Optimizer


def _rms(x):
    return jnp.sqrt(jnp.mean(jnp.square(x)))


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern 2018) with Keras's ``relative_step`` learning-rate cap."""

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=0.001, clip_threshold=1.0,
                 relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step
        self.slot_names = ("r", "c", "v")

    def init(self, params):
        def factor(p, axis):
            p = jnp.asarray(p)
            if p.ndim < 2:
                return jnp.zeros((), p.dtype)
            shape = p.shape[:-1] if axis == -1 else p.shape[:-2] + p.shape[-1:]
            return jnp.zeros(shape, p.dtype)
        return {"iterations": jnp.zeros((), jnp.int32),
                "r": jax.tree_util.tree_map(lambda p: factor(p, -1), params),
                "c": jax.tree_util.tree_map(lambda p: factor(p, -2), params),
                "v": jax.tree_util.tree_map(lambda p: jnp.zeros(jnp.shape(p), jnp.result_type(p)), params)}

    def update_step(self, grad, param, slots, lr, ctx):
        t = (ctx["iterations"] + 1).astype(param.dtype)
        if self.relative_step and not isinstance(self._learning_rate, schedules.LearningRateSchedule):
            lr = jnp.minimum(lr, 1 / jnp.sqrt(t))
        rho = jnp.minimum(lr, 1 / jnp.sqrt(t))
        alpha = jnp.maximum(jnp.asarray(self.epsilon_2, param.dtype), _rms(param)) * rho
        g2 = jnp.square(grad) + self.epsilon_1
        beta = 1 - jnp.power(t, self.beta_2_decay)
        r, c = slots["r"], slots["c"]
        if param.ndim >= 2:
            r = beta * r + (1 - beta) * jnp.mean(g2, axis=-1)
            c = beta * c + (1 - beta) * jnp.mean(g2, axis=-2)
            v = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1) * jnp.expand_dims(c, -2)
        else:
            v = beta * slots["v"] + (1 - beta) * g2
        u = grad / jnp.sqrt(v)
        u = u / jnp.maximum(1.0, _rms(u) / self.clip_threshold)
        return param - alpha * u, {"r": r, "c": c, "v": v}

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
