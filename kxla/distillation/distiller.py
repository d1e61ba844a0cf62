"""Keras 3's ``Distiller``: a Model that trains a student against a frozen teacher.

``Distiller(teacher, student, distillation_losses, distillation_loss_weights=None,
student_loss_weight=0.5)``: ``call`` is the student's forward pass (so ``predict`` and
``distiller(x)`` give the student's outputs); ``compile(optimizer, loss, metrics)`` takes the
student's supervised loss; the training loss is, as in Keras,

    total = w * student_loss(y, y_pred) + (1 - w) * sum_i weight_i * distillation_loss_i

with ``w = student_loss_weight``. ``fit`` / ``evaluate`` log ``loss``, the compiled metrics and the
trackers ``student_loss``, ``distillation_loss``, ``total_loss`` (unweighted means over batches).

The steps are Keras 3's JAX-backend default steps, written against kxla's custom-step contract
(``train_step(state, data)`` / ``test_step``; see ``kxla.training.custom_step``): inside the one
jitted step, the student runs through the Distiller's graph (training mode of the step), the teacher
(or its feature extractor) through its own inference graph, and a student feature extractor (when a
``FeatureDistillation`` names a student layer) through its training graph, as Keras calls it with
``training=True``, its state updates chained after the forward pass's. As in Keras, the student's
``add_loss`` terms and weight regularizers are not part of the distillation loss, and
``sample_weight`` is not used by the loss (only by ``weighted_metrics``). kxla's differences: the
teacher and the student must not share weight paths (checked); ``evaluate`` with a student feature
extractor that updates state in training mode (BatchNormalization) raises, since Keras's evaluate keeps
those updates and kxla's does not write state back; a student feature extractor drawing random numbers
in ``evaluate`` uses a fixed key per batch.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import ops, tree
from ..models import Model
from ..optimizers import Optimizer
from ..utils.data import unpack_x_y_sample_weight
from . import distiller_checks as checks
from .distillation_loss import _convert_loss_to_function


class Distiller(Model):
    """Distill a frozen ``teacher`` into a ``student`` (Keras 3's ``keras.distillation.Distiller``).

    Arguments:
        teacher: a trained ``kxla.Model``; frozen (``trainable = False``) here.
        student: the ``kxla.Model`` to train.
        distillation_losses: one ``DistillationLoss`` (``LogitsDistillation``, ``FeatureDistillation``,
            a custom subclass) or a list of them.
        distillation_loss_weights: one weight per loss (default 1.0 each).
        student_loss_weight: weight of the supervised loss, in [0, 1] (default 0.5).
        name: the model's name (default ``"distiller"``).
    """

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        checks.validate_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if isinstance(student_loss_weight, bool) or not isinstance(student_loss_weight, (int, float)):
            raise ValueError(f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if student_loss_weight < 0.0 or student_loss_weight > 1.0:
            raise ValueError(f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        self.distillation_losses, self.distillation_loss_weights = _losses_and_weights(
            distillation_losses, distillation_loss_weights)
        for loss in self.distillation_losses:
            loss.validate_model_compatibility(teacher, student)
        self._teacher_feature_extractor = checks.feature_extractor(
            teacher, checks.feature_layer_names(self.distillation_losses, "teacher_layer_name"))
        self._student_feature_extractor = checks.feature_extractor(
            student, checks.feature_layer_names(self.distillation_losses, "student_layer_name"))
        self.teacher.trainable = False
        from .. import metrics
        self.student_loss_tracker = metrics.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics.Mean(name="total_loss")
        self._student_loss = None
        if getattr(student, "_input_types", None) is not None:
            self._set_input_types(student._input_types, list(student._input_names), student._input_struct)
            self.built = True               # the student's input specs (a batch dimension left open)

    # -- Keras's API ---------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Compile with the student's supervised ``loss`` (required) and ``metrics`` (a list)."""
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        self._student_loss = tree.map_structure(_student_loss_function, loss)
        self._student_loss_for_serialization = loss
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def call(self, inputs, training=None):
        """The student's forward pass."""
        return self.student(inputs, training=training)

    @property
    def metrics(self) -> list:
        """The compiled metrics (loss tracker first), then ``student_loss``, ``distillation_loss``,
        ``total_loss``, as Keras."""
        own = [self.student_loss_tracker, self.distillation_loss_tracker, self.total_loss_tracker]
        return (super().metrics if getattr(self, "compiled", False) else []) + own

    def reset_metrics(self):
        """Reset every metric, the three loss trackers included."""
        for metric in self.metrics:
            metric.reset_state()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The combined loss on arrays, updating the three loss trackers (Keras's ``compute_loss``)."""
        if y_pred is None:
            y_pred = self(x, training=training)

        def features():
            teacher = (self._teacher_feature_extractor(x, training=False)
                       if self._teacher_feature_extractor is not None
                       else {"final_output": self.teacher(x, training=False)})
            student = (self._student_feature_extractor(x, training=True)
                       if self._student_feature_extractor is not None else {"final_output": y_pred})
            return teacher, student
        student_loss, distillation_loss, total = self._loss_parts(y, y_pred, features)
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total)
        return total

    # -- the loss ------------------------------------------------------------------------------
    def _loss_parts(self, y, y_pred, features):
        """``(student_loss, distillation_loss, total)``; ``features()`` gives the teacher's and the
        student's feature dicts (called only when a distillation term counts)."""
        if self._student_loss is None:
            raise ValueError("You must call `compile()` before using the model.")
        w = self.student_loss_weight
        student_loss = jnp.zeros((), "float32")
        if w > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(lambda fn, t, p: fn(t, p), self._student_loss, y, y_pred))
            student_loss = ops.sum(ops.stack(values)) if len(values) > 1 else values[0]
            if len(ops.shape(student_loss)) > 0:
                student_loss = ops.mean(student_loss)
        distillation_loss = jnp.zeros((), "float32")
        if w < 1.0:
            teacher_features, student_features = features()
            for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
                t, s = checks.loss_features(loss, teacher_features, student_features, y_pred)
                loss.validate_outputs(t, s)
                value = loss.compute_loss(t, s)
                if len(ops.shape(value)) > 0:
                    raise ValueError(f"Distillation loss {type(loss).__name__} returned a non-scalar loss with "
                                     f"shape {tuple(ops.shape(value))}. The compute_loss method must return a "
                                     "scalar tensor.")
                distillation_loss = ops.add(distillation_loss, ops.multiply(weight, value))
        total = ops.add(ops.multiply(w, student_loss), ops.multiply(ops.subtract(1.0, w), distillation_loss))
        return student_loss, distillation_loss, total

    # -- the steps (Keras 3's JAX-backend defaults) ------------------------------------------
    def train_step(self, state, data):
        """One optimizer step on the combined loss; see the module docstring."""
        trainable, non_trainable, optimizer_values, metric_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        names = self._variable_names()
        scaling = self.optimizer.state_from_list(list(optimizer_values))[0] \
            if type(self.optimizer).scale_loss is not Optimizer.scale_loss else None   # LossScaleOptimizer

        def loss_fn(trainable):
            values = dict(zip(names[0], trainable))
            values.update(zip(names[1], non_trainable))
            parts, y_pred = self._stateless_parts(values, x, y, True)
            scaled = parts[2] if scaling is None else self.optimizer.scale_loss(parts[2], scaling)
            return scaled, (parts, y_pred, [values[n] for n in names[1]])

        (_, (parts, y_pred, non_trainable)), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable)
        loss = parts[2]
        trainable, optimizer_values = self.optimizer.stateless_apply(optimizer_values, grads, trainable)
        logs, metric_values = self._update_metric_values(metric_values, loss, parts, x, y, y_pred, sample_weight)
        return logs, (trainable, non_trainable, optimizer_values, metric_values)

    def test_step(self, state, data):
        """The combined loss and the metrics of one batch, the student in inference mode."""
        trainable, non_trainable, metric_values = state
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        names = self._variable_names()
        values = dict(zip(names[0], trainable))
        values.update(zip(names[1], non_trainable))
        parts, y_pred = self._stateless_parts(dict(values), x, y, False)
        logs, metric_values = self._update_metric_values(metric_values, parts[2], parts, x, y, y_pred,
                                                         sample_weight)
        return logs, (trainable, non_trainable, metric_values)

    def _variable_names(self):
        return [v.ir_name for v in self.trainable_variables], [v.ir_name for v in self.non_trainable_variables]

    def _stateless_parts(self, values: dict, x, y, training: bool):
        """Forward pass and loss parts on the arrays ``values`` (by IR name, updated in place)."""
        y_pred = _run(self, values, x, training, self._step_rng)

        def features():
            teacher = self._teacher_feature_extractor or self.teacher
            teacher_out = _run(teacher, values, x, False, None)
            if self._teacher_feature_extractor is None:
                teacher_out = {"final_output": teacher_out}
            if self._student_feature_extractor is None:
                return teacher_out, {"final_output": y_pred}
            if not training:
                self._check_evaluable()
            key = self._step_rng if self._step_rng is not None else jax.random.key(0)
            return teacher_out, _run(self._student_feature_extractor, values, x, True, jax.random.fold_in(key, 1))
        return self._loss_parts(y, y_pred, features), y_pred

    def _check_evaluable(self):
        """Keras's ``evaluate`` runs the student feature extractor in training mode and keeps its state
        updates (BatchNormalization statistics) for the next batches; kxla's evaluate does not write
        state back, so it refuses instead of giving other numbers."""
        extractor = self._student_feature_extractor
        if extractor._lowered(True).graph.updates:
            raise ValueError(
                "Distiller.evaluate (and fit's validation) with a FeatureDistillation on a student layer is not "
                f"supported when the student updates state in training mode (the student {self.student.name!r} "
                "has layers such as BatchNormalization): Keras runs the student's feature extractor with "
                "training=True in evaluate and keeps those updates, which kxla's evaluate does not. Evaluate "
                "the student itself (distiller.student.evaluate) or distill the final outputs.")

    def _update_metric_values(self, metric_values, loss, parts, x, y, y_pred, sample_weight):
        """Keras's metric update after a step: the loss tracker (weighted by the batch size), the
        compiled metrics on ``(y, y_pred)``, the three trackers on this batch's loss parts."""
        batch = next(leaf for leaf in tree.flatten(x) if leaf is not None).shape[0]
        resolved = self._resolve().metrics
        slots = {id(m): (i, False) for i, group in enumerate(resolved.unweighted) for m in group}
        slots.update({id(m): (i, True) for i, group in enumerate(resolved.weighted) for m in group})
        trackers = {id(self.student_loss_tracker): parts[0], id(self.distillation_loss_tracker): parts[1],
                    id(self.total_loss_tracker): parts[2]}
        ys, preds = tree.flatten(y), tree.flatten(y_pred)
        logs, new, start = {}, [], 0
        for metric in self.metrics:
            mine = list(metric_values[start:start + len(metric.variables)])
            start += len(metric.variables)
            if metric is resolved.tracker:
                mine = metric.stateless_update_state(mine, loss, sample_weight=batch)
            elif id(metric) in trackers:
                mine = metric.stateless_update_state(mine, trackers[id(metric)])
            elif id(metric) in slots and y is not None:
                i, weighted = slots[id(metric)]
                sw = sample_weight[i] if isinstance(sample_weight, (list, tuple)) else sample_weight
                mine = metric.stateless_update_state(mine, ys[i], preds[i], sample_weight=sw if weighted else None)
            logs[getattr(metric, "log_name", metric.name)] = metric.stateless_result(mine)
            new += mine
        return logs, new

    # -- config --------------------------------------------------------------------------------
    def get_config(self):
        """Keras's config: name and trainable, the serialized teacher, student and losses, the weights."""
        from ..serialization.serialization_lib import serialize_keras_object
        config = super().get_config()
        config.update({"teacher": serialize_keras_object(self.teacher),
                       "student": serialize_keras_object(self.student),
                       "distillation_losses": [serialize_keras_object(l) for l in self.distillation_losses],
                       "distillation_loss_weights": self.distillation_loss_weights,
                       "student_loss_weight": self.student_loss_weight})
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild from ``get_config()`` (kxla's or Keras's)."""
        from ..serialization.serialization_lib import deserialize_keras_object
        config = dict(config)        # (a model reader may hand the nested objects already rebuilt)
        rebuild = lambda c: deserialize_keras_object(c, custom_objects) if isinstance(c, dict) else c
        config["teacher"], config["student"] = rebuild(config["teacher"]), rebuild(config["student"])
        config["distillation_losses"] = [rebuild(l) for l in config["distillation_losses"]]
        config.pop("dtype", None)
        return cls(**config)


def _losses_and_weights(distillation_losses, weights):
    """Keras's normalization: a list of losses and a list of weights of the same length."""
    if distillation_losses is None:
        raise ValueError("'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                         "LogitsDistillation or FeatureDistillation) or a list of distillation losses.")
    if not isinstance(distillation_losses, (list, tuple)):
        return [distillation_losses], [1.0]
    if weights is None:
        return distillation_losses, [1.0] * len(distillation_losses)
    if len(weights) != len(distillation_losses):
        raise ValueError(f"Number of distillation_loss_weights ({len(weights)}) must match number of "
                         f"distillation_losses ({len(distillation_losses)})")
    return distillation_losses, weights


def _student_loss_function(item):
    """Keras's ``_convert_loss_to_function`` for the student loss: a name of a loss function gives the
    per-sample function (Keras's ``losses.get`` returns the function, not a reducing ``Loss``)."""
    fn = _convert_loss_to_function(item)
    if isinstance(item, str):
        from ..losses import LossFunctionWrapper
        if type(fn) is LossFunctionWrapper:
            return fn.call
    return fn


def _run(model, values: dict, x, training: bool, rng):
    """``model``'s graph on the arrays ``values`` (by IR name); its state updates are written back."""
    xs = tree.flatten(x)
    if model._input_types is None:
        model._ensure_input_types_from_data(xs)
    traced = model._lowered(bool(training)).traced
    params = {v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "param"}
    state = {v.ir_name: values[v.ir_name] for v in traced.variables if v.kind == "state"}
    out, new_state = model.stateless_call(params, state, x, training=training, rng=rng)
    values.update(new_state)
    return out
