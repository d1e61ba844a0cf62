"""What ``Distiller`` checks and builds before training: teacher/student compatibility (Keras 3's
checks and messages) and the feature extractors.

A feature extractor is a functional ``Model`` over a model's inputs whose outputs are a dict:
``"final_output"`` (the model's output) and one entry per layer name a ``FeatureDistillation``
asks for (that layer's symbolic output), as Keras builds it. kxla keeps weights by their path
(``"dense/kernel"``), so the teacher and the student must not share a weight path: the check
says which ones clash (Keras tells them apart by object, kxla would mix them up).
"""
from __future__ import annotations

from .. import tree


def validate_models(teacher, student):
    """Keras's ``_validate_models``: both are Models, inputs/outputs of compatible shape and dtype."""
    from ..models import Model
    if not isinstance(teacher, Model):
        raise ValueError(f"Teacher must be a keras.Model, got {type(teacher)}")
    if not isinstance(student, Model):
        raise ValueError(f"Student must be a keras.Model, got {type(student)}")
    for attr in ("inputs", "outputs"):
        t, s = getattr(teacher, attr, None), getattr(student, attr, None)
        if t is None or s is None:
            continue
        context = attr[:-1]
        tree.map_structure(lambda a, b: _same_shapes(a.shape, b.shape, context), t, s)
    _check_dtypes(teacher, student)
    _distinct_paths(teacher, student)


def _check_dtypes(teacher, student):
    for attr in ("inputs", "outputs"):
        t, s = getattr(teacher, attr, None), getattr(student, attr, None)
        if t is None or s is None:
            return
        tree.map_structure(lambda a, b: _same_dtype(a.dtype, b.dtype, attr[:-1]), t, s)


def _same_shapes(shape1, shape2, context):
    shape1, shape2 = tuple(shape1), tuple(shape2)
    if len(shape1) != len(shape2):
        raise ValueError(f"Teacher and student {context} shapes have different dimensions. Teacher: {shape1}, "
                         f"Student: {shape2}.")
    for d1, d2 in zip(shape1, shape2):
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(f"Teacher and student {context} shapes are incompatible. Teacher: {shape1}, "
                             f"Student: {shape2}. All dimensions must match.")


def _same_dtype(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(f"Teacher and student {context} dtypes must match. Teacher: {teacher_dtype}, "
                         f"Student: {student_dtype}.")


def _distinct_paths(teacher, student):
    shared = {id(w) for w in teacher.weights} & {id(w) for w in student.weights}
    teacher_paths = {w.ir_name for w in teacher.weights if id(w) not in shared}
    clash = sorted({w.path for w in student.weights if id(w) not in shared and w.ir_name in teacher_paths})
    if clash:
        raise ValueError(f"The teacher and the student have weights with the same path {clash}: kxla keeps "
                         "weights by path, so name their layers differently (e.g. name='teacher_dense').")


def feature_layer_names(distillation_losses, attr: str) -> list:
    """The distinct ``teacher_layer_name`` / ``student_layer_name`` values, in order of appearance."""
    names = []
    for loss in distillation_losses:
        name = getattr(loss, attr, None)
        if name and name not in names:
            names.append(name)
    return names


def feature_extractor(model, layer_names: list):
    """A functional Model returning ``{"final_output": ..., layer name: ...}``, or None without names."""
    if not layer_names:
        return None
    from ..models import Model, Sequential
    if getattr(model, "inputs", None) is None:
        raise ValueError(f"Cannot create feature extractor for {model.name}. The model has no symbolic "
                         "inputs attribute.")
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {"final_output": final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs, name=f"{model.name}_multi_feature_extractor")


def loss_features(distillation_loss, teacher_features: dict, student_features: dict, y_pred):
    """The (teacher, student) tensors one distillation loss compares (Keras's selection)."""
    if getattr(distillation_loss, "teacher_layer_name", None) is None:
        return teacher_features["final_output"], y_pred
    try:
        return (_pick(teacher_features, distillation_loss.teacher_layer_name),
                _pick(student_features, distillation_loss.student_layer_name))
    except ValueError as e:
        raise RuntimeError(f"Failed to extract features for {type(distillation_loss).__name__} targeting teacher "
                           f"layer '{distillation_loss.teacher_layer_name}' and student layer "
                           f"'{distillation_loss.student_layer_name}'. Original error: {e}") from e


def _pick(features: dict, layer_name):
    name = layer_name or "final_output"
    if name not in features:
        raise ValueError(f"Layer '{name}' not found in extracted features. Available: {list(features.keys())}")
    return features[name]
