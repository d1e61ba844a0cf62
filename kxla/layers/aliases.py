"""Keras 3's alternative names for layers: the same classes under a second name (``MaxPool2D`` ...)."""
from .convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose,
                            SeparableConv1D, SeparableConv2D)
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)

AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (Conv1DTranspose, Conv2DTranspose,
                                                                          Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D

ALIASES = {"AvgPool1D": AvgPool1D, "AvgPool2D": AvgPool2D, "AvgPool3D": AvgPool3D, "MaxPool1D": MaxPool1D,
           "MaxPool2D": MaxPool2D, "MaxPool3D": MaxPool3D, "GlobalAvgPool1D": GlobalAvgPool1D,
           "GlobalAvgPool2D": GlobalAvgPool2D, "GlobalAvgPool3D": GlobalAvgPool3D,
           "GlobalMaxPool1D": GlobalMaxPool1D, "GlobalMaxPool2D": GlobalMaxPool2D,
           "GlobalMaxPool3D": GlobalMaxPool3D, "Convolution1D": Convolution1D, "Convolution2D": Convolution2D,
           "Convolution3D": Convolution3D, "Convolution1DTranspose": Convolution1DTranspose,
           "Convolution2DTranspose": Convolution2DTranspose, "Convolution3DTranspose": Convolution3DTranspose,
           "SeparableConvolution1D": SeparableConvolution1D, "SeparableConvolution2D": SeparableConvolution2D}
__all__ = list(ALIASES)
