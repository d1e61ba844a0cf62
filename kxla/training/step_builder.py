"""The step builder: the model's IR lowered once per mode and jitted as pure train / test / predict steps.

A train step is ``step(p, fz, st, opt, ms, xs, ys, sw, mask, key, step0, lr[, ls])`` returning
``(p, st, opt, ms[, ls])``: forward, loss, ``value_and_grad``, optimizer update, constraints and
metric update, with params, state, optimizer and metric state donated. ``k > 1`` scans ``k``
stacked batches in one dispatch. A test step updates the metric state; a predict step returns
the outputs. A model overriding ``train_step`` / ``test_step`` / ``predict_step`` (Keras 3's
JAX-backend contract) gets the same jitted shell around its own step (``custom_step``).

Everything built is kept in a ``StepCache``: typed fields, keyed by what the step depends on
(training mode and trainable flags, ``k``, the distribution).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from ..distribution import distribution_lib as _distribution_lib
from ..lowering import lower
from . import custom_step

LOSS_SCALE_INITIAL = 2.0 ** 15     # Keras's LossScaleOptimizer defaults
LOSS_SCALE_GROWTH_STEPS = 2000


class Lowered(NamedTuple):
    """The traced model, its lowered function ``fn(params, state, xs, rng, training)`` and the graph run."""

    traced: object
    fn: Callable
    graph: object


class MetricFns(NamedTuple):
    init: Callable          # () -> fresh metric state on the device
    result: Callable        # state -> {log name: float}, loss first


class SinglePredict(NamedTuple):
    """The single-array predict program and the parameter / state names its weight tuples follow."""
    fn: object
    p_names: tuple
    st_names: tuple

    def weights(self, p: dict, st: dict) -> tuple:
        """``(pv, sv)`` in the program's order (never the dicts' own order: frozen weights sort apart)."""
        return tuple(p[n] for n in self.p_names), tuple(st[n] for n in self.st_names)


@dataclass
class PredictHit:
    """predict()'s last call, remembered: the same call again costs a few comparisons and the program."""

    shape: tuple
    batch_size: object
    dtype: object
    version: tuple
    run: Callable


@dataclass
class StepCache:
    """Every compiled piece of one model (cleared by ``compile`` and by layer changes)."""

    lowered: dict = field(default_factory=dict)     # (training, trainable flags) -> Lowered
    train: dict = field(default_factory=dict)       # (k, distribution id, custom+weighted) | ("lean", random)
    test: dict = field(default_factory=dict)        # distribution id -> jitted test step
    predict: dict = field(default_factory=dict)     # "list" | "single" -> jitted predict program
    predict_spec: tuple | None = None               # (feature shape, dtype, single program)
    predict_hit: PredictHit | None = None
    metrics: dict = field(default_factory=dict)     # "train" | "test" -> MetricFns
    opt_init: dict = field(default_factory=dict)    # trainable names -> jitted optimizer.init
    lr: tuple | None = None                         # (rate, distribution, device scalar)
    inference: tuple | None = None                  # (version key, distribution, traced, p, st)
    draws: bool | None = None                       # the inference graph draws random numbers


def overrides_step(model, kind: str) -> bool:
    """Whether the model overrides ``{kind}_step`` (Keras 3's JAX-backend custom step)."""
    return custom_step.overrides(model, f"{kind}_step")


def current_distribution():
    return _distribution_lib.distribution()


def step_key(seed: int):
    """The raw key data the train step takes: a plain uint32 array flattens in JAX's C++ dispatch."""
    return jax.random.key_data(jax.random.key(seed))


def draw_key(key, index):
    """The key of one evaluate / predict batch: the call's key (raw data, drawn from the seed state
    once per call) folded with the batch index; None (no key) for graphs that draw nothing."""
    return None if key is None else jax.random.fold_in(jax.random.wrap_key_data(key), index)


def dist_id(dist):
    return id(dist) if dist is not None else None


