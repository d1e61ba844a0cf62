"""kxla.optimizers — Keras 3 optimizers as pure, jit-able ``init`` / ``update`` functions.

    opt = kxla.optimizers.get("adam")
    state = opt.init(params)                                   # dict of arrays
    lr = opt.current_learning_rate(state)                      # float32 scalar
    params, state = opt.update(grads, params, state, lr)       # pure; use under jax.jit
"""
from __future__ import annotations

from ..naming import resolve
from . import legacy, schedules
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer, clip_by_global_norm, clip_by_norm, global_norm
from .nadam import Nadam
from .rmsprop import RMSprop
from .schedules import LearningRateSchedule
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
           "LearningRateSchedule", "schedules", "legacy", "get", "serialize", "deserialize",
           "clip_by_norm", "clip_by_global_norm", "global_norm"]

ALL_OPTIMIZERS = {cls.__name__.lower(): cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta,
                                                          Adamax, Nadam)}


def serialize(optimizer: Optimizer) -> dict:
    """``{"class_name": "Adam", "config": {...}}``."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Optimizer:
    """Inverse of :func:`serialize` (class names are case-insensitive, Keras 3 configs accepted)."""
    table = dict(ALL_OPTIMIZERS)
    table.update(custom_objects or {})
    cls = resolve("optimizer", config["class_name"], table)
    return cls.from_config(dict(config.get("config", {})), custom_objects)


def get(identifier) -> Optimizer | None:
    """An optimizer from a name (``"adam"``), a serialized dict, or an instance (returned as is).

    Raises:
        ValueError: unknown name (with a did-you-mean hint) or uninterpretable identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return resolve("optimizer", identifier, ALL_OPTIMIZERS)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")

# Keras 3's other optimizers (new files on the same base).
from .adafactor import Adafactor  # noqa: E402
from .lion import Ftrl, Lamb, Lion  # noqa: E402

ALL_OPTIMIZERS.update({cls.__name__.lower(): cls for cls in (Lion, Lamb, Ftrl, Adafactor)})
__all__ += ["Lion", "Lamb", "Ftrl", "Adafactor"]
from .loss_scale_optimizer import LossScaleOptimizer  # noqa: E402

ALL_OPTIMIZERS["lossscaleoptimizer"] = LossScaleOptimizer
__all__ += ["LossScaleOptimizer"]
from .muon import Muon  # noqa: E402
from .schedule_free_adamw import ScheduleFreeAdamW  # noqa: E402

ALL_OPTIMIZERS.update({"muon": Muon, "schedulefreeadamw": ScheduleFreeAdamW})
__all__ += ["Muon", "ScheduleFreeAdamW"]
from .multi_optimizer import MultiOptimizer, OptimizerMap  # noqa: E402

ALL_OPTIMIZERS["multioptimizer"] = MultiOptimizer
__all__ += ["MultiOptimizer", "OptimizerMap"]
