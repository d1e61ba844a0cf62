"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: the model's IR, lowered once per mode and jitted.

Per model there is one jitted train step (forward, loss, ``value_and_grad``,
optimizer update, constraints, metric update) with params, state, optimizer
state and metric state donated; an eval step; a predict step. Python does no
per-layer work per step: it slices the next batch and dispatches the step. On
accelerators a background thread slices, pads and ``jax.device_put``s the
next batches (``data.Prefetcher``) while the current step runs; on CPU, where
that thread only competes with XLA for the same cores, batches are prepared
inline (``compile(prefetch=...)`` overrides). Unchanging arguments (the mask
of a full batch, the learning rate, the step index of a graph without random
ops) live on the device, so a step transfers only its data.

A ragged last batch is padded to the batch size and masked (loss and metrics
weighted so the result equals the unpadded computation), so it costs no
second compilation — except for graphs whose training step couples the
samples of a batch (they update state, e.g. BatchNorm batch statistics),
where padding would change the numbers: those compile the short batch too.
evaluate and predict always pad, so each compiles once per batch size.

``steps_per_execution=K`` runs K steps per dispatch with ``lax.scan`` over K
stacked batches, or loops over single steps, as ``_execution_plan`` decides
(``compile(execution="auto"|"scan"|"loop")``). With a ``kxla.distribution``
set, weights and batches are placed with ``NamedSharding`` and XLA (GSPMD)
partitions the same step. A mixed dtype policy adds the ``mixed-precision``
pass to the pipelines; ``mixed_float16`` adds dynamic loss scaling to the step.
"""
from __future__ import annotations

import math
import os
import warnings
from typing import NamedTuple
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from ..distribution import distribution_lib as _distribution_lib
from ..ir import get_op
from ..lowering import lower
from ..ops.tracing import Variable
from . import data as data_mod
from ..utils.random import next_seed, numpy_rng
from . import compile_stats as _compile_stats_mod
from .compile_stats import CompileStats

warnings.filterwarnings("ignore", message="Some donated buffers were not usable")

PREFETCH_DEPTH = 2                 # batches prepared ahead of the running step on accelerators
LOSS_SCALE_INITIAL = 2.0 ** 15     # Keras's LossScaleOptimizer defaults
LOSS_SCALE_GROWTH_STEPS = 2000
# ops that XLA:CPU runs much slower inside a while-loop body (lax.scan) than in a straight-line program
_SCAN_SLOW_ON_CPU = frozenset(
    [f"{p}conv{n}d" for p in ("", "fused_", "depthwise_") for n in (1, 2, 3)] +
    [f"conv{n}d_transpose" for n in (1, 2, 3)] + [f"{k}_pool{n}d" for k in ("max", "avg") for n in (1, 2, 3)])


@dataclass(frozen=True)
class ExecutionPlan:
    """How fit runs ``steps_per_execution`` steps: ``mode`` "single", "scan" (one dispatch of ``k``
    stacked steps) or "loop" (``k`` single-step dispatches per callback); ``reason`` says why;
    ``stacked_bytes`` estimates the host/device bytes of batches in flight."""

    mode: str
    k: int
    reason: str
    stacked_bytes: int = 0


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


class _LazyLogs(dict):
    """A logs dict that fetches metric values from the device only when a callback reads it."""

    def __init__(self, fetch):
        super().__init__()
        self._fetch = fetch

    def _fill(self):
        if self._fetch is not None:
            fetch, self._fetch = self._fetch, None
            self.update(fetch())

    def __getitem__(self, k):
        self._fill()
        return super().__getitem__(k)

    def __iter__(self):
        self._fill()
        return super().__iter__()

    def __len__(self):
        self._fill()
        return super().__len__()

    def __contains__(self, k):
        self._fill()
        return super().__contains__(k)

    def get(self, k, default=None):
        self._fill()
        return super().get(k, default)

    def items(self):
        self._fill()
        return super().items()

    def keys(self):
        self._fill()
        return super().keys()

    def values(self):
        self._fill()
        return super().values()

    def copy(self):
        self._fill()
        return dict(self)


class Trainer:
    """Mixin giving ``Model`` Keras 3's training API."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._stats = CompileStats()
        self._fns: dict = {}
        self._arrays: dict = {}          # ir_name -> device array: the live weights during training
        self._opt_state = None
        self._opt_keys = None
        self._passes = "default"
        self.steps_per_execution = 1
        self._execution = "auto"
        self._prefetch = "auto"
        self._loss_scale = None
        self.execution_plan = None

    def _invalidate(self):
        self._fns.clear()

    # -- compile -------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True, passes="default", execution="auto", prefetch="auto"):
        """Configure training (Keras 3 signature) plus kxla's options.

        Arguments (beyond Keras's):
          passes: the IR pipeline ("default", pipeline text, a list, or None/"none").
          execution: with ``steps_per_execution > 1``: "scan" (K steps in one
            dispatch), "loop" (K single-step dispatches per callback round) or
            "auto" (a rule per model and backend; see ``model.execution_plan`` after fit).
          prefetch: batches prepared ahead on a background thread ("auto": 2 on GPU/TPU,
            0 (inline) on CPU; see ``_prefetch_depth``).
        """
        from .. import losses as losses_mod, metrics as metrics_mod, optimizers
        if run_eagerly:
            raise ValueError("kxla always compiles the step: run_eagerly=True is not supported; use "
                             "kxla.debug.Interpreter to step through the graph")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self._loss_spec, self._loss_weights_spec = loss, loss_weights
        self._metrics_spec, self._weighted_metrics_spec = metrics, weighted_metrics
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be a positive integer, got {steps_per_execution!r}")
        self.steps_per_execution = steps_per_execution
        if execution not in ("auto", "scan", "loop"):
            raise ValueError(f"execution must be 'auto', 'scan' or 'loop', got {execution!r}")
        self._execution = execution
        self._prefetch = prefetch
        self._passes = passes
        self._loss_scale = None
        self._losses_mod, self._metrics_mod = losses_mod, metrics_mod
        # resolve loss and metric names now so typos fail here, before any compilation
        for spec in _strings(loss):
            losses_mod.get(spec)
        for spec in _strings(metrics) + _strings(weighted_metrics):
            metrics_mod.get(spec)
        self._resolved = None
        self._opt_state = None
        self._invalidate()
        self.compiled = True

    def _per_output(self, spec, what: str) -> list:
        names = self._output_names()
        if isinstance(spec, dict):
            unknown = set(spec) - set(names)
            if unknown:
                raise ValueError(f"{what} has keys {sorted(unknown)} that are not model outputs {names}")
            return [spec.get(n) for n in names]
        if isinstance(spec, (list, tuple)) and len(names) > 1 and \
                not (what == "metrics" and spec and not isinstance(spec[0], (list, tuple, dict)) and
                     len(spec) != len(names)):
            if len(spec) != len(names):
                raise ValueError(f"{what} is a list of {len(spec)} entries but the model has "
                                 f"{len(names)} outputs {names}")
            return list(spec)
        return [spec] * len(names)

    def _output_names(self) -> list[str]:
        if getattr(self, "_functional", False):
            names = []
            for t in self.outputs:
                record = t.history[0] if t.history else None
                names.append(record.layer.name if record is not None and record.layer is not None
                             else f"output_{len(names)}")
            return names
        traced = self.trace(training=False)
        return ["output"] if traced.n_outputs == 1 else [f"output_{i}" for i in range(traced.n_outputs)]

    def _resolve(self):
        """Loss objects, weights and metric objects per output, and the log names."""
        if self._resolved is not None:
            return self._resolved
        if not self.compiled:
            raise ValueError("You must call compile() before fit/evaluate/train_on_batch")
        names = self._output_names()
        multi = len(names) > 1
        losses = [self._losses_mod.get(s) if s is not None else None
                  for s in (self._per_output(self._loss_spec, "loss") if self._loss_spec is not None
                            else [None] * len(names))]
        weights = self._loss_weights_spec
        if weights is None:
            weights = [1.0] * len(names)
        elif isinstance(weights, dict):
            weights = [float(weights.get(n, 1.0)) for n in names]
        elif not isinstance(weights, (list, tuple)):
            weights = [float(weights)] * len(names)
        metrics = []
        for i, (name, spec) in enumerate(zip(names, self._metric_specs(names))):
            objs = []
            for s in spec or []:
                m = self._metrics_mod.get(s, loss=losses[i])
                m.log_name = f"{name}_{m.name}" if multi else m.name
                objs.append(m)
            metrics.append(objs)
        from ..metrics import Mean
        tracker = Mean(name="loss")
        out_losses = []
        if multi:
            for name, l in zip(names, losses):
                if l is not None:
                    m = Mean(name=f"{name}_loss")
                    m.log_name = m.name
                    out_losses.append(m)
                else:
                    out_losses.append(None)
        self._resolved = (names, losses, list(weights), metrics, tracker, out_losses)
        return self._resolved

    def _metric_specs(self, names):
        spec = self._metrics_spec
        if spec is None:
            return [[] for _ in names]
        if isinstance(spec, dict):
            return [(spec.get(n) if isinstance(spec.get(n), (list, tuple)) else
                     ([spec[n]] if n in spec else [])) for n in names]
        if len(names) > 1 and isinstance(spec, (list, tuple)) and spec and \
                all(isinstance(s, (list, tuple)) for s in spec):
            return [list(s) for s in spec]
        spec = list(spec) if isinstance(spec, (list, tuple)) else [spec]
        return [spec for _ in names]

    # -- compiled pieces -------------------------------------------------------------
    def _policy_passes(self) -> list[str]:
        """``mixed-precision{...}`` pass texts for the layers' dtype policies (empty for float32 models)."""
        from ..config import DTypePolicy
        mixed, plain = {}, set()
        for layer in _leaf_layers(self):
            policy = getattr(layer, "dtype_policy", None)
            if isinstance(policy, DTypePolicy) and policy.is_mixed:
                mixed.setdefault(policy.name, set()).add(layer.name)
            else:
                plain.add(layer.name)
        texts = []
        for name, layers in sorted(mixed.items()):
            others = plain | set().union(*(v for k, v in mixed.items() if k != name))
            if not others:
                texts.append(f"mixed-precision{{policy={name}}}")
            elif len(layers) <= len(others):
                texts.append(f"mixed-precision{{policy={name},only=[{','.join(sorted(layers))}]}}")
            else:
                texts.append(f"mixed-precision{{policy={name},skip=[{','.join(sorted(others))}]}}")
        return texts

    def _loss_scaling(self) -> bool:
        """Dynamic loss scaling is on when any layer computes in float16 (``mixed_float16``)."""
        from ..config import DTypePolicy
        return any(isinstance(getattr(l, "dtype_policy", None), DTypePolicy) and
                   l.dtype_policy.needs_loss_scaling for l in _leaf_layers(self))

    def _run_pipeline(self, graph, training: bool):
        passes = self._passes
        mixed = self._policy_passes()
        if (passes is None or passes == "none") and not mixed:
            return graph
        from .. import passes as passes_mod
        if passes == "default":
            passes = passes_mod.TRAINING_PIPELINE if training else passes_mod.INFERENCE_PIPELINE
        passes = [] if passes is None or passes == "none" else passes_mod.parse_pipeline(passes)
        return passes_mod.PassManager(passes + [p for t in mixed for p in passes_mod.parse_pipeline(t)]).run(graph)

    def _lowered(self, training: bool):
        key = ("lowered", training, tuple(w.trainable for w in self.weights))
        if key not in self._fns:
            traced = self.trace(training)
            graph = self._run_pipeline(traced.graph, training)
            self._fns[key] = (traced, lower(graph), graph)
        return self._fns[key]

    def _split(self, traced):
        """Names of trainable params, frozen params and state in the traced graph."""
        params, frozen, state = [], [], []
        for v, var in zip(traced.graph.params + traced.graph.state, traced.variables):
            (state if v.kind == "state" else params if v.trainable else frozen).append(var)
        return params, frozen, state

    def _loss_terms(self, ys, preds, sw, mask):
        names, losses, weights, _, _, _ = self._resolve()
        total, per_output = 0.0, []
        for y, p, l, w in zip(ys, preds, losses, weights):
            if l is None or y is None:
                per_output.append(None)
                continue
            if jnp.issubdtype(p.dtype, jnp.floating) and p.dtype != jnp.float32:
                p = p.astype(jnp.float32)              # losses in float32 under a mixed policy
            per = l.per_sample(y, p)
            weight = mask if sw is None else mask * sw
            weight = jnp.reshape(weight, weight.shape + (1,) * (per.ndim - 1))
            count = jnp.maximum(jnp.sum(mask), 1.0) * (math.prod(per.shape[1:]) if per.ndim > 1 else 1)
            value = jnp.sum(per * weight) / count
            per_output.append(value)
            total = total + w * value
        return total, per_output

    def _update_metrics(self, mstate, loss, per_output, ys, preds, sw, mask):
        names, losses, weights, metrics, tracker, out_losses = self._resolve()
        n = jnp.sum(mask)
        new = {"loss": tracker.update(mstate["loss"], loss, sample_weight=n)}
        weight = mask if sw is None else mask * sw
        for i, (objs, y, p) in enumerate(zip(metrics, ys, preds)):
            if out_losses and out_losses[i] is not None:
                new[out_losses[i].log_name] = out_losses[i].update(mstate[out_losses[i].log_name],
                                                                   per_output[i], sample_weight=n)
            for m in objs:
                new[m.log_name] = m.update(mstate[m.log_name], y, p, sample_weight=weight)
        return new

    def _metric_objects(self):
        names, losses, weights, metrics, tracker, out_losses = self._resolve()
        objs = {"loss": tracker}
        for m in out_losses:
            if m is not None:
                objs[m.log_name] = m
        for group in metrics:
            for m in group:
                objs[m.log_name] = m
        return objs

    def _metric_fns(self):
        if "metrics_init" not in self._fns:
            objs = self._metric_objects()
            init = jax.jit(lambda: {k: m.init() for k, m in objs.items()})
            result = jax.jit(lambda s: {k: m.result(s[k]) for k, m in objs.items()})
            order = list(objs)       # loss first, then metrics in compile order (jit sorts dict keys)
            host = {}

            def init_metrics():
                # compiled once; later epochs copy the host values to the device (no dispatch of a program)
                if "v" not in host:
                    host["v"] = jax.device_get(init())
                dist = _current_distribution()
                return jax.device_put(host["v"], dist.replicated() if dist is not None else None)

            def fetch(state):
                values = jax.device_get(result(state))
                return {k: float(values[k]) for k in order}

            self._fns["metrics_init"] = init_metrics
            self._fns["metrics_result"] = fetch
        return self._fns["metrics_init"], self._fns["metrics_result"]

    def _train_fn(self, k: int = 1):
        """The jitted train step; ``k > 1``: ``lax.scan`` over ``k`` stacked batches in one dispatch.

        Signature: ``step(p, fz, st, opt, ms, xs, ys, sw, mask, key, step0, lr, ls=None)`` returning
        ``(p, st, opt, ms)``, plus the new loss-scale state when ``ls`` (``mixed_float16``) is given.
        ``key`` is raw key data (``step_key(seed)``): a plain uint32 array flattens in JAX's C++
        dispatch, a typed key through a Python callback on every step.
        """
        dist = _current_distribution()
        key = ("train", k, id(dist) if dist is not None else None)
        if key in self._fns:
            return self._fns[key]
        traced, fn, _ = self._lowered(True)
        n_out = traced.n_outputs
        optimizer = self.optimizer
        schedule = not isinstance(optimizer.learning_rate, (int, float))
        params_v, _, _ = self._split(traced)
        constraints = {v.ir_name: v.constraint for v in params_v if v.constraint is not None}

        custom = type(self).train_step is not Trainer.train_step

        def one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls):
            if custom:
                return self._custom_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng,
                                         optimizer.current_learning_rate(opt) if schedule else lr,
                                         constraints, ls)
            scale = ls["scale"] if ls is not None else None

            def loss_fn(p):
                outs, new_st = fn({**p, **fz}, st, xs, rng=rng, training=True)
                preds = outs[:n_out]
                total, per_output = self._loss_terms(ys, preds, sw, mask)
                for reg in outs[n_out:]:
                    total = total + reg
                scaled = total * scale if scale is not None else total
                return scaled, (total, preds, new_st, per_output)

            (_, (loss, preds, new_st, per_output)), grads = jax.value_and_grad(loss_fn, has_aux=True)(p)
            rate = optimizer.current_learning_rate(opt) if schedule else lr
            if scale is not None:
                grads = jax.tree_util.tree_map(lambda g: g / scale.astype(g.dtype), grads)
            new_p, new_opt = optimizer.update(grads, p, opt, rate)
            for name, c in constraints.items():
                new_p[name] = c(new_p[name])
            ms = self._update_metrics(ms, loss, per_output, ys, preds, sw, mask)
            if ls is None:
                return new_p, new_st, new_opt, ms, None
            finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
            keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, old)
            new_p, new_opt = keep(new_p, p), keep(new_opt, opt)      # a non-finite step changes no weight
            return new_p, new_st, new_opt, ms, _next_loss_scale(ls, finite)

        def step(p, fz, st, opt, ms, xs, ys, sw, mask, key, step0, lr, ls=None):
            key = jax.random.wrap_key_data(key)
            if k == 1:
                out = one_step(p, fz, st, opt, ms, xs, ys, sw, mask, jax.random.fold_in(key, step0), lr, ls)
                return out[:4] if ls is None else out

            def body(carry, batch):
                cp, cst, copt, cms, cls = carry
                i, bx, by, bsw, bmask = batch
                new = one_step(cp, fz, cst, copt, cms, bx, by, bsw, bmask,
                               jax.random.fold_in(key, step0 + i), lr, cls)
                active = jnp.sum(bmask) > 0          # fully padded steps leave everything unchanged
                kept = jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, carry)
                return kept, None

            carry, _ = jax.lax.scan(body, (p, st, opt, ms, ls), (jnp.arange(k), xs, ys, sw, mask))
            return carry[:4] if ls is None else carry

        jit_kw = {}
        if dist is not None:
            jit_kw["out_shardings"] = self._step_out_shardings(dist, traced)
        jitted = jax.jit(step, donate_argnums=(0, 2, 3, 4), **jit_kw)
        self._fns[key] = jitted
        return jitted

    # -- the Keras 3 way to customize a step ------------------------------------------------
    def train_step(self, state: TrainState, data):
        """One training step; override it as in Keras 3's JAX backend. Runs inside ``jax.jit``.

        Arguments:
          state: a ``TrainState`` (params, frozen, state, optimizer, metrics, rng, learning_rate).
          data: ``(x, y, sample_weight)``; padded rows of a ragged batch have sample weight 0.

        Returns:
          ``(logs, new_state)`` (``logs`` may be None: kxla reads the metrics state) or just
          ``new_state``. The built-in step (used when this is not overridden) is equivalent to::

            x, y, sample_weight = data
            def loss_fn(params):
                y_pred, new_state = self.stateless_call({**params, **state.frozen}, state.state, x,
                                                        training=True, rng=state.rng)
                return self.compute_loss(x, y, y_pred, sample_weight), (y_pred, new_state)
            (loss, (y_pred, new_state)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
            params, opt = self.optimizer.stateless_apply(state.optimizer, grads, state.params,
                                                         state.learning_rate)
            metrics = self.stateless_update_metrics(state.metrics, loss, y, y_pred, sample_weight)
            return None, state._replace(params=params, state=new_state, optimizer=opt, metrics=metrics)
        """
        raise TypeError("Trainer.train_step is only called when a subclass overrides it")

    def stateless_call(self, params: dict, state: dict, x, training: bool = False, rng=None):
        """Run the model as a pure function: ``(y_pred, new_state)`` (y_pred in the model's structure)."""
        traced, fn, _ = self._lowered(bool(training))
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        outs, new_state = fn(params, state, xs, rng=rng, training=bool(training))
        self._regularization = outs[traced.n_outputs:]       # picked up by compute_loss in this trace
        preds = outs[:traced.n_outputs]
        return jax.tree_util.tree_unflatten(traced.out_treedef, preds), new_state

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The compiled loss (weighted per output, plus regularization penalties of the last
        ``stateless_call``); rows with sample weight 0 do not count in the average."""
        ys, preds = self._flat_targets(y), self._flat_outputs(y_pred)
        weight = jnp.ones(jax.tree_util.tree_leaves(preds)[0].shape[0]) if sample_weight is None \
            else sample_weight
        mask = (weight != 0).astype(jnp.float32)
        total, _ = self._loss_terms(ys, preds, weight, mask)
        for reg in getattr(self, "_regularization", []):
            total = total + reg
        return total

    def stateless_update_metrics(self, metrics_state: dict, loss, y, y_pred, sample_weight=None):
        """Metric state updated with this batch (loss tracker included)."""
        ys, preds = self._flat_targets(y), self._flat_outputs(y_pred)
        weight = jnp.ones(preds[0].shape[0]) if sample_weight is None else sample_weight
        mask = (weight != 0).astype(jnp.float32)
        _, per_output = self._loss_terms(ys, preds, weight, mask)
        return self._update_metrics(metrics_state, loss, per_output, ys, preds, weight, mask)

    def _flat_targets(self, y):
        return list(y) if isinstance(y, (list, tuple)) else [y]

    def _flat_outputs(self, y_pred):
        return jax.tree_util.tree_leaves(y_pred)

    def _custom_step(self, p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, constraints, ls):
        if ls is not None:
            raise ValueError("A custom train_step cannot be combined with the mixed_float16 policy's "
                             "loss scaling; use mixed_bfloat16 or float32")
        x = xs[0] if len(xs) == 1 else list(xs)
        y = ys[0] if len(ys) == 1 else list(ys)
        state = TrainState(p, fz, st, opt, ms, rng, lr)
        out = self.train_step(state, (x, y, sw * mask))
        new = out[1] if isinstance(out, tuple) and not isinstance(out, TrainState) else out
        if not isinstance(new, TrainState):
            raise TypeError(f"train_step must return (logs, TrainState) or a TrainState, got {type(new).__name__}")
        params = dict(new.params)
        for name, c in constraints.items():
            params[name] = c(params[name])
        return params, new.state, new.optimizer, new.metrics, None

    def _step_out_shardings(self, dist, traced):
        """Output shardings of the train step: weights and optimizer slots as laid out, the rest replicated."""
        params_v, _, state_v = self._split(traced)
        p_sh = {v.ir_name: dist.variable_sharding(v) for v in params_v}
        st_sh = {v.ir_name: dist.variable_sharding(v) for v in state_v}
        opt_sh = _opt_shardings(self._opt_state, p_sh, dist.replicated())
        repl = dist.replicated()
        return (p_sh, st_sh, opt_sh, repl) if not self._loss_scaling() else (p_sh, st_sh, opt_sh, repl, repl)

    def _eval_fn(self):
        dist = _current_distribution()
        key = ("eval", id(dist) if dist is not None else None)
        if key not in self._fns:
            traced, fn, _ = self._lowered(False)
            n_out = traced.n_outputs

            def step(p, st, ms, xs, ys, sw, mask):
                outs, _ = fn(p, st, xs, rng=None, training=False)
                preds = outs[:n_out]
                total, per_output = self._loss_terms(ys, preds, sw, mask)
                for reg in outs[n_out:]:
                    total = total + reg
                return self._update_metrics(ms, total, per_output, ys, preds, sw, mask)

            kw = {"out_shardings": dist.replicated()} if dist is not None else {}
            self._fns[key] = jax.jit(step, donate_argnums=(2,), **kw)
        return self._fns[key]

    def _predict_single(self):
        """For a single-input single-output model, the predict program on one array, called as
        ``fn(tuple(p.values()), tuple(st.values()), x)`` with the dicts of ``_inference_weights``:
        tuples in, one array out are the cheapest pytrees to flatten; None for other models."""
        if "predict_single" not in self._fns:
            traced, fn, _ = self._lowered(False)
            single = None
            if len(traced.graph.inputs) == 1 and traced.n_outputs == 1 and traced.out_treedef.num_leaves == 1:
                p_names = [v.ir_name for v in traced.variables if v.kind == "param"]
                st_names = [v.ir_name for v in traced.variables if v.kind == "state"]
                single = jax.jit(lambda pv, sv, x: fn(dict(zip(p_names, pv)), dict(zip(st_names, sv)), [x],
                                                      rng=None, training=False)[0][0])
            self._fns["predict_single"] = single
        return self._fns["predict_single"]

    def _predict_fn(self):
        if "predict" not in self._fns:
            traced, fn, _ = self._lowered(False)
            n_out = traced.n_outputs
            self._fns["predict"] = jax.jit(
                lambda p, st, xs: fn(p, st, xs, rng=None, training=False)[0][:n_out])
        return self._fns["predict"]

    # -- execution plan for steps_per_execution --------------------------------------------
    def _execution_plan(self, k: int, graph, batch_bytes: int, prefetch: int) -> ExecutionPlan:
        """Scan ``k`` steps in one dispatch, or loop over single steps? (see ``ExecutionPlan``).

        Rule for ``execution="auto"``, per backend and model:

        * ``k == 1``: single steps.
        * XLA:CPU: loop. There the "device" is the host's cores and a dispatch costs
          about what an iteration of XLA's ``while`` loop (what ``lax.scan`` becomes)
          costs: on mlp_small, 8 scanned steps ran at 0.15 ms/step against 0.13-0.17
          for single dispatches, and a whole epoch under ``lax.scan`` at 0.16-0.20; and
          convolution/pooling inside a ``while`` body runs 6-10x slower (cnn: 117 vs
          15-20 ms/step). Scan never paid on XLA:CPU (figures in benchmarks/README.md).
        * GPU/TPU: scan, where a dispatch costs far more than a loop iteration, with
          ``k`` lowered until the stacked batches (``k`` x batch bytes, times the groups
          in flight) fit in 1/16 of the device memory; below two steps it loops.
        """
        mode = self._execution
        per_group = batch_bytes * (prefetch + 2)         # groups in flight: queue + producing + running
        if k == 1:
            return ExecutionPlan("single", 1, "steps_per_execution=1", batch_bytes)
        if mode == "loop":
            return ExecutionPlan("loop", k, "execution='loop'", batch_bytes)
        if mode == "scan":
            return ExecutionPlan("scan", k, "execution='scan'", k * per_group)
        platform = jax.default_backend()
        if platform == "cpu":
            slow = sorted({n.op for n in graph.nodes} & _SCAN_SLOW_ON_CPU)
            why = (f"XLA:CPU runs {', '.join(slow)} 6-10x slower inside a scan body" if slow else
                   "on XLA:CPU a scan iteration costs about what a dispatch costs")
            return ExecutionPlan("loop", k, why, batch_bytes)
        budget = _stacked_budget()
        if k * per_group > budget:
            fit = int(budget // per_group)
            if fit < 2:
                return ExecutionPlan("loop", k, f"{k} stacked batches ({_mib(k * per_group)}) exceed the "
                                     f"{_mib(budget)} budget", batch_bytes)
            return ExecutionPlan("scan", fit, f"k lowered from {k} to {fit}: stacked batches within the "
                                 f"{_mib(budget)} budget", fit * per_group)
        return ExecutionPlan("scan", k, f"{platform}: scan of {k} steps per dispatch", k * per_group)

    # -- weights on device -------------------------------------------------------------
    def _device_arrays(self, variables, dist=None) -> dict:
        """Current device arrays by IR name, reloading any Variable changed outside training.

        With a distribution, arrays are placed with their ``NamedSharding``.
        """
        arrays = self._arrays
        for var in variables:
            cur = arrays.get(var.ir_name)
            sharding = dist.variable_sharding(var) if dist is not None else None
            if cur is None or var._value is not cur or (sharding is not None and cur.sharding != sharding):
                # a copy (may_alias=False): donation never eats user data; a runtime copy, not a
                # compiled program per weight shape as jnp.array would be
                arrays[var.ir_name] = jax.device_put(var._value, sharding, may_alias=False)
                var._value = arrays[var.ir_name]
        return arrays

    def _store(self, variables, *dicts):
        for d in dicts:
            self._arrays.update(d)
        for var in variables:
            var._value = self._arrays[var.ir_name]

    def _ensure_optimizer_state(self, params: dict, dist=None):
        keys = tuple(sorted(params))
        if self._opt_state is None or self._opt_keys != keys:
            init = self._fns.get(("opt_init", keys))
            if init is None:                                   # one program, not one per slot shape
                init = self._fns[("opt_init", keys)] = jax.jit(self.optimizer.init)
            self._opt_state = init(params)
            self._opt_keys = keys
        if dist is not None:
            p_sh = {k_: a.sharding for k_, a in params.items()}
            self._opt_state = jax.device_put(self._opt_state, _opt_shardings(self._opt_state, p_sh,
                                                                             dist.replicated()))

    def _ensure_loss_scale(self, dist=None):
        if not self._loss_scaling():
            return None
        if self._loss_scale is None:
            self._loss_scale = {"scale": jnp.asarray(LOSS_SCALE_INITIAL, jnp.float32),
                                "good_steps": jnp.zeros((), jnp.int32)}
        if dist is not None:
            self._loss_scale = jax.device_put(self._loss_scale, dist.replicated())
        return self._loss_scale

    @property
    def loss_scale(self):
        """The current dynamic loss scale (``mixed_float16``), or None."""
        return None if self._loss_scale is None else float(self._loss_scale["scale"])

    def _weights(self, traced, dist=None):
        """``(p, fz, st)`` dicts of device arrays for a traced training graph."""
        params_v, frozen_v, state_v = self._split(traced)
        arrays = self._device_arrays(traced.variables, dist)
        return ({v.ir_name: arrays[v.ir_name] for v in params_v},
                {v.ir_name: arrays[v.ir_name] for v in frozen_v},
                {v.ir_name: arrays[v.ir_name] for v in state_v})

    def _inference_weights(self, dist=None):
        """``(traced, p, st)`` for evaluate/predict, cached while no Variable changes."""
        cached = self._fns.get("inference_weights")
        if cached is not None and cached[4] is dist:
            traced, pairs, p, st, _, version = cached
            if version == Variable.version:
                return traced, p, st
            if all(var._value is value for var, value in pairs):    # some other Variable changed
                self._fns["inference_weights"] = cached[:5] + (Variable.version,)
                return traced, p, st
        traced, _, _ = self._lowered(False)
        arrays = self._device_arrays(traced.variables, dist)
        p = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "param"}
        st = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "state"}
        self._fns["inference_weights"] = (traced, [(v, v._value) for v in traced.variables], p, st, dist,
                                          Variable.version)
        return traced, p, st

    # -- data -------------------------------------------------------------------------
    def _prepare(self, x, y=None, sample_weight=None, need_y=False, class_weight=None):
        xs = data_mod.flatten_inputs(x, self._input_names or ["input"]) if self._input_types else \
            data_mod.flatten_inputs(x, [f"input_{i}" for i in range(len(x))] if isinstance(x, (list, tuple))
                                    else ["input"])
        self._ensure_input_types_from_data(xs)
        data_mod.check_feature_shapes(xs, self._input_types, self.name)
        ys = None
        if y is not None:
            names = self._output_names()
            if isinstance(y, dict):
                ys = [data_mod._as_array(y[n], f"y[{n!r}]") if n in y else None for n in names]
            elif isinstance(y, (list, tuple)) and len(names) > 1:
                if len(y) != len(names):
                    raise ValueError(f"The model has {len(names)} outputs but y holds {len(y)} arrays")
                ys = [data_mod._as_array(a, f"y[{i}]") for i, a in enumerate(y)]
            else:
                ys = [data_mod._as_array(y, "y")]
        elif need_y:
            raise ValueError("y is required to train or evaluate a model with a loss")
        sw = None
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype="float32").reshape(-1)
        if class_weight is not None:
            if ys is None or len(ys) != 1:
                raise ValueError("class_weight is only supported for models with a single output")
            labels = ys[0]
            labels = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
            cw = np.array([class_weight.get(int(c), 1.0) for c in labels], dtype="float32")
            sw = cw if sw is None else sw * cw
        n = data_mod.check_lengths({"x": xs, "y": [a for a in ys or [] if a is not None],
                                    "sample_weight": [sw] if sw is not None else []})
        return xs, ys, sw, n

    # -- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs (Keras 3 signature); returns a ``History``."""
        from ..callbacks import CallbackList, History, ProgbarLogger
        if not self.compiled:
            raise ValueError("You must call compile() before fit()")
        source = data_mod.BatchSource(x, steps_per_epoch) if data_mod.is_batch_iterable(x) else None
        if source is not None:
            if y is not None or sample_weight is not None:
                raise ValueError("When x is a generator of (x, y[, sample_weight]) batches, y and "
                                 "sample_weight must be None")
            drawn = source.epoch()
            if drawn is None:
                raise ValueError("fit() received a generator that yielded no batches")
            x, y, sample_weight = drawn
            batch_size, shuffle = source.batch_size, False
        elif steps_per_epoch is not None:
            raise ValueError("steps_per_epoch is only meaningful for generators, which this fit() call "
                             "did not receive; pass arrays and batch_size")
        if validation_data is not None and data_mod.is_batch_iterable(validation_data):
            validation_data = data_mod.BatchSource(validation_data, validation_steps).epoch()
            if validation_data is None:
                raise ValueError("validation_data is a generator that yielded no batches")
            validation_data = tuple(v for v in validation_data if v is not None)
        batch_size = batch_size or 32
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=self._loss_spec is not None,
                                      class_weight=class_weight)
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            cut = int(n * (1 - validation_split))
            val = ([a[cut:] for a in xs], [a[cut:] for a in ys] if ys else None,
                   sw[cut:] if sw is not None else None)
            xs, ys = [a[:cut] for a in xs], [a[:cut] for a in ys] if ys else None
            sw = sw[:cut] if sw is not None else None
            n = cut
        elif validation_data is not None:
            if len(validation_data) == 2:
                vx, vy = validation_data
                vsw = None
            elif len(validation_data) == 3:
                vx, vy, vsw = validation_data
            else:
                raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)")
            vxs, vys, vsw, _ = self._prepare(vx, vy, vsw, need_y=True)
            val = (vxs, vys, vsw)
        else:
            val = None
        if n == 0:
            raise ValueError("fit() received no samples")
        verbose = 1 if verbose == "auto" else int(verbose)
        steps = data_mod.num_batches(n, batch_size)
        history = History()
        cbs = list(callbacks or [])
        if verbose:
            cbs.append(ProgbarLogger(verbose))
        cbs.append(history)
        cblist = CallbackList(cbs, self, {"epochs": epochs, "steps": steps, "verbose": verbose})
        want_begin, want_end = cblist.wants("on_train_batch_begin"), cblist.wants("on_train_batch_end")

        dist = _current_distribution()
        traced = self.trace(training=True)
        variables = traced.variables
        coupled = bool(traced.graph.updates)           # batch statistics: never pad a training batch
        shards = dist.num_model_replicas if dist is not None else 1
        batcher = data_mod.Batcher(xs, ys, sw, data_mod.padded_rows(batch_size, shards),
                                   put=self._mask_put(dist))
        if coupled and batcher.rows != batch_size:
            raise ValueError(f"batch_size={batch_size} does not split over the {shards} data-parallel devices, "
                             "and this model's training step uses batch statistics (it updates state, e.g. "
                             "BatchNormalization), so kxla cannot pad it; use a batch size divisible by "
                             f"{shards}")
        depth = self._prefetch_depth()
        plan = self._execution_plan(self.steps_per_execution, self._lowered(True)[2],
                                    batcher.bytes_per_batch(), depth)
        self.execution_plan = plan
        k, scan = plan.k, plan.mode == "scan"
        # graphs without random ops ignore the step index: pass one device scalar instead of a transfer a step
        random = any(get_op(node.op).effect == "random" for node in self._lowered(True)[2].nodes)
        fixed_step = None if random else jax.device_put(np.int32(0), dist.replicated() if dist else None)
        init_metrics, result_metrics = self._metric_fns()
        rng_key = step_key(next_seed())
        p, fz, st = self._weights(traced, dist)
        self._ensure_optimizer_state(p, dist)
        opt = self._opt_state
        ls = self._ensure_loss_scale(dist)
        train_1 = self._train_fn(1)
        train_k = self._train_fn(k) if scan else train_1
        collect = self._stats.collect("train")
        stats_before = self._stats.as_dict()

        def produce(unit):
            kind, group = unit
            args = batcher.stacked(group, k) if kind == "scan" else batcher.single(group[0], pad=not coupled)
            return self._place(args, dist, stacked=kind == "scan", threaded=depth > 0)

        self.stop_training = False
        step_count = 0
        cblist.on_train_begin({})
        logs = {}
        try:
            for epoch in range(initial_epoch, epochs):
                if source is not None and epoch > initial_epoch:       # the generator's next epoch
                    drawn = source.epoch()
                    if drawn is None:
                        warnings.warn("Your input ran out of data; interrupting training. Make sure the "
                                      "generator can yield steps_per_epoch * epochs batches.")
                        break
                    xs, ys, sw, n = self._prepare(*drawn, need_y=self._loss_spec is not None,
                                                  class_weight=class_weight)
                    batcher = data_mod.Batcher(xs, ys, sw, data_mod.padded_rows(batch_size, shards),
                                               put=self._mask_put(dist))
                cblist.on_epoch_begin(epoch, {})
                ms = init_metrics()
                order = numpy_rng().permutation(n) if shuffle else None
                batches = list(data_mod.batch_slices(n, batch_size, order))
                if not scan and depth == 0 and not want_begin and not want_end:
                    # the common case (single steps, or "loop" with no batch callback to group), kept
                    # tight: one dispatch per batch, nothing else per step (no callback runs inside,
                    # so the only compilation the collector can see is the step's)
                    lr, single, pad = self._lr_arg(dist), batcher.single, not coupled
                    with collect:
                        for idx in batches:
                            args = single(idx, pad)
                            if dist is not None:
                                args = self._place(args, dist)
                            step0 = np.int32(step_count) if fixed_step is None else fixed_step
                            if ls is None:
                                p, st, opt, ms = train_1(p, fz, st, opt, ms, *args, rng_key, step0, lr)
                            else:
                                p, st, opt, ms, ls = train_1(p, fz, st, opt, ms, *args, rng_key, step0, lr, ls)
                            step_count += 1
                            if self.stop_training:
                                break
                    batches = []
                units = _units(batches, k, scan, coupled, batch_size, n)
                feed = data_mod.Prefetcher(units, produce, depth) if depth > 0 else \
                    ((u, produce(u)) for u in units)
                b, since = 0, 0
                try:
                    for (kind, group), args in feed:
                        if want_begin and since == 0:
                            self._opt_state = opt
                            cblist.on_train_batch_begin(b, {})
                        fn = train_k if kind == "scan" else train_1
                        lr = self._lr_arg(dist)
                        step0 = np.int32(step_count) if fixed_step is None else fixed_step
                        with collect:
                            if ls is None:
                                p, st, opt, ms = fn(p, fz, st, opt, ms, *args, rng_key, step0, lr)
                            else:
                                p, st, opt, ms, ls = fn(p, fz, st, opt, ms, *args, rng_key, step0, lr, ls)
                        step_count += len(group)
                        b += len(group)
                        since += len(group)
                        if since >= k or b >= steps:
                            since = 0
                            if want_end:
                                self._opt_state = opt
                                self._store(variables, p, st)
                                cblist.on_train_batch_end(b - 1, _LazyLogs(lambda ms=ms: result_metrics(ms)))
                        if self.stop_training:
                            break
                finally:
                    if depth > 0:
                        feed.close()
                self._opt_state = opt
                self._store(variables, p, st)
                self._loss_scale = ls
                logs = result_metrics(ms)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*val, validation_batch_size or batch_size, cblist=None)
                    logs.update({f"val_{k_}": v for k_, v in val_logs.items()})
                cblist.on_epoch_end(epoch, logs)
                if verbose and epoch == initial_epoch:
                    self._print_compile_summary(stats_before, plan)
                if self.stop_training:
                    break
                # a callback may have changed weights (restore_best_weights) or the optimizer
                p, fz, st = self._weights(traced, dist)
                opt = self._opt_state
        finally:
            self._opt_state = opt
            self._loss_scale = ls
            self._store(variables, p, st)
        cblist.on_train_end(logs)
        return history

    def _lr_arg(self, dist=None):
        """The learning rate argument: a device scalar, put again only when the rate changes."""
        lr = self.optimizer.learning_rate
        lr = float(lr) if isinstance(lr, (int, float)) else 0.0
        cached = self._fns.get("lr")
        if cached is None or cached[0] != lr or cached[1] is not dist:
            cached = self._fns["lr"] = (lr, dist, jax.device_put(np.float32(lr),
                                                                dist.replicated() if dist is not None else None))
        return cached[2]

    @staticmethod
    def _mask_put(dist):
        if dist is None:
            return jax.device_put
        if jax.process_count() > 1:
            return lambda a: jax.make_array_from_process_local_data(dist.batch_sharding(a.ndim, a.ndim == 2), a)
        return lambda a: jax.device_put(a, dist.batch_sharding(a.ndim, stacked=a.ndim == 2))

    def _prefetch_depth(self) -> int:
        """Batches prepared ahead on the background thread (0: prepare them inline).

        "auto": ``PREFETCH_DEPTH`` on accelerators, where the thread overlaps the
        host-to-device copy with the running step; inline on CPU, where the "device"
        is the same cores: XLA:CPU's own thread pool already uses them, and a
        Python producer thread only competes for them and the GIL (measured on 2
        cores: 1.2x-2.2x slower steps on mlp_small, mlp and cnn; benchmarks/README.md).
        """
        if self._prefetch == "auto":
            return 0 if jax.default_backend() == "cpu" else PREFETCH_DEPTH
        return max(0, int(self._prefetch or 0))

    def _place(self, args, dist, stacked: bool = False, threaded: bool = False):
        """Put a step's batch arrays on the device(s): sharded over the batch axis with a distribution.

        Without a distribution and without the prefetch thread, numpy arrays go
        to the step as they are (the jitted call transfers them).
        """
        if dist is None:
            return jax.device_put(args) if threaded else args
        if jax.process_count() > 1:        # each process holds its own slice of the global batch
            return jax.tree_util.tree_map(
                lambda a: jax.make_array_from_process_local_data(dist.batch_sharding(a.ndim, stacked), a), args)
        shardings = jax.tree_util.tree_map(lambda a: dist.batch_sharding(a.ndim, stacked), args)
        return jax.device_put(args, shardings)

    def _print_compile_summary(self, before: dict, plan) -> None:
        after = self._stats.as_dict()
        lines = []
        for mode in ("train", "evaluate"):
            d = after.get(mode)
            if d is None:
                continue
            prev = before.get(mode, {})
            delta = {k_: v - prev.get(k_, 0) for k_, v in d.items()}
            if delta["traces"] or delta["compiles"] or delta["cache_hits"] or delta["cache_misses"]:
                lines.append(_compile_stats_mod.format_line(mode, delta))
        if lines and plan.k > 1:
            lines.append(f"steps_per_execution={self.steps_per_execution}: {plan.mode} of {plan.k} ({plan.reason})")
        for line in lines:
            print(line, flush=True)

    # -- evaluate / predict -----------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics over ``x, y`` (Keras 3 signature)."""
        from ..callbacks import CallbackList, ProgbarLogger
        if data_mod.is_batch_iterable(x):                 # a generator of (x, y[, sample_weight])
            source = data_mod.BatchSource(x, steps)
            drawn = source.epoch()
            if drawn is None:
                raise ValueError("evaluate() received a generator that yielded no batches")
            (x, y, sample_weight), batch_size = drawn, source.batch_size
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=True)
        batch_size = batch_size or 32
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = list(callbacks or [])
        if verbose:
            bar = ProgbarLogger(verbose)
            bar._mode = "test_only"
            cbs.append(bar)
        cblist = CallbackList(cbs, self, {"steps": data_mod.num_batches(n, batch_size), "verbose": verbose})
        logs = self._evaluate_arrays(xs, ys, sw, batch_size, cblist)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def _evaluate_arrays(self, xs, ys, sw, batch_size, cblist=None):
        """Every batch padded to ``batch_size`` rows and masked: one program per batch size."""
        dist = _current_distribution()
        traced, p, st = self._inference_weights(dist)
        eval_fn = self._eval_fn()
        init_metrics, result_metrics = self._metric_fns()
        ms = init_metrics()
        n = xs[0].shape[0]
        shards = dist.num_model_replicas if dist is not None else 1
        batcher = data_mod.Batcher(xs, ys, sw, data_mod.padded_rows(batch_size, shards), put=self._mask_put(dist))
        collect = self._stats.collect("evaluate")
        if cblist is not None:
            cblist.on_test_begin({})
        want = cblist is not None and cblist.wants("on_test_batch_end")
        for b, idx in enumerate(data_mod.batch_slices(n, batch_size)):
            bx, by, bsw, mask = self._place(batcher.single(idx, pad=True), dist)
            with collect:
                ms = eval_fn(p, st, ms, bx, by, bsw, mask)
            if want:
                cblist.on_test_batch_end(b, _LazyLogs(lambda ms=ms: result_metrics(ms)))
        logs = result_metrics(ms)
        if cblist is not None:
            cblist.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as numpy arrays, computed batch by batch (Keras 3 signature).

        Every batch is padded to the batch size, so one program serves every
        input length. Without ``batch_size``, an input of fewer than 32 samples
        is padded only to the next power of two (1, 2, 4 ... 32): batch-1
        serving does not compute 32 rows. With ``verbose=0`` and no callbacks,
        an input that fits one batch takes a fast path: one call, no callback
        machinery, weights prepared once and reused until they change.
        """
        if verbose == 0 and not callbacks and x.__class__ is np.ndarray:
            hit = self._fns.get("predict_hit")           # the same call as last time: nothing to redo
            if hit is not None and hit[0] == x.shape and hit[1] == batch_size and hit[2] is x.dtype \
                    and hit[3] == Variable.version and not _distribution_lib.in_use():
                return hit[4](x)
            out = self._predict_fast(x, batch_size)
            if out is not None:
                return out
        if data_mod.is_batch_iterable(x) or (hasattr(x, "__next__") and not hasattr(x, "__array__")):
            batches = [b[0] if isinstance(b, tuple) else b for _, b in
                       zip(range(steps) if steps is not None else iter(int, 1), x)]
            if not batches:
                raise ValueError("predict() received a generator that yielded no batches")
            batch_size = batch_size or len(np.asarray(data_mod._first(batches[0])))
            x = data_mod._concat(batches)
        xs, _, _, n = self._prepare(x)
        verbose = 1 if verbose == "auto" else int(verbose)
        dist = _current_distribution()
        rows = batch_size or (32 if n >= 32 else _bucket(n))
        shards = dist.num_model_replicas if dist is not None else 1
        batcher = data_mod.Batcher(xs, None, None, data_mod.padded_rows(rows, shards))
        traced, p, st = self._inference_weights(dist)
        single = self._predict_single()
        predict_fn = (lambda p, st, bx: [single(tuple(p.values()), tuple(st.values()), bx[0])]) \
            if single is not None else self._predict_fn()
        collect = self._stats.collect("predict")
        if n <= rows and not verbose and not callbacks:
            bx = self._place(batcher.single(slice(0, n))[0], dist)
            with collect:
                outs = predict_fn(p, st, bx)
            return jax.tree_util.tree_unflatten(traced.out_treedef, [np.asarray(o)[:n] for o in outs])
        from ..callbacks import CallbackList, ProgbarLogger
        cbs = list(callbacks or []) + ([ProgbarLogger(verbose)] if verbose else [])
        cblist = CallbackList(cbs, self, {"steps": data_mod.num_batches(n, rows), "verbose": verbose})
        cblist.on_predict_begin({})
        want = cblist.wants("on_predict_batch_end")
        chunks = []
        for b, idx in enumerate(data_mod.batch_slices(max(n, 1), rows)):
            bx = self._place(batcher.single(idx)[0], dist)
            with collect:
                outs = predict_fn(p, st, bx)
            chunks.append((outs, min(n - b * rows, rows)))
            if want:
                cblist.on_predict_batch_end(b, {"outputs": outs})
        cblist.on_predict_end({})
        results = [np.concatenate([np.asarray(outs[i])[:max(real, 0)] for outs, real in chunks])
                   for i in range(len(chunks[0][0]))]
        return jax.tree_util.tree_unflatten(traced.out_treedef, results)

    def _predict_fast(self, x, batch_size):
        """predict() of one numpy batch that fits the model's single input, on one device: no
        conversion, no checks beyond shape and dtype, cached weights, one call. None if not applicable.

        Single-input single-output models call a program taking and returning one array (no list
        pytrees). The call is remembered as ``predict_hit`` (input shape, batch_size, dtype, weights
        version, runner): repeating it — batch-1 serving — costs a few comparisons and the jitted call.
        """
        spec = self._fns.get("predict_spec")
        if spec is None:
            if self._input_types is None or len(self._input_types) != 1 or None in self._input_types[0].shape[1:]:
                return None
            t = self._input_types[0]
            spec = self._fns["predict_spec"] = (tuple(t.shape[1:]), np.dtype(t.dtype), self._predict_single())
        shape, dtype, single = spec
        if x.shape[1:] != shape or x.dtype != dtype or _distribution_lib.in_use():
            return None
        n = x.shape[0]
        rows = batch_size or (32 if n >= 32 else _bucket(n))
        if n > rows or n == 0:
            return None
        traced, p, st = self._inference_weights(None)
        version = Variable.version
        if single is not None:
            pv, sv = tuple(p.values()), tuple(st.values())

            def run(x):
                out = np.asarray(single(pv, sv, x if n == rows else data_mod._fill(x, slice(0, n), rows)))
                return out if n == rows else out[:n]
        else:
            predict_fn, treedef = self._predict_fn(), traced.out_treedef

            def run(x):
                outs = predict_fn(p, st, [x if n == rows else data_mod._fill(x, slice(0, n), rows)])
                return jax.tree_util.tree_unflatten(treedef, [np.asarray(o)[:n] for o in outs])
        with self._stats.collect("predict"):
            out = run(x)
        if Variable.version == version:               # weights as they were read (no concurrent change)
            self._fns["predict_hit"] = (x.shape, batch_size, x.dtype, version, run)
        return out

    # -- single batches ---------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=self._loss_spec is not None,
                                      class_weight=class_weight)
        dist = _current_distribution()
        traced = self.trace(training=True)
        p, fz, st = self._weights(traced, dist)
        self._ensure_optimizer_state(p, dist)
        ls = self._ensure_loss_scale(dist)
        init_metrics, result_metrics = self._metric_fns()
        shards = dist.num_model_replicas if dist is not None else 1
        coupled = bool(traced.graph.updates)
        batcher = data_mod.Batcher(xs, ys, sw, n if coupled else data_mod.padded_rows(n, shards))
        args = self._place(batcher.single(slice(0, n), pad=not coupled), dist)
        step = int(np.asarray(self._opt_state.get("iterations", 0))) if isinstance(self._opt_state, dict) else 0
        opt = self._opt_state
        fn = self._train_fn(1)
        try:
            with self._stats.collect("train"):
                if ls is None:
                    p, st, opt, ms = fn(p, fz, st, opt, init_metrics(), *args, step_key(next_seed()),
                                        np.int32(step), self._lr_arg())
                else:
                    p, st, opt, ms, ls = fn(p, fz, st, opt, init_metrics(), *args, step_key(next_seed()),
                                            np.int32(step), self._lr_arg(), ls)
        finally:
            self._opt_state = opt
            self._loss_scale = ls
            self._store(traced.variables, p, st)
        return self._format_logs(result_metrics(ms), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics of one batch, without updating anything."""
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=True)
        return self._format_logs(self._evaluate_arrays(xs, ys, sw, n), return_dict)

    def predict_on_batch(self, x):
        """Model outputs for one batch."""
        xs, _, _, n = self._prepare(x)
        return self.predict(xs if len(xs) > 1 else xs[0], batch_size=n, verbose=0)

    @staticmethod
    def _format_logs(logs, return_dict):
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- introspection -------------------------------------------------------------------------
    def compile_stats(self) -> dict:
        """Traces, lowerings and XLA compilations (count and seconds) per mode: train/evaluate/predict."""
        return self._stats.as_dict()

    def get_metrics_result(self) -> dict:
        return dict(self.history.history) if self.history else {}


