"""A model's own ``train_step`` / ``test_step`` / ``predict_step``, wrapped as the builder's pure steps.

``overrides(model, name)`` says whether a model class overrides a step;
``train_step_fn`` adapts the override to the builder's step signature.
"""
from __future__ import annotations

from typing import NamedTuple


class TrainState(NamedTuple):
    """What a custom ``Model.train_step(state, data)`` receives and returns (dicts by IR name).

    ``params`` are trainable, ``frozen`` the non-trainable params, ``state`` the non-trainable
    state (BatchNorm statistics), ``optimizer`` / ``metrics`` their states; ``rng`` is this step's
    key and ``learning_rate`` the current rate (a traced scalar).
    """

    params: dict
    frozen: dict
    state: dict
    optimizer: dict
    metrics: dict
    rng: object
    learning_rate: object


def overrides(model, name: str) -> bool:
    """Whether ``type(model)`` overrides the step ``name`` of the built-in ``Trainer``."""
    from .trainer import Trainer
    mine = getattr(type(model), name, None)
    return mine is not None and mine is not getattr(Trainer, name, None)


def train_step_fn(model):
    """``one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls)`` calling ``model.train_step``."""
    traced = model._lowered(True).traced
    constraints = {v.ir_name: v.constraint for v in model._split(traced)[0] if v.constraint is not None}
    optimizer = model.optimizer
    schedule = not isinstance(optimizer.learning_rate, (int, float))

    def one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls):
        if ls is not None:
            raise ValueError("A custom train_step cannot be combined with the mixed_float16 policy's "
                             "loss scaling; use mixed_bfloat16 or float32")
        x = xs[0] if len(xs) == 1 else list(xs)
        y = ys[0] if len(ys) == 1 else list(ys)
        rate = optimizer.current_learning_rate(opt) if schedule else lr
        out = model.train_step(TrainState(p, fz, st, opt, ms, rng, rate), (x, y, sw * mask))
        new = out[1] if isinstance(out, tuple) and not isinstance(out, TrainState) else out
        if not isinstance(new, TrainState):
            raise TypeError(f"train_step must return (logs, TrainState) or a TrainState, got {type(new).__name__}")
        params = dict(new.params)
        for name, c in constraints.items():
            params[name] = c(params[name])
        return params, new.state, new.optimizer, new.metrics, None

    return one_step
