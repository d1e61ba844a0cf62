"""Normalization layers (Keras 3 names): BatchNormalization."""
from .batch_normalization import BatchNormalization

__all__ = ["BatchNormalization"]
from .layer_normalization import LayerNormalization  # noqa: E402
__all__ += ["LayerNormalization"]
from .unit_rms_normalization import RMSNormalization, UnitNormalization  # noqa: E402
from .group_normalization import GroupNormalization  # noqa: E402
__all__ += ["RMSNormalization", "UnitNormalization", "GroupNormalization"]
from .spectral_normalization import SpectralNormalization  # noqa: E402
__all__ += ["SpectralNormalization"]
