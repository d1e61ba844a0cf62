"""The ``Trainer`` mixin of ``Model``: Keras 3's ``compile`` / ``fit`` / ``evaluate`` / ``predict``.

The pieces live in their own modules: ``step_builder`` (the pure, jitted
train / test / predict steps), ``loop`` (fit's loop: execution plan,
prefetch, callbacks), ``inference`` (evaluate and predict), ``epoch_iterator``
(user data to checked arrays), ``plan`` (``steps_per_execution``), ``state``
(the model-owned ``ModelState`` its Variables view, and the SIGINT guard) and
``custom_step`` (a model's own ``train_step``). This module keeps
``compile``, the compiled loss and metrics, and the single-batch methods.

A ragged last batch is padded to the batch size and masked (loss and metrics
weighted so the result equals the unpadded computation), so it costs no
second compilation — except for graphs whose training step couples the
samples of a batch (they update state, e.g. BatchNorm batch statistics),
where padding would change the numbers: those compile the short batch too.
With a ``kxla.distribution`` set, weights and batches are placed with
``NamedSharding`` and XLA (GSPMD) partitions the same step. A mixed dtype
policy adds the ``mixed-precision`` pass to the pipelines; ``mixed_float16``
adds dynamic loss scaling to the step.
"""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ..seeding import next_seed
from . import compile_utils
from . import data as data_mod
from .compile_stats import CompileStats
from .custom_step import overrides
from .epoch_iterator import EpochIterator
from .inference import Inference
from .loop import Loop
from .metrics_api import MetricsAPI
from .plan import ExecutionPlan  # noqa: F401 - re-exported
from .state import ModelState, StateOwner, interrupt_guard, raise_pending
from .stateless import Stateless
from .step_builder import StepBuilder, StepCache, current_distribution, step_key

warnings.filterwarnings("ignore", message="Some donated buffers were not usable")


class Trainer(StateOwner, StepBuilder, EpochIterator, Loop, Inference, Stateless, MetricsAPI):
    """Mixin giving ``Model`` Keras 3's training API."""

    def __init__(self):
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._stats = CompileStats()
        self._cache = StepCache()
        self._model_state = ModelState()
        self._passes = "default"
        self.steps_per_execution = 1
        self._execution = "auto"
        self._prefetch = "auto"
        self.execution_plan = None

    def _invalidate(self):
        self._cache = StepCache()

    def _require_compiled(self, what: str):
        if not getattr(self, "compiled", False):
            raise ValueError("You must call `compile()` before using the model.")

    def _custom_train_step(self) -> bool:
        return overrides(self, "train_step")

    def _couples_samples(self, traced) -> bool:
        """Whether a training step mixes a batch's samples, so a short batch must not be padded.

        State updates (batch statistics), ``add_loss`` terms computed from activations (a mean over
        the batch would count the padded rows) and a custom ``train_step`` all do.
        """
        batch_losses = traced.n_losses - len(self._regularized_weights())
        return bool(traced.graph.updates) or batch_losses > 0 or self._custom_train_step()

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
        compile_utils.check_compile_args(loss_weights, metrics, weighted_metrics, jit_compile, auto_scale_loss)
        self.jit_compile, self._auto_scale_loss = True, bool(auto_scale_loss)
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
        self._model_state.loss_scale = None
        self._losses_mod, self._metrics_mod = losses_mod, metrics_mod
        # resolve loss and metric names now so typos fail here, before any compilation
        for spec in _strings(loss):
            losses_mod.get(spec)
        for spec in _strings(metrics) + _strings(weighted_metrics):
            metrics_mod.get(spec)
        self._resolved = None
        self._model_state.optimizer = None
        self._invalidate()
        self.compiled = True

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
        """The compiled loss and metrics (``compile_utils.Resolved``), built once per compile."""
        if not getattr(self, "compiled", False):
            raise ValueError("You must call `compile()` before using the model.")
        if self._resolved is not None:
            return self._resolved
        self._resolved = compile_utils.resolve(self._loss_spec, self._loss_weights_spec, self._metrics_spec,
                                               self._weighted_metrics_spec, self._output_names())
        return self._resolved

    def _loss_terms(self, ys, preds, sw, mask):
        return self._resolve().loss(ys, preds, sw, mask)

    def _update_metrics(self, mstate, loss, per_output, ys, preds, sw, mask):
        return self._resolve().metrics.update(mstate, loss, per_output, ys, preds, sw, mask)

    def _metric_objects(self):
        metrics = self._resolve().metrics
        if metrics.unbuilt() and getattr(self, "_input_types", None) is not None:
            metrics.build_from(self._output_shapes())      # Keras builds them on the first batch
        return metrics.objects()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Keras 3's ``compute_loss``: the compiled loss (each output's ``Loss`` object, weighted) plus
        the ``add_loss`` and regularization terms of the last ``stateless_call`` in this trace."""
        ys, preds = self._flat_targets(y), self._flat_outputs(y_pred)
        total, _ = self._loss_terms(ys, preds, sample_weight, None)
        for reg in getattr(self, "_regularization", []):
            total = total + reg
        return total

    def stateless_update_metrics(self, metrics_state: dict, loss, y, y_pred, sample_weight=None):
        """Metric state (a dict by log name) updated with this batch, loss tracker included."""
        ys, preds = self._flat_targets(y), self._flat_outputs(y_pred)
        _, per_output = self._loss_terms(ys, preds, sample_weight, None)
        return self._update_metrics(metrics_state, loss, per_output, ys, preds, sample_weight, None)

    def _flat_targets(self, y):
        return list(y) if isinstance(y, (list, tuple)) else [y]

    def _flat_outputs(self, y_pred):
        return jax.tree_util.tree_leaves(y_pred)

    # -- single batches ---------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        xs, ys, sw, n = self._prepare(x, y, sample_weight, need_y=self._loss_spec is not None,
                                      class_weight=class_weight)
        dist = current_distribution()
        traced = self._lowered(True).traced
        self._bind_training_state(traced, dist)
        metric_fns, store = self._metric_fns("train"), self._model_state
        shards = dist.num_model_replicas if dist is not None else 1
        coupled = self._couples_samples(traced)
        batcher = data_mod.Batcher(xs, ys, sw, n if coupled else data_mod.padded_rows(n, shards))
        args = self._place(batcher.single(slice(0, n), pad=not coupled), dist)
        fn = self._train_fn(1, sw is not None)
        with interrupt_guard(store), self._stats.collect("train"), store.lock:
            step = int(np.asarray(store.optimizer.get("iterations", 0))) if isinstance(store.optimizer, dict) else 0
            extra = () if store.loss_scale is None else (store.loss_scale,)
            store.busy = True
            out = fn(store.trainable, store.frozen, store.state, store.optimizer, metric_fns.init(), *args,
                     step_key(next_seed()), np.int32(step), self._lr_arg(dist), *extra)
            if extra:
                store.loss_scale = out[4]
            store.commit(out[0], out[1], out[2])
            store.busy = False
        raise_pending()
        return self._format_logs(metric_fns.result(out[3]), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics of one batch, without updating anything."""
        self._require_compiled("test_on_batch")
        data = self._prepare(x, y, sample_weight, need_y=True)
        return self._format_logs(self._evaluate_arrays(data, data.n), return_dict)

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



def _strings(spec) -> list[str]:
    """Every string inside a (nested list/dict) loss or metrics spec."""
    if isinstance(spec, str):
        return [spec]
    if isinstance(spec, dict):
        spec = list(spec.values())
    if isinstance(spec, (list, tuple)):
        return [s for item in spec for s in _strings(item)]
    return []


