"""SGD with optional (Nesterov) momentum — Keras 3's update rule."""
from __future__ import annotations

from .base import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum.

    Keras 3 rule (``m`` starts at 0)::

        m = momentum * m - lr * g
        p = p + momentum * m - lr * g   if nesterov
        p = p + m                       otherwise
        p = p - lr * g                  when momentum == 0 (no slot is kept)

    Arguments:
        learning_rate: float or schedule (default 0.01).
        momentum: float in [0, 1] (default 0).
        nesterov: use Nesterov momentum.
        **kwargs: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, name=name, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = float(momentum)
        self.nesterov = nesterov
        self.slot_names = ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad, param, slots, lr, ctx):
        if self.momentum == 0:
            return param - grad * lr, {}
        m = slots["momentum"] * self.momentum - grad * lr
        if self.nesterov:
            return param + (m * self.momentum - grad * lr), {"momentum": m}
        return param + m, {"momentum": m}

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
