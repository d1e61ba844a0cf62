"""Adagrad — Keras 3's update rule."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer


class Adagrad(Optimizer):
    """Adagrad: ``acc += g**2; p -= lr * g / sqrt(acc + epsilon)``; ``acc`` starts at
    ``initial_accumulator_value``.

    Arguments:
        learning_rate: float or schedule (default 0.001).
        initial_accumulator_value: 0.1.  epsilon: 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def slot_initial_value(self, slot):
        return self.initial_accumulator_value

    def update_step(self, grad, param, slots, lr, ctx):
        acc = slots["accumulator"] + jnp.square(grad)
        return param - (lr * grad) / jnp.sqrt(acc + self.epsilon), {"accumulator": acc}

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
