"""Adamax — Keras 3's update rule."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer


class Adamax(Optimizer):
    """Adamax (Adam with the infinity norm). With ``t = iterations + 1``::

        m += (g - m) * (1 - beta_1)
        u = max(beta_2 * u, |g|)
        p -= lr * m / ((1 - beta_1**t) * (u + epsilon))

    Arguments:
        learning_rate: float or schedule (default 0.001).
        beta_1: 0.9.  beta_2: 0.999.  epsilon: 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def update_step(self, grad, param, slots, lr, ctx):
        dtype = param.dtype
        t = (ctx["iterations"] + 1).astype(dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, dtype), t)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        u = jnp.maximum(self.beta_2 * slots["norm"], jnp.abs(grad))
        return param - (lr * m) / ((1 - beta_1_power) * (u + self.epsilon)), {"momentum": m, "norm": u}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
