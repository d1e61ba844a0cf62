"""Pooling layers (Keras 3 names): MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D."""
from .base_pooling import BaseGlobalPooling, BasePooling
from .max_pooling2d import MaxPooling2D
from .average_pooling2d import AveragePooling2D
from .global_average_pooling2d import GlobalAveragePooling2D

__all__ = ["BasePooling", "BaseGlobalPooling", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]
from .global_pooling_1d import GlobalAveragePooling1D, GlobalMaxPooling1D, GlobalMaxPooling2D  # noqa: E402
__all__ += ["GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"]
from .max_pooling1d import MaxPooling1D  # noqa: E402
from .average_pooling1d import AveragePooling1D  # noqa: E402
from .pooling3d import AveragePooling3D, MaxPooling3D  # noqa: E402
__all__ += ["MaxPooling1D", "AveragePooling1D", "MaxPooling3D", "AveragePooling3D"]
from .global_pooling_3d import GlobalAveragePooling3D, GlobalMaxPooling3D  # noqa: E402
__all__ += ["GlobalAveragePooling3D", "GlobalMaxPooling3D"]
from .adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,  # noqa: E402
                               AdaptiveAveragePooling3D, AdaptiveMaxPooling1D, AdaptiveMaxPooling2D,
                               AdaptiveMaxPooling3D)
__all__ += ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
            "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]
