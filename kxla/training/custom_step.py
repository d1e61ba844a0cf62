"""A model's own ``train_step`` / ``test_step`` / ``predict_step`` (Keras 3's JAX-backend contract).

As in Keras 3 on JAX, the override is a pure function of the state, traced
inside the jitted step:

* ``train_step(self, state, data) -> (logs, state)`` with ``state = (trainable_variables,
  non_trainable_variables, optimizer_variables, metrics_variables)``: lists of arrays ordered
  like ``model.trainable_variables``, ``model.non_trainable_variables``,
  ``optimizer.variables`` and the variables of ``model.metrics``;
* ``test_step(self, state, data) -> (logs, state)`` with ``state = (trainable_variables,
  non_trainable_variables, metrics_variables)``;
* ``predict_step(self, state, data) -> y_pred`` with ``state = (trainable_variables,
  non_trainable_variables)``.

``data`` is the batch as Keras passes it: ``(x, y)``, ``(x, y, sample_weight)`` when sample or
class weights were given, ``(x,)`` for predict. Batches are never padded for a custom step (a
ragged last batch compiles its own program). The adaptors below convert between these lists and
the builder's dicts by IR name, so the loop, the state store, interrupts and threads work the same.
The metric state of a custom step is ``(metrics_variables, logs)``: fit reports the step's logs.
"""
from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp
import numpy as np


def overrides(model, name: str) -> bool:
    """Whether ``type(model)`` overrides the step ``name`` of the built-in ``Trainer``."""
    from .trainer import Trainer
    mine = getattr(type(model), name, None)
    return mine is not None and mine is not getattr(Trainer, name, None)


class Layout:
    """Names (IR) of the model's trainable and non-trainable variables in Keras's list order."""

    def __init__(self, model):
        self.trainable = [v.ir_name for v in model.trainable_variables]
        self.non_trainable = [v.ir_name for v in model.non_trainable_variables]
        self.metrics = list(model.metrics)
        self.metric_vars = [v for m in self.metrics for v in m.variables]

    def lists(self, p, fz, st):
        both = {**p, **fz, **st}
        return [both[n] for n in self.trainable], [both[n] for n in self.non_trainable]

    def metric_values(self):
        return [jnp.asarray(v.value) for v in self.metric_vars]


def _batch(xs, ys, sw, weighted: bool):
    x = xs[0] if len(xs) == 1 else list(xs)
    if not ys:                       # no labels: Keras passes ``(x,)``
        return (x,)
    y = ys[0] if len(ys) == 1 else list(ys)
    return (x, y, sw) if weighted else (x, y)


def _check_pair(out, what: str, n: int):
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], (tuple, list)) and len(out[1]) == n):
        raise TypeError(f"{what} must return (logs, state) with state a tuple of {n} lists, as Keras 3's JAX "
                        f"backend does; got {type(out).__name__}")
    return out


def train_step_fn(model, weighted: bool):
    """``one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls)`` calling ``model.train_step``."""
    optimizer = model.optimizer
    optimizer.build(model.trainable_variables)
    layout = Layout(model)
    constraints = {v.ir_name: v.constraint for v in model.trainable_variables if v.constraint is not None}

    def one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls):
        if ls is not None:
            raise ValueError("A custom train_step cannot be combined with the mixed_float16 policy's "
                             "loss scaling; use mixed_bfloat16 or float32")
        tv, ntv = layout.lists(p, fz, st)
        ov = optimizer_list(optimizer, opt, layout.trainable, lr)
        given = list(ms[0])
        with model._step_rng_scope(rng), bound_metrics(layout, given) as written:
            logs, state = _check_pair(model.train_step((tv, ntv, ov, given), _batch(xs, ys, sw, weighted)),
                                      "train_step", 4)
        tv, ntv, ov, mv = state
        mv = _metric_values(mv, given, written)
        new_p = dict(zip(layout.trainable, tv))
        for name, c in constraints.items():
            new_p[name] = c(new_p[name])
        new_st = {n: v for n, v in zip(layout.non_trainable, ntv) if n in st}
        return new_p, new_st, optimizer_dict(optimizer, ov, layout.trainable, opt), (list(mv), logs), None

    return one_step


