"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: the model's IR, lowered once per mode and jitted.

Per model there is one jitted train step (forward, loss, ``value_and_grad``,
optimizer update, constraints, metric update) with params, state, optimizer
state and metric state donated; an eval step; a predict step. Python does no
per-layer work per step: it slices numpy batches and calls the step.

A ragged last batch is padded to the batch size and masked (loss and metrics
weighted so the result equals the unpadded computation), so it costs no
second compilation — except for graphs whose training step couples the
samples of a batch (they update state, e.g. BatchNorm batch statistics),
where padding would change the numbers: those compile the short batch too.
"""
from __future__ import annotations

import math
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ..lowering import lower
from . import data as data_mod
from ..utils.random import next_seed, numpy_rng
from .compile_stats import CompileStats

warnings.filterwarnings("ignore", message="Some donated buffers were not usable")


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

    def _invalidate(self):
        self._fns.clear()

    # -- compile -------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True, passes="default"):
        """Configure training (Keras 3 signature) plus ``passes``: the IR pipeline, or None/"none"."""
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
        self._passes = passes
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
    def _run_pipeline(self, graph, training: bool):
        passes = self._passes
        if passes is None or passes == "none":
            return graph
        from .. import passes as passes_mod
        if passes == "default":
            passes = passes_mod.TRAINING_PIPELINE if training else passes_mod.INFERENCE_PIPELINE
        return passes_mod.PassManager(passes).run(graph)

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
            self._fns["metrics_init"] = jax.jit(lambda: {k: m.init() for k, m in objs.items()})
            result = jax.jit(lambda s: {k: m.result(s[k]) for k, m in objs.items()})
            order = list(objs)       # loss first, then metrics in compile order (jit sorts dict keys)

            def fetch(state):
                values = jax.device_get(result(state))
                return {k: float(values[k]) for k in order}

            self._fns["metrics_result"] = fetch
        return self._fns["metrics_init"], self._fns["metrics_result"]

    def _train_fn(self, k: int = 1):
        key = ("train", k)
        if key in self._fns:
            return self._fns[key]
        traced, fn, _ = self._lowered(True)
        params, frozen, state = self._split(traced)
        n_out = traced.n_outputs
        optimizer = self.optimizer
        schedule = not isinstance(optimizer.learning_rate, (int, float))
        constraints = {v.ir_name: v.constraint for v in params if v.constraint is not None}

        def one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr):
            def loss_fn(p):
                outs, new_st = fn({**p, **fz}, st, xs, rng=rng, training=True)
                preds = outs[:n_out]
                total, per_output = self._loss_terms(ys, preds, sw, mask)
                for reg in outs[n_out:]:
                    total = total + reg
                return total, (preds, new_st, per_output)

            (loss, (preds, new_st, per_output)), grads = jax.value_and_grad(loss_fn, has_aux=True)(p)
            rate = optimizer.current_learning_rate(opt) if schedule else lr
            new_p, new_opt = optimizer.update(grads, p, opt, rate)
            for name, c in constraints.items():
                new_p[name] = c(new_p[name])
            ms = self._update_metrics(ms, loss, per_output, ys, preds, sw, mask)
            return new_p, new_st, new_opt, ms

        def step(p, fz, st, opt, ms, xs, ys, sw, mask, key, step0, lr):
            if k == 1:
                return one_step(p, fz, st, opt, ms, xs, ys, sw, mask,
                                jax.random.fold_in(key, step0), lr)

            def body(carry, batch):
                i, bx, by, bsw, bmask = batch
                new = one_step(*carry[:2], carry[2], carry[3], carry[4], bx, by, bsw, bmask,
                               jax.random.fold_in(key, step0 + i), lr)
                active = jnp.sum(bmask) > 0          # fully padded steps leave everything unchanged
                full = (carry[0], carry[2], carry[3], carry[4])
                kept = jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, full)
                return (kept[0], carry[1], kept[1], kept[2], kept[3]), None

            carry, _ = jax.lax.scan(body, (p, fz, st, opt, ms),
                                    (jnp.arange(k), xs, ys, sw, mask))
            return carry[0], carry[2], carry[3], carry[4]

        jitted = jax.jit(step, donate_argnums=(0, 2, 3, 4))
        self._fns[key] = jitted
        return jitted

    def _eval_fn(self):
        if "eval" not in self._fns:
            traced, fn, _ = self._lowered(False)
            n_out = traced.n_outputs

            def step(p, st, ms, xs, ys, sw, mask):
                outs, _ = fn(p, st, xs, rng=None, training=False)
                preds = outs[:n_out]
                total, per_output = self._loss_terms(ys, preds, sw, mask)
                for reg in outs[n_out:]:
                    total = total + reg
                return self._update_metrics(ms, total, per_output, ys, preds, sw, mask)

            self._fns["eval"] = jax.jit(step, donate_argnums=(2,))
        return self._fns["eval"]

    def _predict_fn(self):
        if "predict" not in self._fns:
            traced, fn, _ = self._lowered(False)
            n_out = traced.n_outputs
            self._fns["predict"] = jax.jit(
                lambda p, st, xs: fn(p, st, xs, rng=None, training=False)[0][:n_out])
        return self._fns["predict"]

    # -- weights on device -------------------------------------------------------------
    def _device_arrays(self, variables) -> dict:
        """Current device arrays by IR name, reloading any Variable changed outside training."""
        arrays = self._arrays
        for var in variables:
            cur = arrays.get(var.ir_name)
            if cur is None or var._value is not cur:
                arrays[var.ir_name] = jnp.array(var._value)     # a copy: donation never eats user data
                var._value = arrays[var.ir_name]
        return arrays

    def _store(self, variables, *dicts):
        for d in dicts:
            self._arrays.update(d)
        for var in variables:
            var._value = self._arrays[var.ir_name]

    def _ensure_optimizer_state(self, params: dict):
        keys = tuple(sorted(params))
        if self._opt_state is None or self._opt_keys != keys:
            self._opt_state = self.optimizer.init(params)
            self._opt_keys = keys

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
        if steps_per_epoch is not None:
            raise ValueError("steps_per_epoch is only meaningful for generators, which this fit() call "
                             "did not receive; pass arrays and batch_size")
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
        traced = self.trace(training=True)
        variables = traced.variables
        params_v, frozen_v, state_v = self._split(traced)
        coupled = bool(traced.graph.updates)
        k = self.steps_per_execution
        train_k = self._train_fn(k)
        train_1 = self._train_fn(1) if k > 1 else train_k
        init_metrics, result_metrics = self._metric_fns()
        rng_key = jax.random.key(next_seed())
        arrays = self._device_arrays(variables)
        p = {v.ir_name: arrays[v.ir_name] for v in params_v}
        fz = {v.ir_name: arrays[v.ir_name] for v in frozen_v}
        st = {v.ir_name: arrays[v.ir_name] for v in state_v}
        self._ensure_optimizer_state(p)
        opt = self._opt_state
        self.stop_training = False
        step_count = 0
        cblist.on_train_begin({})
        logs = {}
        try:
            for epoch in range(initial_epoch, epochs):
                cblist.on_epoch_begin(epoch, {})
                ms = init_metrics()
                order = numpy_rng().permutation(n) if shuffle else None
                batches = list(data_mod.batch_slices(n, batch_size, order))
                b = 0
                while b < len(batches):
                    group = batches[b:b + k]
                    use_k = k > 1 and (not coupled or (len(group) == k and all(
                        _size(i, n) == batch_size for i in group)))
                    if not use_k:
                        group = [batches[b]]
                    fn = train_k if use_k else train_1
                    packed = [self._batch(xs, ys, sw, idx, batch_size, pad=not coupled) for idx in group]
                    while use_k and len(packed) < k:     # fully masked filler steps change nothing
                        packed.append(self._empty_like(packed[0]))
                    args = packed[0] if not use_k else self._stack(packed)
                    lr = np.float32(self.optimizer.learning_rate) \
                        if isinstance(self.optimizer.learning_rate, (int, float)) else np.float32(0)
                    if cblist.wants("on_train_batch_begin"):
                        cblist.on_train_batch_begin(b, {})
                    with self._stats.collect("train"):
                        p, st, opt, ms = fn(p, fz, st, opt, ms, *args, rng_key, np.int32(step_count), lr)
                    step_count += len(group)
                    b += len(group)
                    self._opt_state = opt
                    self._store(variables, p, st)
                    if cblist.wants("on_train_batch_end"):
                        cblist.on_train_batch_end(b - 1, _LazyLogs(lambda ms=ms: result_metrics(ms)))
                    if self.stop_training:
                        break
                logs = result_metrics(ms)
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*val, validation_batch_size or batch_size, cblist=None)
                    logs.update({f"val_{k_}": v for k_, v in val_logs.items()})
                cblist.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
                # a callback may have changed weights (restore_best_weights) or the optimizer
                arrays = self._device_arrays(variables)
                p = {v.ir_name: arrays[v.ir_name] for v in params_v}
                st = {v.ir_name: arrays[v.ir_name] for v in state_v}
                fz = {v.ir_name: arrays[v.ir_name] for v in frozen_v}
                opt = self._opt_state
        finally:
            self._opt_state = opt
            self._store(variables, p, st)
        cblist.on_train_end(logs)
        return history

    def _batch(self, xs, ys, sw, idx, batch_size, pad: bool):
        bx = [a[idx] for a in xs]
        by = [a[idx] if a is not None else None for a in ys] if ys is not None else []
        real = bx[0].shape[0]
        # always an array, so calls with and without sample weights share one compiled step
        bsw = sw[idx] if sw is not None else np.ones(bx[0].shape[0], np.float32)
        if pad and real < batch_size:
            bx = data_mod.pad_batch(bx, batch_size)
            by = [data_mod.pad_batch([a], batch_size)[0] if a is not None else None for a in by]
            bsw = data_mod.pad_batch([bsw], batch_size)[0]
            mask = np.zeros(batch_size, np.float32)
            mask[:real] = 1
        else:
            mask = np.ones(real, np.float32)
        return bx, by, bsw, mask

    @staticmethod
    def _empty_like(packed):
        bx, by, bsw, mask = packed
        return ([np.zeros_like(a) for a in bx], [np.zeros_like(a) if a is not None else None for a in by],
                np.zeros_like(bsw), np.zeros_like(mask))

    @staticmethod
    def _stack(packed):
        bx = [np.stack(parts) for parts in zip(*[p[0] for p in packed])]
        by = [np.stack(parts) if parts[0] is not None else None for parts in zip(*[p[1] for p in packed])]
        bsw = np.stack([p[2] for p in packed])
        return bx, by, bsw, np.stack([p[3] for p in packed])

    # -- evaluate / predict -----------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """Loss and metrics over ``x, y`` (Keras 3 signature)."""
        from ..callbacks import CallbackList, ProgbarLogger
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
        traced, _, _ = self._lowered(False)
        arrays = self._device_arrays(traced.variables)
        p = {var.ir_name: arrays[var.ir_name] for var in traced.variables
             if var.kind == "param"}
        st = {var.ir_name: arrays[var.ir_name] for var in traced.variables if var.kind == "state"}
        eval_fn = self._eval_fn()
        init_metrics, result_metrics = self._metric_fns()
        ms = init_metrics()
        n = xs[0].shape[0]
        if cblist is not None:
            cblist.on_test_begin({})
        for b, idx in enumerate(data_mod.batch_slices(n, batch_size)):
            bx, by, bsw, mask = self._batch(xs, ys, sw, idx, batch_size, pad=True)
            with self._stats.collect("evaluate"):
                ms = eval_fn(p, st, ms, bx, by, bsw, mask)
            if cblist is not None and cblist.wants("on_test_batch_end"):
                cblist.on_test_batch_end(b, _LazyLogs(lambda ms=ms: result_metrics(ms)))
        logs = result_metrics(ms)
        if cblist is not None:
            cblist.on_test_end(logs)
        return logs

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Model outputs for ``x`` as numpy arrays, computed batch by batch (Keras 3 signature)."""
        from ..callbacks import CallbackList, ProgbarLogger
        xs, _, _, n = self._prepare(x)
        batch_size = batch_size or 32
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = list(callbacks or []) + ([ProgbarLogger(verbose)] if verbose else [])
        cblist = CallbackList(cbs, self, {"steps": data_mod.num_batches(n, batch_size), "verbose": verbose})
        traced, _, _ = self._lowered(False)
        arrays = self._device_arrays(traced.variables)
        p = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "param"}
        st = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "state"}
        predict_fn = self._predict_fn()
        cblist.on_predict_begin({})
        chunks = []
        for b, idx in enumerate(data_mod.batch_slices(n, batch_size)):
            bx = [a[idx] for a in xs]
            real = bx[0].shape[0]
            if real < batch_size and n > batch_size:
                bx = data_mod.pad_batch(bx, batch_size)
            with self._stats.collect("predict"):
                outs = predict_fn(p, st, bx)
            chunks.append((outs, real))
            if cblist.wants("on_predict_batch_end"):
                cblist.on_predict_batch_end(b, {"outputs": outs})
        cblist.on_predict_end({})
        n_out = len(chunks[0][0])
        results = [np.concatenate([np.asarray(outs[i])[:real] for outs, real in chunks]) for i in range(n_out)]
        return jax.tree_util.tree_unflatten(traced.out_treedef, results)

    # -- single batches ---------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=self._loss_spec is not None,
                                      class_weight=class_weight)
        traced = self.trace(training=True)
        params_v, frozen_v, state_v = self._split(traced)
        arrays = self._device_arrays(traced.variables)
        p = {v.ir_name: arrays[v.ir_name] for v in params_v}
        fz = {v.ir_name: arrays[v.ir_name] for v in frozen_v}
        st = {v.ir_name: arrays[v.ir_name] for v in state_v}
        self._ensure_optimizer_state(p)
        init_metrics, result_metrics = self._metric_fns()
        bx, by, bsw, mask = self._batch(xs, ys, sw, slice(0, n), n, pad=False)
        lr = np.float32(self.optimizer.learning_rate) \
            if isinstance(self.optimizer.learning_rate, (int, float)) else np.float32(0)
        step = int(np.asarray(self._opt_state.get("iterations", 0))) if isinstance(self._opt_state, dict) else 0
        opt = self._opt_state
        try:
            with self._stats.collect("train"):
                p, st, opt, ms = self._train_fn(1)(p, fz, st, opt, init_metrics(), bx, by, bsw, mask,
                                                   jax.random.key(next_seed()), np.int32(step), lr)
        finally:
            self._opt_state = opt
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


def _size(idx, n: int) -> int:
    return len(range(*idx.indices(n))) if isinstance(idx, slice) else len(idx)
