"""The compiled loss and metrics: what Keras 3's ``CompileLoss`` / ``CompileMetrics`` do, as pure functions.

``CompileLoss`` calls each output's ``Loss`` object — so its ``reduction``
(``"sum"``, ``"sum_over_batch_size"``, ...), ``ignore_class`` and output masks
apply exactly as ``loss(y_true, y_pred, sample_weight)`` does — multiplies by
``loss_weights`` and sums. The padded rows of a ragged last batch travel as a
mask (Keras's mask semantics: masked entries do not count in the average), so
a padded batch gives the numbers of the unpadded one. ``add_loss`` terms and
weight regularizers (extra graph outputs) are added by the step, as Keras's
``compute_loss`` adds ``model.losses``.

``CompileMetrics`` resolves ``metrics`` / ``weighted_metrics`` per output as
Keras does (``"accuracy"`` by the shapes of labels and predictions; names
prefixed by the output name for multi-output models; a weighted metric whose
name is taken gets ``weighted_``): ``metrics`` ignore ``sample_weight`` (and
``class_weight``), ``weighted_metrics`` use it. With more than one loss, one
``<output>_loss`` mean per loss, as Keras.
"""
from __future__ import annotations

import jax.numpy as jnp

__all__ = ["CompileLoss", "CompileMetrics", "Resolved", "resolve", "per_output"]


def per_output(spec, names: list, what: str) -> list:
    """One entry of ``spec`` (a dict by output name, a list per output, or one value) per output."""
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"{what} has keys {sorted(unknown)} that are not model outputs {names}")
        return [spec.get(n) for n in names]
    if isinstance(spec, (list, tuple)) and len(names) > 1:
        if len(spec) != len(names):
            raise ValueError(f"{what} is a list of {len(spec)} entries but the model has "
                             f"{len(names)} outputs {names}")
        return list(spec)
    if isinstance(spec, (list, tuple)) and len(spec) == 1:
        return list(spec)
    return [spec] * len(names)


def check_compile_args(loss_weights, metrics, weighted_metrics, jit_compile, auto_scale_loss):
    """Keras's checks of ``compile``'s arguments, at ``compile`` (before the outputs are known)."""
    if loss_weights is not None and (isinstance(loss_weights, bool) or
                                     not isinstance(loss_weights, (list, tuple, dict, float, int))):
        _loss_weights(loss_weights, [])
    for arg, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if value and not isinstance(value, (list, tuple, dict)):
            raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. Received "
                             f"instead: {arg}={value!r} of type {type(value)}")
    if jit_compile is False:
        raise ValueError("kxla always compiles the step with XLA: jit_compile=False is not supported "
                         "(use kxla.debug.Interpreter to step through the graph)")
    if jit_compile not in ("auto", True):
        raise ValueError(f"jit_compile must be True or 'auto', got {jit_compile!r}")
    if not isinstance(auto_scale_loss, bool):
        raise ValueError(f"auto_scale_loss must be a bool, got {auto_scale_loss!r}")


def _loss_weights(spec, names: list) -> list:
    if spec is None:
        return [None] * len(names)
    if not isinstance(spec, (list, tuple, dict, float, int)) or isinstance(spec, bool):
        raise ValueError("Expected `loss_weights` argument to be a float (single output case) or a list, "
                         f"tuple, or dict (multiple output case). Received instead: loss_weights={spec!r} "
                         f"of type {type(spec)}")
    if isinstance(spec, (float, int)):
        return [float(spec)] * len(names)
    if isinstance(spec, dict):
        unknown = set(spec) - set(names)
        if unknown:
            raise ValueError(f"loss_weights has keys {sorted(unknown)} that are not model outputs {names}")
        return [None if spec.get(n) is None else float(spec[n]) for n in names]
    if len(spec) != len(names):
        raise ValueError(f"`loss_weights` must match the number of losses, got {len(names)} losses "
                         f"and {len(spec)} weights.")
    return [None if w is None else float(w) for w in spec]


