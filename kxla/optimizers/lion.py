"""Lion, Lamb and Ftrl — Keras 3's update rules on kxla's optimizer base."""
from __future__ import annotations

import jax.numpy as jnp

from .base import Optimizer



class Lion(Optimizer):
    """Lion (Chen et al. 2023): ``p -= lr * sign(beta_1 m + (1 - beta_1) g)``; ``m = beta_2 m + (1 - beta_2) g``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                             f"to SignSGD. Received: beta_1={beta_1}.")
        self.beta_1, self.beta_2 = beta_1, beta_2
        self.slot_names = ("momentum",)

    def update_step(self, grad, param, slots, lr, ctx):
        m = slots["momentum"]
        new_param = param - lr * jnp.sign(m * self.beta_1 + grad * (1.0 - self.beta_1))
        return new_param, {"momentum": m * self.beta_2 + grad * (1.0 - self.beta_2)}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Lamb(Optimizer):
    """LAMB: Adam's bias-corrected step scaled by the trust ratio ``||p|| / ||update||``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.slot_names = ("momentum", "velocity")

    def update_step(self, grad, param, slots, lr, ctx):
        t = (ctx["iterations"] + 1).astype(param.dtype)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.beta_1)
        v = slots["velocity"] + (jnp.square(grad) - slots["velocity"]) * (1 - self.beta_2)
        m_hat = m / (1.0 - jnp.power(jnp.asarray(self.beta_1, param.dtype), t))
        v_sqrt = jnp.sqrt(v / (1.0 - jnp.power(jnp.asarray(self.beta_2, param.dtype), t))) + self.epsilon
        update = m_hat / v_sqrt
        w_norm = jnp.sqrt(jnp.sum(jnp.square(param)))
        g_norm = jnp.sqrt(jnp.sum(jnp.square(update)))
        ratio = jnp.where(w_norm > 0, jnp.where(g_norm > 0, w_norm / g_norm, 1.0), 1.0)
        return param - ratio * lr * update, {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al. 2013) with Keras's L1 / L2 / L2-shrinkage options and ``beta``."""

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        for arg, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError(f"`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power, self.initial_accumulator_value = learning_rate_power, initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta
        self.slot_names = ("accumulator", "linear")

    def slot_initial_value(self, slot):
        return self.initial_accumulator_value if slot == "accumulator" else 0.0

    def update_step(self, grad, param, slots, lr, ctx):
        power = -self.learning_rate_power
        accum, linear = slots["accumulator"], slots["linear"]
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        grad_to_use = grad + 2 * self.l2_shrinkage_regularization_strength * param
        new_accum = accum + jnp.square(grad)
        linear = linear + grad_to_use - (jnp.power(new_accum, power) - jnp.power(accum, power)) / lr * param
        quadratic = jnp.power(new_accum, power) / lr + 2 * l2
        l1 = self.l1_regularization_strength
        new_param = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return new_param, {"accumulator": new_accum, "linear": linear}

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
