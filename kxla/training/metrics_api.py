"""Keras 3's metric methods of ``Model``: ``compute_metrics``, ``get_metrics_result``, ``reset_metrics``.

The compiled step keeps its metric state as arrays (``step_builder``); after ``fit`` and
``evaluate`` the metric objects are given the final state, so ``model.metrics`` and
``get_metrics_result()`` read what Keras's would. ``compute_metrics(x, y, y_pred,
sample_weight)`` updates the compiled metrics (not the loss tracker) and returns
``get_metrics_result()``, as Keras does. Inside a custom ``train_step`` / ``test_step`` the
metric objects are bound to the step's ``metrics_variables`` (``custom_step.bound_metrics``), so
the call is pure there: a step that returns the ``metrics_variables`` it was given unchanged
gets the values ``compute_metrics`` wrote (Keras's JAX trainer reads them from its
``StatelessScope`` the same way).
"""
from __future__ import annotations

import jax
import numpy as np


class MetricsAPI:
    """Mixin of ``Trainer``."""

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with this batch; returns ``get_metrics_result()``."""
        del x                                     # as Keras's default: the inputs are not used
        compiled = self._resolve().metrics
        self._metric_objects()                    # builds the metrics sized from the data
        ys, preds = self._flat_targets(y), self._flat_outputs(y_pred)
        if len(ys) != len(preds):
            raise ValueError(f"compute_metrics: y holds {len(ys)} target(s) but y_pred {len(preds)} output(s)")
        for i, (yt, yp) in enumerate(zip(ys, preds)):
            if yt is None:
                continue
            sw = sample_weight[i] if isinstance(sample_weight, (list, tuple)) else sample_weight
            for m in compiled.unweighted[i]:
                m.update_state(yt, yp)
            for m in compiled.weighted[i]:
                m.update_state(yt, yp, sample_weight=sw)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """``{name: result}`` of every metric in ``model.metrics`` (Python floats for scalars, as
        Keras's ``pythonify_logs``; arrays stay arrays; traced values inside a step stay traced)."""
        out = {}
        for m in self.metrics:
            value = m.result()
            for k, v in (value.items() if isinstance(value, dict) else [(_log_name(m), value)]):
                out[k] = _pythonify(v)
        return out

    def reset_metrics(self) -> None:
        """Reset every metric's state (Keras 3's ``reset_metrics``)."""
        for m in self.metrics:
            m.reset_state()

    def _keep_metric_state(self, kind: str, ms) -> None:
        """Give the built-in step's final metric state to the metric objects (after fit / evaluate)."""
        from .step_builder import overrides_step
        if overrides_step(self, kind) or not isinstance(ms, dict):
            return
        for name, metric in self._metric_objects().items():
            if name in ms:
                metric.set_state(ms[name])


def _log_name(metric) -> str:
    return getattr(metric, "log_name", None) or metric.name


def _pythonify(v):
    if isinstance(v, jax.core.Tracer):
        return v
    arr = np.asarray(v)
    return float(arr) if arr.ndim == 0 else arr
