"""Convolution layers (Keras 3 names): Conv2D."""
from .conv2d import BaseConv, Conv2D

__all__ = ["BaseConv", "Conv2D"]
