"""Adadelta — Keras 3's update rule."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer


class Adadelta(Optimizer):
    """Adadelta, scaled by the learning rate as in Keras 3::

        Eg  = rho * Eg + (1 - rho) * g**2
        d   = -sqrt(Edx + eps) * g / sqrt(Eg + eps)
        Edx = rho * Edx + (1 - rho) * d**2
        p  += lr * d

    Arguments:
        learning_rate: float or schedule (default 0.001).
        rho: 0.95.  epsilon: 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    slot_names = ("accumulated_grad", "accumulated_delta_var")

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def update_step(self, grad, param, slots, lr, ctx):
        rho = self.rho

        def rms(x):
            return jnp.sqrt(x + self.epsilon)

        acc_grad = rho * slots["accumulated_grad"] + (1 - rho) * jnp.square(grad)
        delta = -((rms(slots["accumulated_delta_var"]) * grad) / rms(acc_grad))
        acc_delta = rho * slots["accumulated_delta_var"] + (1 - rho) * jnp.square(delta)
        return param + lr * delta, {"accumulated_grad": acc_grad, "accumulated_delta_var": acc_delta}

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
