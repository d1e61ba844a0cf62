"""kxla.distillation — Keras 3's knowledge distillation: the distillation losses (and ``Distiller``)."""
from .distillation_loss import DistillationLoss, FeatureDistillation, LogitsDistillation

__all__ = ["DistillationLoss", "FeatureDistillation", "LogitsDistillation"]
