"""kxla.mixed_precision = keras.mixed_precision: the policy names (Policy = DTypePolicy


def __getattr__(name):
    if name == "LossScaleOptimizer":          # lazily: optimizers import jax
        from ..optimizers import LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module 'kxla.mixed_precision' has no attribute {name!r}")) and the global policy.

A mixed policy is applied by the ``mixed-precision`` IR pass when a model is
compiled (see ``kxla.config.DTypePolicy``); ``"mixed_float16"`` also turns on
dynamic loss scaling in the train step.
"""
from __future__ import annotations

from ..config import DTypePolicy, dtype_policy, set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy", "set_dtype_policy", "set_global_policy"]

Policy = DTypePolicy


def __getattr__(name):
    if name == "LossScaleOptimizer":          # lazily: optimizers import jax
        from ..optimizers import LossScaleOptimizer
        return LossScaleOptimizer
    raise AttributeError(f"module 'kxla.mixed_precision' has no attribute {name!r}")
global_policy = dtype_policy
set_global_policy = set_dtype_policy
