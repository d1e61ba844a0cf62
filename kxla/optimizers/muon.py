"""``Muon`` as Keras 3 implements it: Newton-Schulz-orthogonalised momentum for 2-D weights, AdamW for
the rest.

A variable takes the AdamW step when it is not 2-D, when ``exclude_embeddings`` and its path
contains "embedding", or when a regex of ``exclude_layers`` matches its path; every other
variable takes the Muon step (``m = momentum * m + g``, Nesterov, five quintic Newton-Schulz
iterations, the Moonlight ``rms_rate`` scaling). ``optimizer.variables`` holds a ``momentum`` for
every variable and a ``velocity`` only for the AdamW ones, in Keras's order; the pure state keeps
a (unused) velocity for every parameter so that one pytree serves all. Paths: a built optimizer
matches the Variables' paths (Keras's ``variable.path``), otherwise the parameter names.
"""
from __future__ import annotations

import re

import jax.numpy as jnp

from .base import Optimizer


class Muon(Optimizer):
    """Keras 3's arguments and defaults."""

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750,
                 muon_c=2.0315, adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps, self.nesterov = adam_lr_ratio, momentum, ns_steps, nesterov
        self.exclude_embeddings, self.exclude_layers = exclude_embeddings, list(exclude_layers or [])
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    # -- which update a variable takes ---------------------------------------------------------
    def _path(self, name: str) -> str:
        paths = getattr(self, "_paths", None)
        if paths is None and self.built:
            paths = self._paths = {}
            for i, v in enumerate(self._trainable_variables):
                path = getattr(v, "path", None) or getattr(v, "name", str(i))
                paths[str(i)] = path
                if getattr(v, "ir_name", None):
                    paths[v.ir_name] = path
        return (paths or {}).get(name, name.replace(".", "/"))

    def _uses_adamw(self, name: str, ndim: int) -> bool:
        if ndim != 2:
            return True
        path = self._path(name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def _weight_decay_for(self, name, param):
        return self.adam_weight_decay if self._uses_adamw(name, jnp.ndim(param)) else self.weight_decay

    # -- Keras's variables: a velocity only for the AdamW variables ------------------------------
    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self._paths = None
        keep = [kind != "slot" or key != "velocity" or
                self._uses_adamw(str(i), len(self._trainable_variables[i].shape))
                for kind, key, i in self._layout]
        self._layout = [e for e, k in zip(self._layout, keep) if k]
        self._variables = [v for v, k in zip(self._variables, keep) if k]

    def state_from_list(self, values):
        state, lr = super().state_from_list(values)
        state["velocity"] = [jnp.zeros(tuple(self._trainable_variables[i].shape), jnp.float32) if v is None else v
                             for i, v in enumerate(state["velocity"])]
        return state, lr

    # -- the step --------------------------------------------------------------------------------
    def update_step(self, grad, param, slots, lr, ctx):
        if self._uses_adamw(ctx["name"], param.ndim):
            return self._adamw_step(grad, param, slots, lr * self.adam_lr_ratio, ctx)
        m = slots["momentum"] + (grad + slots["momentum"] * (self.momentum - 1))
        g = grad + self.momentum * m if self.nesterov else m
        update = self.zeropower_via_newtonschulz5(g, self.ns_steps)
        return param - self.lr_adjust(lr * update), {"momentum": m, "velocity": slots["velocity"]}

    def _adamw_step(self, grad, param, slots, lr, ctx):
        t = (ctx["iterations"] + 1).astype(param.dtype)
        b1 = jnp.power(jnp.asarray(self.adam_beta_1, param.dtype), t)
        b2 = jnp.power(jnp.asarray(self.adam_beta_2, param.dtype), t)
        alpha = lr * jnp.sqrt(1 - b2) / (1 - b1)
        m = slots["momentum"] + (grad - slots["momentum"]) * (1 - self.adam_beta_1)
        v = slots["velocity"] + (jnp.square(grad) - slots["velocity"]) * (1 - self.adam_beta_2)
        return param - (m * alpha) / (jnp.sqrt(v) + self.epsilon), {"momentum": m, "velocity": v}

    def lr_adjust(self, x):
        """Moonlight's scaling: ``x * sqrt(max(rows, cols)) * rms_rate`` (``rms_rate=None``: unchanged)."""
        if self.rms_rate is None:
            return x
        return x * jnp.sqrt(jnp.float32(max(x.shape[0], x.shape[1]))) * self.rms_rate

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """Keras's quintic Newton-Schulz iteration towards the orthogonal factor of ``x``."""
        if x.ndim < 2:
            raise ValueError(f"Expected gradient or momentum to have at least 2 dimensions. Received: shape={x.shape}")
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = jnp.swapaxes(x, -1, -2)
        x = x / (jnp.sqrt(jnp.sum(jnp.square(x), axis=(-2, -1), keepdims=True)) + 1e-7)
        for _ in range(steps):
            temp_a = x @ jnp.swapaxes(x, -1, -2)
            temp_b = b * temp_a + c * temp_a @ temp_a
            x = a * x + temp_b @ x
        return jnp.swapaxes(x, -1, -2) if tall else x

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}