class StepBuilder:
    """Mixin of ``Trainer``: builds and caches the jitted steps."""

    def _lowered(self, training: bool) -> Lowered:
        key = (training, tuple(w.trainable for w in self.weights))
        found = self._cache.lowered.get(key)
        if found is None:
            traced = self.trace(training)
            graph = self._run_pipeline(traced.graph, training)
            found = self._cache.lowered[key] = Lowered(traced, lower(graph), graph)
        return found

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

    def _policy_passes(self) -> list[str]:
        """``mixed-precision{...}`` pass texts for the layers' dtype policies (empty for float32 models)."""
        from ..config import DTypePolicy
        mixed, plain = {}, set()
        for layer in leaf_layers(self):
            policy = getattr(layer, "dtype_policy", None)
            if isinstance(policy, DTypePolicy) and policy.is_mixed:     # a quantized policy: its float source's
                mixed.setdefault(getattr(policy, "source_name", None) or policy.name, set()).add(layer.name)
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
        from ..optimizers import LossScaleOptimizer
        if isinstance(self.optimizer, LossScaleOptimizer):       # the optimizer scales the loss itself
            return False
        return getattr(self, "_auto_scale_loss", True) and any(
            isinstance(getattr(l, "dtype_policy", None), DTypePolicy) and
            l.dtype_policy.needs_loss_scaling for l in leaf_layers(self))

    def _split(self, traced):
        """Variables of the traced graph: (trainable params, frozen params, state). A model with its own
        step also gets the variables its graph does not read (Keras hands such a step every variable of
        the model: a distiller's teacher, for one)."""
        params, frozen, state = [], [], []
        for v, var in zip(traced.graph.params + traced.graph.state, traced.variables):
            (state if v.kind == "state" else params if v.trainable else frozen).append(var)
        if any(overrides_step(self, kind) for kind in ("train", "test", "predict")):
            read = {id(var) for var in traced.variables}
            for var in self.weights:
                if id(var) not in read:
                    (state if var.kind == "state" else params if var.trainable else frozen).append(var)
        return params, frozen, state

    # -- metrics ------------------------------------------------------------------------------
    def _metric_fns(self, kind: str = "test") -> MetricFns:
        """Metric state init/result for the ``kind`` ("train"/"test") step (a custom step's own)."""
        if overrides_step(self, kind):
            if kind not in self._cache.metrics:
                self._cache.metrics[kind] = custom_step.metric_fns(self, None)
            return self._cache.metrics[kind]
        if "builtin" not in self._cache.metrics:
            objs = self._metric_objects()
            order = list(objs)       # loss first, then metrics in compile order (jit sorts dict keys)
            init = jax.jit(lambda: {k: m.init() for k, m in objs.items()})
            result = jax.jit(lambda s: tuple(objs[k].result(s[k]) for k in order))
            placed = {}

            def init_metrics():
                # one dispatch of the (cached) init program: cheaper than putting host zeros on the device
                dist = current_distribution()
                if dist is None:
                    return init()
                fn = placed.get(id(dist))
                if fn is None:
                    fn = placed[id(dist)] = jax.jit(init, out_shardings=dist.replicated())
                return fn()

            def fetch(state):
                values = jax.device_get(result(state))
                return {k: float(v) if v.ndim == 0 else v for k, v in zip(order, values)}

            self._cache.metrics["builtin"] = MetricFns(init_metrics, fetch)
        return self._cache.metrics["builtin"]

    # -- train --------------------------------------------------------------------------------
    def _train_fn(self, k: int = 1, weighted: bool = False):
        """The jitted train step (module docstring); ``k > 1``: ``lax.scan`` over ``k`` stacked batches.

        ``weighted``: the data has sample weights (a custom step then gets ``(x, y, sample_weight)``).
        """
        dist = current_distribution()
        custom = overrides_step(self, "train")
        key = (k, dist_id(dist), custom and weighted)
        if key not in self._cache.train:
            if custom and gradient_state(self._lowered(True).graph):
                raise NotImplementedError(
                    "A custom train_step cannot train a model with float8-quantized layers in kxla: their "
                    "scales and amax histories are written by kxla's built-in step (Keras's optimizer writes "
                    "them from the gradients)")
            one_step = custom_step.train_step_fn(self, weighted) if custom else self._builtin_train_step()
            kw = {"out_shardings": self._step_out_shardings(dist)} if dist is not None and not custom else {}
            jitted = jax.jit(_steps(one_step, k), donate_argnums=(0, 2, 3, 4), **kw)
            self._cache.train[key] = custom_step.LogsStep(_steps(one_step, k), jitted, 4) if custom else jitted
        return self._cache.train[key]

    def _lean_train_fn(self, random: bool):
        """The built-in train step for full batches without sample weights, on one device, without
        loss scaling: ``step(p, fz, st, opt, ms, xs, ys, lr[, key, step0]) -> (p, st, opt, ms)``.

        No weights and no mask (the loss is the plain batch mean, as Keras computes it without
        sample weights), and no key for a graph that draws no random numbers: fewer arguments to
        dispatch and fewer operations per step than ``_train_fn``'s padded, masked step.
        """
        key = ("lean", random)
        if key not in self._cache.train:
            one_step = self._builtin_train_step()
            if random:
                def step(p, fz, st, opt, ms, xs, ys, lr, key, step0):
                    rng = jax.random.fold_in(jax.random.wrap_key_data(key), step0)
                    return one_step(p, fz, st, opt, ms, xs, ys, None, None, rng, lr, None)[:4]
            else:
                def step(p, fz, st, opt, ms, xs, ys, lr):
                    return one_step(p, fz, st, opt, ms, xs, ys, None, None, None, lr, None)[:4]
            self._cache.train[key] = jax.jit(step, donate_argnums=(0, 2, 3, 4))
        return self._cache.train[key]

    def _builtin_train_step(self):
        traced, fn, _ = self._lowered(True)
        n_out = traced.n_outputs
        optimizer = self.optimizer
        constraints = {v.ir_name: v.constraint for v in self._split(traced)[0] if v.constraint is not None}

        by_grad = gradient_state(self._lowered(True).graph)

        def one_step(p, fz, st, opt, ms, xs, ys, sw, mask, rng, lr, ls):
            scale = ls["scale"] if ls is not None else None

            def loss_fn(p, gst):
                outs, new_st = fn({**p, **fz}, {**st, **gst}, xs, rng=rng, training=True)
                preds = outs[:n_out]
                total, per_output = self._loss_terms(ys, preds, sw, mask)
                for reg in outs[n_out:]:
                    total = total + reg
                scaled = optimizer.scale_loss(total, opt)       # LossScaleOptimizer: loss * dynamic scale
                return (scaled * scale if scale is not None else scaled), (total, preds, new_st, per_output)

            gst = {n: st[n] for n in by_grad}
            (_, (loss, preds, new_st, per_output)), (grads, written) = jax.value_and_grad(
                loss_fn, argnums=(0, 1), has_aux=True)(p, gst)
            new_st = {**new_st, **written}       # state updated with its gradient (float8 scales, histories)
            if scale is not None:
                grads = jax.tree_util.tree_map(lambda g: g / scale.astype(g.dtype), grads)
            new_p, new_opt = optimizer.update(grads, p, opt, optimizer.step_rate(opt, lr))
            for name, c in constraints.items():
                new_p[name] = c(new_p[name])
            ms = self._update_metrics(ms, loss, per_output, ys, preds, sw, mask)
            if ls is None:
                return new_p, new_st, new_opt, ms, None
            return _scaled_update(grads, p, opt, new_p, new_st, new_opt, ms, ls)

        return one_step

    def _step_out_shardings(self, dist):
        """Output shardings of the train step: weights and optimizer slots as laid out, the rest replicated."""
        params_v, _, state_v = self._split(self._lowered(True).traced)
        p_sh = {v.ir_name: dist.variable_sharding(v) for v in params_v}
        st_sh = {v.ir_name: dist.variable_sharding(v) for v in state_v}
        opt_sh = opt_shardings(self._opt_state, p_sh, dist.replicated())
        repl = dist.replicated()
        return (p_sh, st_sh, opt_sh, repl) if not self._loss_scaling() else (p_sh, st_sh, opt_sh, repl, repl)

    # -- test and predict ---------------------------------------------------------------------
    def _inference_draws(self) -> bool:
        """Whether the inference graph draws random numbers (a layer drawing in ``call`` outside
        training): its test and predict steps then take ``key, index`` (``draw_key``)."""
        if self._cache.draws is None:
            from ..ir import get_op
            self._cache.draws = any(get_op(n.op).effect == "random" for n in self._lowered(False).graph.nodes)
        return self._cache.draws

    def _eval_fn(self, weighted: bool = False):
        """The jitted test step ``step(p, st, ms, xs, ys, sw, mask[, key, index]) -> ms`` (metric state
        donated; ``key, index`` for a graph that draws random numbers, see ``draw_key``)."""
        dist = current_distribution()
        custom = overrides_step(self, "test")
        key = (dist_id(dist), custom and weighted)
        if key not in self._cache.test:
            if custom:
                step = custom_step.test_step_fn(self, weighted)
                self._cache.test[key] = custom_step.LogsStep(step, jax.jit(step, donate_argnums=(2,)), 2)
                return self._cache.test[key]
            else:
                traced, fn, _ = self._lowered(False)
                n_out = traced.n_outputs

                def step(p, st, ms, xs, ys, sw, mask, key=None, index=None):
                    outs, _ = fn(p, st, xs, rng=draw_key(key, index), training=False)
                    preds = outs[:n_out]
                    total, per_output = self._loss_terms(ys, preds, sw, mask)
                    for reg in outs[n_out:]:
                        total = total + reg
                    return self._update_metrics(ms, total, per_output, ys, preds, sw, mask)

            kw = {"out_shardings": dist.replicated()} if dist is not None else {}
            self._cache.test[key] = jax.jit(step, donate_argnums=(2,), **kw)
        return self._cache.test[key]

    def _predict_single(self):
        """For a single-input single-output model, the predict program on one array (a ``SinglePredict``:
        ``single.fn(*single.weights(p, st), x[, key, index])`` — tuples in, one array out are the cheapest
        pytrees to flatten); None for other models (and for a custom ``predict_step``)."""
        if "single" not in self._cache.predict:
            traced, fn, _ = self._lowered(False)
            single = None
            if len(traced.graph.inputs) == 1 and traced.n_outputs == 1 and \
                    traced.out_treedef.num_leaves == 1 and not overrides_step(self, "predict"):
                p_names = tuple(v.ir_name for v in traced.variables if v.kind == "param")
                st_names = tuple(v.ir_name for v in traced.variables if v.kind == "state")
                single = SinglePredict(jax.jit(lambda pv, sv, x, key=None, index=None: fn(
                    dict(zip(p_names, pv)), dict(zip(st_names, sv)), [x], rng=draw_key(key, index),
                    training=False)[0][0]), p_names, st_names)
            self._cache.predict["single"] = single
        return self._cache.predict["single"]

    def _predict_fn(self):
        """The jitted predict step ``step(p, st, xs[, key, index]) -> list of outputs``."""
        if "list" not in self._cache.predict:
            if overrides_step(self, "predict"):
                self._cache.predict["list"] = jax.jit(custom_step.predict_step_fn(self))
            else:
                traced, fn, _ = self._lowered(False)
                n_out = traced.n_outputs
                self._cache.predict["list"] = jax.jit(
                    lambda p, st, xs, key=None, index=None: fn(p, st, xs, rng=draw_key(key, index),
                                                               training=False)[0][:n_out])
        return self._cache.predict["list"]


