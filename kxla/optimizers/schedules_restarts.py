"""CosineDecayRestarts (SGDR, Loshchilov & Hutter 2017) — Keras 3's schedule, re-exported by ``schedules``."""
from __future__ import annotations

import math

import jax.numpy as jnp

from .schedules import LearningRateSchedule, _to_tensor


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts: periods of ``first_decay_steps * t_mul**i`` steps, the i-th restart's
    peak scaled by ``m_mul**i``, floor ``alpha * initial_learning_rate``."""

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul, self._m_mul, self.alpha, self.name = t_mul, m_mul, alpha, name
        if first_decay_steps <= 0:
            raise ValueError(f"Argument `first_decay_steps` must be > 0. Received: "
                             f"first_decay_steps={first_decay_steps}")

    def __call__(self, step):
        lr0 = _to_tensor(self.initial_learning_rate)
        dtype = lr0.dtype
        t_mul, m_mul = jnp.asarray(self._t_mul, dtype), jnp.asarray(self._m_mul, dtype)
        fraction = jnp.asarray(step).astype(dtype) / jnp.asarray(self.first_decay_steps, dtype)
        if self._t_mul == 1.0:
            restart = jnp.floor(fraction)
            fraction = fraction - restart
        else:
            restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
            done = (1.0 - jnp.power(t_mul, restart)) / (1.0 - t_mul)
            fraction = (fraction - done) / jnp.power(t_mul, restart)
        cosine = 0.5 * jnp.power(m_mul, restart) * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * fraction))
        return lr0 * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}
