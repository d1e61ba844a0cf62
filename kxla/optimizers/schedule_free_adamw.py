"""``ScheduleFreeAdamW`` (Defazio et al. 2024) as Keras 3 implements it: no learning-rate schedule needed.

Slots ``momentum`` (the ``z`` sequence, starting as a copy of the parameter) and ``velocity``
(Adam's second moment); the parameter holds the interpolated ``y`` point, updated from the
averaged ``x`` sequence each step, with an optional linear warmup of the learning rate.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Keras 3's arguments and defaults (``learning_rate=0.0025``, ``warmup_steps=0`` ...)."""

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, warmup_steps

    def init(self, params) -> dict:
        state = super().init(params)
        state["momentum"] = jax.tree_util.tree_map(lambda p: jnp.array(p, copy=True), params)
        return state

    def update_step(self, grad, param, slots, lr, ctx):
        dtype = param.dtype
        t = (ctx["iterations"] + 1).astype(dtype)
        b1, b2 = jnp.asarray(self.beta_1, dtype), jnp.asarray(self.beta_2, dtype)
        if self.warmup_steps > 0:
            lr = lr * jnp.minimum(t / jnp.asarray(self.warmup_steps, dtype), 1.0)
        m_old = slots["momentum"]
        v = slots["velocity"] + (jnp.square(grad) - slots["velocity"]) * (1 - b2)
        denom = jnp.sqrt(v / (1 - jnp.power(b2, t))) + jnp.asarray(self.epsilon, dtype)
        m = m_old - (lr * grad) / denom
        w = 1.0 / t
        x_old = (param - (1 - b1) * m_old) / b1
        x_new = (1 - w) * x_old + w * m
        return (1 - b1) * m + b1 * x_new, {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}