def _strings(spec) -> list[str]:
    """Every string inside a (nested list/dict) loss or metrics spec."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        spec = list(spec.values())
    if isinstance(spec, (list, tuple)):
        return [s for item in spec for s in _strings(item)]
    return []


def _current_distribution():
    return _distribution_lib.distribution()


def _units(batches: list, k: int, scan: bool, coupled: bool, batch_size: int, n: int) -> list:
    """An epoch's dispatches: ("scan", up to k batches) or ("single", [one batch])."""
    if not scan:
        return [("single", [b]) for b in batches]
    units = []
    for i in range(0, len(batches), k):
        group = batches[i:i + k]
        if coupled and any(data_mod.Batcher._size(b, n) != batch_size for b in group):
            units.extend(("single", [b]) for b in group)     # a short batch of a coupled graph runs alone
        else:
            units.append(("scan", group))
    return units


def step_key(seed: int):
    """The raw key data the train step takes (see ``Trainer._train_fn``)."""
    return jax.random.key_data(jax.random.key(seed))


def _bucket(n: int) -> int:
    """The next power of two >= n (at least 1): predict's padded size for small inputs."""
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


def _leaf_layers(model) -> list:
    """Every layer below ``model`` (depth first), without the model itself."""
    out, seen, stack = [], {id(model)}, list(reversed(getattr(model, "_layers", [])))
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        stack.extend(reversed(getattr(layer, "_layers", [])))
    return out


