"""kxla.distillation — Keras 3's knowledge distillation: the distillation losses and ``Distiller``."""
from ..serialization import builtins as _builtins
from .distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation
from .distiller import Distiller

__all__ = ["DistillationLoss", "Distiller", "FeatureDistillation", "LogitsDistillation"]

# built-in classes for the model readers (Keras writes them under module "keras.distillation")
_builtins.register_classes(Distiller=Distiller, DistillationLoss=DistillationLoss,
                           LogitsDistillation=LogitsDistillation, FeatureDistillation=FeatureDistillation)
