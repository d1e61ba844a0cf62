"""RMSprop — Keras 3's update rule."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer


class RMSprop(Optimizer):
    """RMSprop, optionally centered and with momentum.

    Keras 3 rule::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                     (centered)
        denom = v - a**2 + eps  if centered else  v + eps
        inc = lr * g / sqrt(denom)
        mom = momentum * mom + inc; p -= mom            (momentum > 0)
        p -= inc                                        (otherwise)

    Arguments:
        learning_rate: float or schedule (default 0.001).
        rho: 0.9.  momentum: 0.0.  epsilon: 1e-7.  centered: False.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.slot_names = (("velocity",) + (("momentum",) if momentum > 0 else ())
                           + (("average_gradient",) if centered else ()))

    @property
    def slot_groups(self):
        """Keras creates all velocities, then all momentums, then all average gradients."""
        return tuple((s,) for s in self.slot_names)

    def update_step(self, grad, param, slots, lr, ctx):
        rho = self.rho
        v = rho * slots["velocity"] + (1 - rho) * jnp.square(grad)
        new = {"velocity": v}
        if self.centered:
            avg = rho * slots["average_gradient"] + (1 - rho) * grad
            new["average_gradient"] = avg
            denominator = v - jnp.square(avg) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = (lr * grad) / jnp.sqrt(denominator)
        if self.momentum > 0:
            mom = self.momentum * slots["momentum"] + increment
            new["momentum"] = mom
            return param - mom, new
        return param - increment, new

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