def _opt_shardings(opt_state, p_sh: dict, replicated):
    """Optimizer-state shardings: a slot entry named like a parameter follows that parameter's sharding."""
    def pick(path, leaf):
        name = getattr(path[-1], "key", None) if path else None
        sh = p_sh.get(name) if isinstance(name, str) else None
        if sh is not None and len(path) >= 2 and len(getattr(sh, "spec", ())) <= np.ndim(leaf):
            return sh
        return replicated
    return jax.tree_util.tree_map_with_path(pick, opt_state)


def _next_loss_scale(ls: dict, finite):
    """Keras's dynamic loss scaling: halve on a non-finite step, double after 2000 finite steps in a row."""
    good = jnp.where(finite, ls["good_steps"] + 1, 0)
    grow = good >= LOSS_SCALE_GROWTH_STEPS
    scale = jnp.where(finite, jnp.where(grow, ls["scale"] * 2.0, ls["scale"]), jnp.maximum(ls["scale"] * 0.5, 1.0))
    return {"scale": scale, "good_steps": jnp.where(grow, 0, good).astype(jnp.int32)}


def _stacked_budget() -> int:
    """Bytes of stacked batches ``lax.scan`` may hold: 1/16 of device memory (CPU: of RAM, <= 512 MiB)."""
    try:
        limit = (jax.devices()[0].memory_stats() or {}).get("bytes_limit")
    except Exception:                                  # noqa: BLE001 - backends without memory stats
        limit = None
    if limit:
        return int(limit) // 16
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return min(512 << 20, ram // 16)


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB"