def test_step_fn(model, weighted: bool):
    """``step(p, st, ms, xs, ys, sw, mask) -> ms`` calling ``model.test_step``."""
    layout = Layout(model)

    def step(p, st, ms, xs, ys, sw, mask):
        tv, ntv = layout.lists(p, {}, st)
        given = list(ms[0])
        with bound_metrics(layout, given) as written:
            logs, state = _check_pair(model.test_step((tv, ntv, given), _batch(xs, ys, sw, weighted)),
                                      "test_step", 3)
        return _metric_values(state[2], given, written), logs

    return step


def predict_step_fn(model):
    """``step(p, st, xs) -> list of outputs`` calling ``model.predict_step``."""
    layout = Layout(model)

    def step(p, st, xs):
        tv, ntv = layout.lists(p, {}, st)
        return jax.tree_util.tree_leaves(model.predict_step((tv, ntv), _batch(xs, None, None, False)))

    return step


@contextlib.contextmanager
def bound_metrics(layout, values: list):
    """The metric objects' variables hold the step's ``metrics_variables`` while the user's step runs
    (so a stateful ``compute_metrics`` / ``update_state`` there is pure); yields the list their final
    values are written to."""
    saved = [v._value for v in layout.metric_vars]
    written: list = []
    try:
        for var, value in zip(layout.metric_vars, values):
            var._value = value
        yield written
        written.extend(v._value for v in layout.metric_vars)
    finally:
        for var, old in zip(layout.metric_vars, saved):
            var._value = old


def _metric_values(returned, given: list, written: list) -> list:
    """The step's returned ``metrics_variables``; when it returned the given ones unchanged, the values
    written through the metric objects (``compute_metrics``), as Keras's ``StatelessScope`` would."""
    returned = list(returned)
    if written and len(returned) == len(given) and all(a is b for a, b in zip(returned, given)):
        return written
    return returned


class LogsStep:
    """A jitted custom step whose metric state is ``(metrics_variables, logs)``.

    The logs' structure is only known once the user's step is traced, so the first call fills
    the initial logs with zeros of the right structure (``jax.eval_shape``: a trace, not a
    compilation): every call then passes the same pytree and one program serves them all.
    """

    def __init__(self, raw, jitted, ms_index: int):
        self.raw, self.jitted, self.ms_index, self.template = raw, jitted, ms_index, None

    def __call__(self, *args):
        ms = args[self.ms_index]
        if ms[1] is None:
            if self.template is None:
                shapes = jax.eval_shape(self.raw, *args)
                out_ms = shapes[3] if self.ms_index == 4 else shapes
                self.template = jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), out_ms[1])
            args = args[:self.ms_index] + ((ms[0], jax.tree_util.tree_map(jnp.asarray, self.template)),) + \
                args[self.ms_index + 1:]
        return self.jitted(*args)

    def lower(self, *args):
        return self.jitted.lower(*args)


def metric_fns(model, fallback):
    """``MetricFns`` for a custom step: init ``(metric variable values, None)``, result = the step's logs."""
    from .step_builder import MetricFns
    layout = Layout(model)

    def init():
        for m in layout.metrics:
            m.reset_state()
        return (layout.metric_values(), None)

    def result(ms):
        values, logs = ms
        for var, value in zip(layout.metric_vars, values):     # metric objects see the epoch's state
            var.assign(value)
        return _in_metrics_order(_flat_logs(jax.device_get(logs)), layout.metrics) if logs is not None else {}

    return MetricFns(init, result)


def _in_metrics_order(logs: dict, metrics: list) -> dict:
    """The step's logs in the order of ``model.metrics``, then the other keys sorted (Keras's order of
    ``evaluate``'s list; the jitted step hands its logs back with sorted keys)."""
    names = [getattr(m, "log_name", m.name) for m in metrics]
    ordered = {k: logs[k] for k in names if k in logs}
    ordered.update((k, logs[k]) for k in sorted(logs) if k not in ordered)
    return ordered


def _flat_logs(logs) -> dict:
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, dict):
            out.update(_flat_logs(v))
        else:
            out[k] = float(np.asarray(v)) if np.ndim(v) == 0 else np.asarray(v)
    return out


def optimizer_list(optimizer, opt: dict, names: list, lr) -> list:
    """The builder's optimizer state (slots keyed by IR name) as ``optimizer.variables``-ordered values
    (the learning-rate entry is the step's current rate)."""
    return optimizer.variable_values(opt, names, lr)


def optimizer_dict(optimizer, values: list, names: list, like: dict) -> dict:
    """Inverse of ``optimizer_list`` (the list's learning-rate entry is not state: it is dropped)."""
    return optimizer.state_from_values(values, names, like)
