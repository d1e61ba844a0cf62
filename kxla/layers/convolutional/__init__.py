"""Convolution layers (Keras 3 names): Conv2D."""
from .conv2d import BaseConv, Conv2D

__all__ = ["BaseConv", "Conv2D"]
from .conv1d import Conv1D  # noqa: E402
from .conv3d import Conv3D  # noqa: E402
from .depthwise_conv import DepthwiseConv1D, DepthwiseConv2D  # noqa: E402
from .separable_conv import SeparableConv1D, SeparableConv2D  # noqa: E402
from .conv_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose  # noqa: E402
__all__ += ["Conv1D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
            "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"]
