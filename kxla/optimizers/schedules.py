"""Learning-rate schedules with Keras 3 names, arguments and formulas.

A schedule maps the optimizer's ``iterations`` counter (an int32 scalar, traced
under ``jax.jit``) to a float32 learning rate. Every ``__call__`` is written with
``jax.numpy`` only, so the whole schedule is evaluated inside the jitted train
step; no Python branching on the step value.
"""
from __future__ import annotations

import math

import jax.numpy as jnp

from ..naming import resolve

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay",
    "PolynomialDecay", "InverseTimeDecay", "serialize", "deserialize", "get",
]


def _to_tensor(x):
    """Python floats become float32 (as in Keras), ints stay int32, arrays keep their dtype."""
    return jnp.asarray(x)


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step):
        raise TypeError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`.")

    def get_config(self) -> dict:
        raise TypeError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable.")

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored exponent if ``staircase``).

    Arguments:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps per decay period.
        decay_rate: multiplicative factor per period.
        staircase: decay in discrete intervals.
        name: kept for config compatibility.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def __call__(self, step):
        lr0 = _to_tensor(self.initial_learning_rate)
        dtype = lr0.dtype
        p = jnp.asarray(step).astype(dtype) / jnp.asarray(self.decay_steps, dtype)
        if self.staircase:
            p = jnp.floor(p)
        return lr0 * jnp.power(jnp.asarray(self.decay_rate, dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` on ``(boundaries[i-1], boundaries[i]]``,
    ``values[-1]`` after the last boundary.

    Arguments:
        boundaries: increasing step numbers (``len(values) - 1`` of them).
        values: the rate on each interval.
        name: kept for config compatibility.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                f"of length {len(values)}.")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        step = jnp.asarray(step)
        bounds = [jnp.asarray(b).astype(step.dtype) for b in self.boundaries]
        values = [_to_tensor(v) for v in self.values]
        dtype = values[0].dtype
        out = (step <= bounds[0]).astype(dtype) * values[0]
        out = out + (step > bounds[-1]).astype(dtype) * values[-1]
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
            out = out + ((step > low) & (step <= high)).astype(dtype) * value
        return out

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` (or ``warmup_target`` after a linear warmup) to
    ``alpha * rate`` over ``decay_steps``, constant afterwards.

    Arguments:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of decay steps.
        alpha: the floor, as a fraction of the decayed-from rate.
        name: kept for config compatibility.
        warmup_target: when set, warm up linearly to this rate over ``warmup_steps`` first.
        warmup_steps: length of the warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def _decay(self, step, decay_steps, decay_from_lr, dtype):
        completed = step / decay_steps
        cosine = 0.5 * (1.0 + jnp.cos(jnp.asarray(math.pi, dtype) * completed))
        return decay_from_lr * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        lr0 = _to_tensor(self.initial_learning_rate)
        dtype = lr0.dtype
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        step = jnp.asarray(step).astype(dtype)
        if self.warmup_target is None:
            return self._decay(jnp.minimum(step, decay_steps), decay_steps, lr0, dtype)
        target = jnp.asarray(self.warmup_target, dtype)
        warmup_steps = jnp.asarray(self.warmup_steps, dtype)
        step = jnp.minimum(step, decay_steps + warmup_steps)
        warm = (target - lr0) * (step / warmup_steps) + lr0
        decayed = self._decay(step - warmup_steps, decay_steps, target, dtype)
        return jnp.where(step < warmup_steps, warm, decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def __call__(self, step):
        lr0 = _to_tensor(self.initial_learning_rate)
        dtype = lr0.dtype
        end = jnp.asarray(self.end_learning_rate, dtype)
        step = jnp.asarray(step).astype(dtype)
        decay_steps = jnp.asarray(self.decay_steps, dtype)
        if self.cycle:
            mult = jnp.where(step == 0, 1.0, jnp.ceil(step / self.decay_steps))
            decay_steps = decay_steps * mult
        else:
            step = jnp.minimum(step, decay_steps)
        p = step / decay_steps
        return (lr0 - end) * jnp.power(1 - p, jnp.asarray(self.power, dtype)) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (floored if ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        if self.decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={self.decay_steps}")

    def __call__(self, step):
        lr0 = _to_tensor(self.initial_learning_rate)
        dtype = lr0.dtype
        p = jnp.asarray(step).astype(dtype) / jnp.asarray(self.decay_steps, dtype)
        if self.staircase:
            p = jnp.floor(p)
        return lr0 / (1 + jnp.asarray(self.decay_rate, dtype) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


ALL_SCHEDULES = {cls.__name__: cls for cls in (
    ExponentialDecay, PiecewiseConstantDecay, CosineDecay, PolynomialDecay, InverseTimeDecay)}


def serialize(schedule: LearningRateSchedule) -> dict:
    """``{"module", "class_name", "config", "registered_name"}``: the form Keras writes (an optimizer's
    config holds it as its ``learning_rate``, so a saved model's config loads in Keras and in kxla)."""
    from ..object_registration import registered_name
    cls = type(schedule)
    name = registered_name(cls)
    module = "keras.optimizers.schedules" if cls.__module__.startswith("kxla.") and name is None else cls.__module__
    return {"module": module, "class_name": cls.__name__, "config": schedule.get_config(), "registered_name": name}


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """Inverse of :func:`serialize`; also reads Keras 3's serialized schedules."""
    table = dict(ALL_SCHEDULES)
    table.update(custom_objects or {})
    cls = resolve("learning rate schedule", config["class_name"], table)
    return cls.from_config(dict(config.get("config", {})))


def get(identifier):
    """A schedule instance from an instance or a serialized dict."""
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret learning rate schedule identifier: {identifier!r}")


from .schedules_restarts import CosineDecayRestarts  # noqa: E402  (Keras 3's SGDR schedule)

ALL_SCHEDULES["CosineDecayRestarts"] = CosineDecayRestarts