class CompileLoss:
    """Per-output ``Loss`` objects and weights; ``__call__`` gives ``(total, [unweighted per output])``."""

    def __init__(self, loss, loss_weights, names: list, losses_mod):
        self.names = list(names)
        specs = per_output(loss, self.names, "loss") if loss is not None else [None] * len(self.names)
        self.losses = [losses_mod.get(s) if s is not None else None for s in specs]
        self.weights = _loss_weights(loss_weights, self.names)
        self.n_losses = sum(l is not None for l in self.losses)

    def __call__(self, ys, preds, sample_weight, mask):
        """The weighted sum of the output losses (float32) and each output's unweighted value.

        Arguments:
            ys, preds: lists per output (a None target skips its loss).
            sample_weight: None, one array for all outputs, or a list per output.
            mask: 0/1 float array over the batch (0 for the padded rows of a ragged batch), or None.
        """
        total, per = None, []
        for i, (y, p, loss, w) in enumerate(zip(ys, preds, self.losses, self.weights)):
            if loss is None or y is None:
                per.append(None)
                continue
            sw = sample_weight[i] if isinstance(sample_weight, (list, tuple)) else sample_weight
            valid = None if mask is None else jnp.asarray(mask) > 0
            value = jnp.asarray(loss(y, p, sample_weight=sw, mask=valid), jnp.float32)
            per.append(value)
            value = value if w is None else value * w
            total = value if total is None else total + value
        return (jnp.zeros((), jnp.float32) if total is None else total), per


class CompileMetrics:
    """The loss tracker, per-loss trackers and the compiled metrics, keyed by their log names."""

    def __init__(self, metrics, weighted_metrics, compile_loss: CompileLoss, metrics_mod):
        for arg, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, (list, tuple, dict)):
                raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. Received "
                                 f"instead: {arg}={value!r} of type {type(value)}")
        names = compile_loss.names
        self.multi = len(names) > 1
        self.unweighted = self._build(metrics, names, metrics_mod, "metrics")
        self.weighted = self._build(weighted_metrics, names, metrics_mod, "weighted_metrics")
        Mean = metrics_mod.Mean
        self.tracker = Mean(name="loss")
        self.tracker.log_name = "loss"
        self.loss_trackers = [None] * len(names)
        if compile_loss.n_losses > 1:
            for i, (name, loss) in enumerate(zip(names, compile_loss.losses)):
                if loss is not None:
                    self.loss_trackers[i] = Mean(name=f"{name}_loss")
                    self.loss_trackers[i].log_name = f"{name}_loss"
        self._name_logs(names)

    def _build(self, spec, names, metrics_mod, arg) -> list:
        if not spec:
            return [[] for _ in names]
        if len(names) == 1:
            flat = list(spec.values()) if isinstance(spec, dict) else spec
            groups = [_flatten(flat)]
        elif isinstance(spec, dict) and set(spec) <= set(names):
            groups = [_as_list(spec.get(n)) for n in names]
        elif isinstance(spec, (list, tuple)) and len(spec) == len(names):
            groups = [_as_list(s) for s in spec]
        else:
            raise ValueError(
                f"Invalid `{arg}`. `{arg}` should contain metrics objects and either be a dict or a list "
                f"matching the output names of the functional model {names} or match the output "
                f"structure of the model. Received: {arg}={spec!r}")
        return [[metrics_mod.get(s) for s in group] for group in groups]

    def _name_logs(self, names):
        seen = set()
        for group, name in zip(self.unweighted, names):
            for m in group:
                m.log_name = _unique(f"{name}_{m.name}" if self.multi else m.name, seen)
        for group, name in zip(self.weighted, names):
            for m in group:
                base = f"{name}_{m.name}" if self.multi else m.name
                if base in seen:
                    base = f"{name}_weighted_{m.name}" if self.multi else f"weighted_{m.name}"
                m.log_name = _unique(base, seen)

    def unbuilt(self) -> list:
        """``(output index, metric)`` of metrics sized from the data that have no variables yet
        (F1Score, FBetaScore, R2Score)."""
        return [(i, m) for i, group in enumerate(self.unweighted)
                for m in group + self.weighted[i] if getattr(m, "_built", True) is False]

    def build_from(self, output_shapes: list) -> None:
        """Build those metrics from the model's output shapes, as Keras builds them from the first
        batch (``y_true`` is taken to have the prediction's shape, as the compiled step checks)."""
        for i, m in self.unbuilt():
            shape = tuple(output_shapes[i])
            m.build(shape, shape)

    def objects(self) -> dict:
        """``{log name: metric}``: loss, the per-output losses, then the compiled metrics."""
        objs = {"loss": self.tracker}
        for m in self.loss_trackers:
            if m is not None:
                objs[m.log_name] = m
        for group in self.unweighted + self.weighted:
            for m in group:
                objs[m.log_name] = m
        return objs

    def update(self, state: dict, loss, per_output, ys, preds, sample_weight, mask) -> dict:
        """Every metric's state after this batch (``mask``: 0 for padded rows, or None)."""
        n = jnp.asarray(preds[0].shape[0], jnp.float32) if mask is None else jnp.sum(mask)
        new = {"loss": self.tracker.update(state["loss"], loss, sample_weight=n)}
        for i, (y, p) in enumerate(zip(ys, preds)):
            tracker = self.loss_trackers[i]
            if tracker is not None and per_output[i] is not None:
                new[tracker.log_name] = tracker.update(state[tracker.log_name], per_output[i], sample_weight=n)
            if y is None:
                continue
            sw = sample_weight[i] if isinstance(sample_weight, (list, tuple)) else sample_weight
            weighted = mask if sw is None else (sw if mask is None else _broadcast_mul(sw, mask))
            for m in self.unweighted[i]:
                new[m.log_name] = m.update(state[m.log_name], y, p, sample_weight=mask)
            for m in self.weighted[i]:
                new[m.log_name] = m.update(state[m.log_name], y, p, sample_weight=weighted)
        return {k: new.get(k, state[k]) for k in state}


