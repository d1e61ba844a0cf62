"""Nadam — Keras 3's update rule (with its momentum-decay schedule ``u_t``)."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .base import Optimizer


class Nadam(Optimizer):
    """Adam with Nesterov momentum (Dozat), as Keras 3 computes it. With ``t = iterations + 1``::

        u_t       = beta_1 * (1 - 0.5 * 0.96**t)
        u_{t+1}   = beta_1 * (1 - 0.5 * 0.96**(t+1))
        u_product = u_product * u_t                     (shared by all parameters, starts at 1)
        m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2)
        m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        p -= m_hat * lr / (sqrt(v_hat) + epsilon)

    Arguments:
        learning_rate: float or schedule (default 0.001).
        beta_1: 0.9.  beta_2: 0.999.  epsilon: 1e-7.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def init_globals(self, params):
        leaves = jax.tree_util.tree_leaves(params)
        dtype = jnp.result_type(leaves[0]) if leaves else jnp.float32
        return {"u_product": jnp.ones((), dtype)}

    def update_globals(self, opt_state):
        u_product = opt_state["u_product"]
        dtype = u_product.dtype
        t = (opt_state["iterations"] + 1).astype(dtype)
        return {"u_product": u_product * self.beta_1 * (1.0 - 0.5 * jnp.power(jnp.asarray(0.96, dtype), t))}

    def update_step(self, grad, param, slots, lr, ctx):
        dtype = param.dtype
        local_step = (ctx["iterations"] + 1).astype(dtype)
        next_step = (ctx["iterations"] + 2).astype(dtype)
        decay = jnp.asarray(0.96, dtype)
        beta_1 = jnp.asarray(self.beta_1, dtype)
        beta_2 = jnp.asarray(self.beta_2, dtype)
        u_t = beta_1 * (1.0 - 0.5 * jnp.power(decay, local_step))
        u_t_1 = beta_1 * (1.0 - 0.5 * jnp.power(decay, next_step))
        u_product_t = ctx["u_product"].astype(dtype)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = jnp.power(beta_2, local_step)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - beta_1)
        v = slots["velocity"] + (jnp.square(grad) - slots["velocity"]) * (1 - beta_2)
        m_hat = (u_t_1 * m) / (1 - u_product_t_1) + ((1 - u_t) * grad) / (1 - u_product_t)
        v_hat = v / (1 - beta_2_power)
        return param - (m_hat * lr) / (jnp.sqrt(v_hat) + self.epsilon), {"momentum": m, "velocity": v}

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
