"""The training loop: ``fit`` runs the builder's train step over the epoch iterator's batches.

Per batch Python slices the next batch and dispatches the step; the step's
outputs are committed to the model's ``ModelState`` (three dict swaps), so
the default configuration — the progress bar, a ``ModelCheckpoint`` — costs
no write-back. Callbacks are called in Keras's order with Keras's logs
(``on_train_batch_begin/end`` around every step, or every ``k`` steps with
``steps_per_execution=k``; validation runs ``on_test_begin/batch/end``
before ``on_epoch_end``). Batch logs are fetched from the device only when a
callback reads them. On accelerators a background thread prepares the next
batches (``data.Prefetcher``); on CPU they are prepared inline.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from .. import config as _config
from ..console import print_msg
from ..utils.traceback_utils import filter_traceback
from ..ir import get_op
from ..seeding import next_seed
from . import compile_stats as _compile_stats_mod
from . import data as data_mod
from . import plan as plan_mod
from . import validation
from .epoch_iterator import ArrayCursor, first_batches
from .epoch_loop import EpochLoop, LazyLogs  # noqa: F401 - LazyLogs re-exported
from .state import interrupt_guard
from .step_builder import MetricFns, current_distribution, overrides_step, step_key

PREFETCH_DEPTH = 2                 # batches prepared ahead of the running step on accelerators


@dataclass
class FitRun:
    """What one ``fit`` call holds across epochs."""

    dist: object
    traced: object
    batcher: data_mod.Batcher
    coupled: bool                 # the step couples a batch's samples (batch statistics): never pad
    plan: plan_mod.ExecutionPlan
    depth: int                    # prefetch depth (0: inline)
    rng_key: object
    fixed_step: object            # a device scalar step index for graphs without random ops, else None
    train_1: object
    train_k: object
    lean: object                  # the lean step for full, unweighted batches on one device, or None
    metrics: MetricFns
    steps: int
    step_count: int = 0
    cursor: ArrayCursor | None = None


class Loop(EpochLoop):
    """Mixin of ``Trainer``: ``fit``."""

    @filter_traceback
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` epochs (Keras 3 signature); returns a ``History``."""
        from ..callbacks import History
        self._require_compiled("fit")
        validation.check_batch_size(batch_size)
        validation.check_batch_size(validation_batch_size, "validation_batch_size")
        epochs, steps_per_epoch = _config.capped_epochs(epochs), _config.capped_steps(steps_per_epoch)
        if validation_data is not None or validation_split:
            validation_steps = _config.capped_steps(validation_steps)
        data = self._fit_data(x, y, sample_weight, class_weight, batch_size, shuffle, steps_per_epoch,
                              validation_split, validation_data, validation_steps)
        if data.val is not None:   # Keras's validation_steps over arrays: the first batches
            data = data._replace(val=first_batches(data.val, validation_steps, validation_batch_size or data.batch_size))
        verbose = 1 if verbose == "auto" else int(verbose)
        steps = data.steps_per_epoch or data_mod.num_batches(data.train.n, data.batch_size)
        history = History()
        cblist = self._callback_list(callbacks, verbose, {"epochs": epochs, "steps": steps, "verbose": verbose},
                                     extra=[history])
        run = self._fit_run(data.train, data.batch_size, steps)
        if data.steps_per_epoch:
            run.cursor = ArrayCursor(data.train.n, data.batch_size, data.shuffle, data.steps_per_epoch)
        store = self._model_state
        stats_before = self._stats.as_dict()
        self.stop_training = False
        logs, train = {}, data.train
        with interrupt_guard(store):
            cblist.on_train_begin({})
            initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch   # BackupAndRestore, as Keras
            for epoch in range(initial_epoch, epochs):
                if data.source is not None and epoch > initial_epoch:
                    train = self._next_epoch(data.source, class_weight)
                    if train is None:
                        _warn_ran_out()
                        break
                    run.batcher = self._batcher(train, data.batch_size, run.dist)
                cblist.on_epoch_begin(epoch, {})
                ms = self._train_epoch(run, cblist, train.n, data.batch_size, data.shuffle)
                logs = run.metrics.result(ms)
                self._keep_metric_state("train", ms)
                if data.val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(data.val, validation_batch_size or data.batch_size, cblist)
                    logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cblist.on_epoch_end(epoch, logs)
                if verbose and epoch == initial_epoch:
                    self._print_compile_summary(stats_before, run.plan)
                if self.stop_training:
                    break
        if getattr(self.optimizer, "use_ema", False) and epochs > 0:
            self.optimizer.finalize_variable_values(self.trainable_weights)    # Keras: the EMA weights
        cblist.on_train_end(logs)
        return history

    def _callback_list(self, callbacks, verbose, params, extra=(), run="fit"):
        """Keras's CallbackList: the user's callbacks, ``extra`` (fit's History), then a ``ProgbarLogger``
        when ``verbose`` (unless one was given); ``run`` ("fit", "evaluate", "predict") tells the bar
        which batch hooks draw."""
        from ..callbacks import CallbackList, ProgbarLogger
        cbs = list(callbacks or []) + list(extra)          # Keras's order: yours, History, the bar
        bars = [cb for cb in cbs if isinstance(cb, ProgbarLogger)]
        if verbose and not bars:
            bars = [ProgbarLogger()]
            cbs.append(bars[0])
        for bar in bars:
            bar._run = run
        return CallbackList(cbs, self, params)

    def _fit_run(self, train, batch_size, steps) -> FitRun:
        dist = current_distribution()
        traced, _, graph = self._lowered(True)
        coupled = self._couples_samples(traced)
        batcher = self._batcher(train, batch_size, dist)
        if coupled and batcher.rows != batch_size:
            raise ValueError(f"batch_size={batch_size} does not split over the {dist.num_model_replicas} "
                             "data-parallel devices, and this model's training step uses batch statistics (it "
                             "updates state, e.g. BatchNormalization), so kxla cannot pad it; use a batch size "
                             f"divisible by {dist.num_model_replicas}")
        depth = self._prefetch_depth()
        plan = self._execution_plan(self.steps_per_execution, graph, batcher.bytes_per_batch(), depth)
        self.execution_plan = plan
        random = any(get_op(node.op).effect == "random" for node in graph.nodes)
        fixed = None if random else jax.device_put(np.int32(0), dist.replicated() if dist else None)
        self._bind_training_state(traced, dist)
        weighted = train.sw is not None
        train_1 = self._train_fn(1, weighted)
        train_k = self._train_fn(plan.k, weighted) if plan.mode == "scan" else train_1
        lean = None
        if dist is None and not weighted and plan.mode != "scan" and not overrides_step(self, "train") and \
                self._model_state.loss_scale is None:
            lean = self._lean_train_fn(random)
        return FitRun(dist, traced, batcher, coupled, plan, depth, step_key(next_seed()), fixed, train_1, train_k,
                      lean, self._metric_fns("train"), steps)

    def _execution_plan(self, k: int, graph, batch_bytes: int, prefetch: int) -> plan_mod.ExecutionPlan:
        """``plan.execution_plan`` for this model's ``compile(execution=...)``."""
        return plan_mod.execution_plan(self._execution, k, graph, batch_bytes, prefetch)

    def _batcher(self, data, batch_size, dist):
        shards = dist.num_model_replicas if dist is not None else 1
        return data_mod.Batcher(data.xs, data.ys, data.sw, data_mod.padded_rows(batch_size, shards),
                                put=self._mask_put(dist))

    def _lr_arg(self, dist=None):
        """The learning rate argument: a device scalar, put again only when the rate changes."""
        lr = self.optimizer.step_rate_value()        # a MultiOptimizer's: a tuple, one rate per inner optimizer
        cached = self._cache.lr
        if cached is None or cached[0] != lr or cached[1] is not dist:
            cached = self._cache.lr = (lr, dist, jax.device_put(np.asarray(lr, np.float32),
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

        Without a distribution and without the prefetch thread, numpy arrays go to the step as
        they are (the jitted call transfers them). Arrays already on the device (the mask of a
        full batch, placed once) are left where they are.
        """
        if dist is None:
            return jax.device_put(args) if threaded else args
        if jax.process_count() > 1:        # each process holds its own slice of the global batch
            return jax.tree_util.tree_map(
                lambda a: a if isinstance(a, jax.Array) else
                jax.make_array_from_process_local_data(dist.batch_sharding(a.ndim, stacked), a), args)
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
            print_msg(line)


def _warn_ran_out():
    import warnings
    warnings.warn("Your input ran out of data; interrupting training. Make sure the generator can yield "
                  "steps_per_epoch * epochs batches.")