def _broadcast_mul(sw, mask):
    sw = jnp.asarray(sw)
    return sw * jnp.reshape(mask, mask.shape + (1,) * (sw.ndim - mask.ndim))


def _as_list(spec) -> list:
    if spec is None:
        return []
    return list(spec) if isinstance(spec, (list, tuple)) else [spec]


def _flatten(spec) -> list:
    out = []
    for s in _as_list(spec):
        out.extend(_flatten(s) if isinstance(s, (list, tuple)) else [s])
    return out


def _unique(name, seen) -> str:
    if name in seen:
        i = 1
        while f"{name}_{i}" in seen:
            i += 1
        name = f"{name}_{i}"
    seen.add(name)
    return name


class Resolved(tuple):
    """``(names, losses, weights, metrics per output, loss tracker, per-output loss trackers)``, with
    the ``CompileLoss`` as ``.loss`` and the ``CompileMetrics`` as ``.metrics``."""

    def __new__(cls, loss: CompileLoss, metrics: CompileMetrics):
        groups = [u + w for u, w in zip(metrics.unweighted, metrics.weighted)]
        obj = tuple.__new__(cls, (loss.names, loss.losses, loss.weights, groups, metrics.tracker,
                                  metrics.loss_trackers))
        obj.loss, obj.metrics = loss, metrics
        return obj


def resolve(loss, loss_weights, metrics, weighted_metrics, names: list) -> Resolved:
    """The compiled loss and metrics of a model with outputs ``names``."""
    from .. import losses as losses_mod, metrics as metrics_mod
    compile_loss = CompileLoss(loss, loss_weights, names, losses_mod)
    return Resolved(compile_loss, CompileMetrics(metrics, weighted_metrics, compile_loss, metrics_mod))