def gradient_state(graph) -> list:
    """Names of the state the train step overwrites with its gradient (``update="gradient"``)."""
    return [v.name for v in graph.state if v.attrs.get("update") == "gradient"]


def _steps(one_step, k: int):
    """The step as jitted: one batch, or ``lax.scan`` of ``one_step`` over ``k`` stacked batches."""
    def step(p, fz, st, opt, ms, xs, ys, sw, mask, key, step0, lr, ls=None):
        key = jax.random.wrap_key_data(key)
        if k == 1:
            out = one_step(p, fz, st, opt, ms, xs, ys, sw, mask, jax.random.fold_in(key, step0), lr, ls)
            return out[:4] if ls is None else out

        def body(carry, batch):
            cp, cst, copt, cms, cls = carry
            i, bx, by, bsw, bmask = batch
            new = one_step(cp, fz, cst, copt, cms, bx, by, bsw, bmask, jax.random.fold_in(key, step0 + i), lr, cls)
            active = jnp.sum(bmask) > 0          # fully padded steps leave everything unchanged
            return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, carry), None

        carry, _ = jax.lax.scan(body, (p, st, opt, ms, ls), (jnp.arange(k), xs, ys, sw, mask))
        return carry[:4] if ls is None else carry
    return step


def _scaled_update(grads, p, opt, new_p, new_st, new_opt, ms, ls):
    """Dynamic loss scaling: a non-finite step changes no weight and halves the scale."""
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(g)) for g in jax.tree_util.tree_leaves(grads)]))
    keep = lambda new, old: jax.tree_util.tree_map(lambda a, b: jnp.where(finite, a, b), new, old)
    return keep(new_p, p), new_st, keep(new_opt, opt), ms, next_loss_scale(ls, finite)


def next_loss_scale(ls: dict, finite):
    """Keras's dynamic loss scaling: halve on a non-finite step, double after 2000 finite steps in a row."""
    good = jnp.where(finite, ls["good_steps"] + 1, 0)
    grow = good >= LOSS_SCALE_GROWTH_STEPS
    scale = jnp.where(finite, jnp.where(grow, ls["scale"] * 2.0, ls["scale"]), ls["scale"] * 0.5)
    return {"scale": scale, "good_steps": jnp.where(grow, 0, good).astype(jnp.int32)}


def opt_shardings(opt_state, p_sh: dict, replicated):
    """Optimizer-state shardings: a slot entry named like a parameter follows that parameter's sharding."""
    def pick(path, leaf):
        name = getattr(path[-1], "key", None) if path else None
        sh = p_sh.get(name) if isinstance(name, str) else None
        if sh is not None and len(path) >= 2 and len(getattr(sh, "spec", ())) <= jnp.ndim(leaf):
            return sh
        return replicated
    return jax.tree_util.tree_map_with_path(pick, opt_state)


def leaf_layers(model) -> list:
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
