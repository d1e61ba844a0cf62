"""Adam — Keras 3's update rule."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba) with Keras 3's epsilon placement ("epsilon hat").

    With ``t = iterations + 1``::

        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m += (g - m) * (1 - beta_1)
        v += (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v); v = v_hat          (amsgrad only)
        p -= m * alpha / (sqrt(v) + epsilon)

    Arguments:
        learning_rate: float or schedule (default 0.001).
        beta_1, beta_2: moment decay rates (0.9, 0.999).
        epsilon: 1e-7.
        amsgrad: keep the running maximum of ``v``.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())

    @property
    def slot_groups(self):
        """Keras creates ``velocity_hat`` after the interleaved momentum/velocity pairs."""
        return (("momentum", "velocity"),) + ((("velocity_hat",),) if self.amsgrad else ())

    def update_step(self, grad, param, slots, lr, ctx):
        dtype = param.dtype
        t = (ctx["iterations"] + 1).astype(dtype)
        beta_1_power = jnp.power(jnp.asarray(self.beta_1, dtype), t)
        beta_2_power = jnp.power(jnp.asarray(self.beta_2, dtype), t)
        alpha = lr * jnp.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (jnp.square(grad) - slots["velocity"]) * (1 - self.beta_2)
        new = {"momentum": m, "velocity": v}
        if self.amsgrad:
            v = jnp.maximum(slots["velocity_hat"], v)
            new["velocity_hat"] = v
        return param - (m * alpha) / (jnp.sqrt(v) + self.epsilon), new

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
