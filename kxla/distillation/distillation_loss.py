"""Keras 3's distillation losses: ``DistillationLoss``, ``LogitsDistillation``, ``FeatureDistillation``.

``compute_loss(teacher_outputs, student_outputs)`` works on arrays and on
symbolic tensors (the ops record graph nodes), with Keras's formulas: logits
are divided by ``temperature``; a ``KLDivergence`` loss compares the softmaxes
and is scaled by ``temperature ** 2``; each loss is averaged, the structure's
losses are summed.
"""
from __future__ import annotations

from .. import losses as losses_mod
from .. import ops, tree


def _convert_loss_to_function(loss_item):
    if loss_item is None:
        return None
    if isinstance(loss_item, str):
        loss_fn = losses_mod.get(loss_item)
        if loss_fn is None:
            raise ValueError(f"Unknown loss function: '{loss_item}'.")
        return loss_fn
    return loss_item


def _serialize_loss(loss):
    """Keras's form of the loss structure: a loss named by a function (``"mse"``) is that function
    (``{"module": "builtins", "class_name": "function", ...}``), as Keras's ``losses.get`` returns it."""
    from ..serialization.serialization_lib import serialize_keras_object
    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [_serialize_loss(l) for l in loss]
    if isinstance(loss, dict):
        return {k: _serialize_loss(v) for k, v in loss.items()}
    if type(loss) is losses_mod.LossFunctionWrapper and not loss._fn_kwargs and callable(loss.fn):
        loss = loss.fn
    if callable(loss) and not isinstance(loss, losses_mod.Loss) and hasattr(loss, "__name__"):
        return {"module": "builtins", "class_name": "function", "config": loss.__name__,
                "registered_name": "function"}
    return serialize_keras_object(loss)


def _deserialize_loss(loss):
    """A serialized loss structure back to losses (entries the model reader already rebuilt stay)."""
    if loss is None or callable(loss) or isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_deserialize_loss(l) for l in loss]
    if isinstance(loss, dict) and "class_name" not in loss:
        return {k: _deserialize_loss(v) for k, v in loss.items()}
    from ..serialization.serialization_lib import deserialize_keras_object
    return deserialize_keras_object(loss)


def _sum(values):
    return ops.sum(ops.stack([ops.convert_to_tensor(v, "float32") if isinstance(v, float) else v
                              for v in tree.flatten(values)]))


class DistillationLoss:
    """Base class: subclasses implement ``compute_loss(teacher_outputs, student_outputs)``."""

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        pass


class FeatureDistillation(DistillationLoss):
    """A loss (default "mse") between teacher and student features (final outputs or named layers)."""

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name, self.student_layer_name = teacher_layer_name, student_layer_name
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("The `loss` argument in `FeatureDistillation` must contain at least one non-`None` "
                             "value.")

    def validate_model_compatibility(self, teacher, student):
        for model, layer_name, who in ((teacher, self.teacher_layer_name, "teacher"),
                                       (student, self.student_layer_name, "student")):
            if layer_name is not None:
                try:
                    model.get_layer(name=layer_name)
                except ValueError as e:
                    raise ValueError(f"In {who} model: {e}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except ValueError as e:
            raise ValueError(f"Loss structure mismatch. Loss structure: {tree.structure(self.loss)}, Output "
                             f"structure: {tree.structure(teacher_outputs)}. Error: {e}") from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        def apply(loss_fn, teacher, student):
            return 0.0 if loss_fn is None else ops.mean(loss_fn(teacher, student))
        return _sum(tree.map_structure(apply, self.loss, teacher_outputs, student_outputs))

    def get_config(self):
        return {"loss": _serialize_loss(self.loss), "teacher_layer_name": self.teacher_layer_name,
                "student_layer_name": self.student_layer_name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Soft-target distillation of logits at ``temperature`` (default loss "kl_divergence")."""

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = tree.map_structure(_convert_loss_to_function, loss)
        if all(item is None for item in tree.flatten(self.loss)):
            raise ValueError("At least one loss must be non-`None`.")
        if not isinstance(self.temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(self.temperature)}")
        if self.temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        t = self.temperature
        teacher = tree.map_structure(lambda x: ops.divide(x, t), teacher_outputs)
        student = tree.map_structure(lambda x: ops.divide(x, t), student_outputs)

        def apply(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return 0.0
            if isinstance(loss_fn, losses_mod.KLDivergence):
                loss = ops.mean(loss_fn(ops.softmax(teacher_logits, axis=-1), ops.softmax(student_logits, axis=-1)))
                return loss * (t ** 2)
            return ops.mean(loss_fn(teacher_logits, student_logits))
        return _sum(tree.map_structure(apply, self.loss, teacher, student))

    def get_config(self):
        return {"temperature": self.temperature, "loss": _serialize_loss(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = _deserialize_loss(config["loss"])
        return cls(**config)
