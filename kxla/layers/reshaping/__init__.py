"""kxla.layers.reshaping"""
from .zero_padding2d import ZeroPadding2D  # noqa: E402
from .cropping2d import Cropping2D  # noqa: E402
from .up_sampling2d import UpSampling2D  # noqa: E402
from .permute import Permute  # noqa: E402
from .repeat_vector import RepeatVector  # noqa: E402
__all__ = ["ZeroPadding2D", "Cropping2D", "UpSampling2D", "Permute", "RepeatVector"]
from .padding_cropping_nd import (Cropping1D, Cropping3D, UpSampling1D, UpSampling3D,  # noqa: E402
                                  ZeroPadding1D, ZeroPadding3D)
__all__ += ["Cropping1D", "Cropping3D", "UpSampling1D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding3D"]
