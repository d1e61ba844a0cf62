"""EfficientNetB0 as ``keras.applications.EfficientNetB0``: same layers, names and weights, from kxla layers."""
from __future__ import annotations

import copy
import math

from .. import config, layers
from . import imagenet_utils
from .resnet import finish, head, image_input

__all__ = ["EfficientNetB0", "preprocess_input", "decode_predictions"]

_BASE_URL = "https://storage.googleapis.com/keras-applications/"
_IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225]
# kernel_size, repeats, filters_in, filters_out, expand_ratio, strides (id_skip True, se_ratio 0.25 everywhere)
_BLOCKS = [(3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
           (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1)]
CONV_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
DENSE_KERNEL_INITIALIZER = {"class_name": "VarianceScaling",
                            "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}


def _bn_axis():
    return 3 if config.image_data_format() == "channels_last" else 1


def _conv(filters, kernel, name, **kwargs):
    return layers.Conv2D(filters, kernel, kernel_initializer=copy.deepcopy(CONV_KERNEL_INITIALIZER), name=name,
                         **kwargs)


def block(inputs, activation="swish", drop_rate=0.0, name="", filters_in=32, filters_out=16, kernel_size=3,
          strides=1, expand_ratio=1, se_ratio=0.0, id_skip=True):
    """Keras's mobile inverted bottleneck with squeeze-and-excitation."""
    bn_axis = _bn_axis()
    filters = filters_in * expand_ratio
    x = inputs
    if expand_ratio != 1:
        x = _conv(filters, 1, f"{name}expand_conv", padding="same", use_bias=False)(inputs)
        x = layers.BatchNormalization(axis=bn_axis, name=f"{name}expand_bn")(x)
        x = layers.Activation(activation, name=f"{name}expand_activation")(x)
    if strides == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size), name=f"{name}dwconv_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=strides, padding="valid" if strides == 2 else "same",
                               use_bias=False, depthwise_initializer=copy.deepcopy(CONV_KERNEL_INITIALIZER),
                               name=f"{name}dwconv")(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}bn")(x)
    x = layers.Activation(activation, name=f"{name}activation")(x)
    if 0 < se_ratio <= 1:
        filters_se = max(1, int(filters_in * se_ratio))
        se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(x)
        se = layers.Reshape((filters, 1, 1) if bn_axis == 1 else (1, 1, filters), name=f"{name}se_reshape")(se)
        se = _conv(filters_se, 1, f"{name}se_reduce", padding="same", activation=activation)(se)
        se = _conv(filters, 1, f"{name}se_expand", padding="same", activation="sigmoid")(se)
        x = layers.Multiply(name=f"{name}se_excite")([x, se])
    x = _conv(filters_out, 1, f"{name}project_conv", padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis=bn_axis, name=f"{name}project_bn")(x)
    if id_skip and strides == 1 and filters_in == filters_out:
        if drop_rate > 0:
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(x)
        x = layers.Add(name=f"{name}add")([x, inputs])
    return x


def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
                   classes=1000, classifier_activation="softmax", name="efficientnetb0"):
    """EfficientNetB0 (Tan & Le 2019) as Keras 3 builds it; ``weights`` None, "imagenet" (cached) or a path.

    The model rescales and normalizes its own input (``preprocess_input`` is the identity), as in Keras.
    """
    imagenet_utils.check_weights_arg(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = image_input(input_tensor, input_shape)
    bn_axis, activation, drop_connect_rate = _bn_axis(), "swish", 0.2
    x = layers.Rescaling(1.0 / 255.0)(img_input)
    x = layers.Normalization(axis=bn_axis)(x)
    if weights == "imagenet":
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in _IMAGENET_STDDEV_RGB])(x)     # as Keras does
    x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(32, 3, "stem_conv", strides=2, padding="valid", use_bias=False)(x)
    x = layers.BatchNormalization(axis=bn_axis, name="stem_bn")(x)
    x = layers.Activation(activation, name="stem_activation")(x)
    total = float(sum(b[1] for b in _BLOCKS))
    b = 0
    for i, (kernel, repeats, f_in, f_out, expand, strides) in enumerate(_BLOCKS):
        for j in range(repeats):
            x = block(x, activation, drop_connect_rate * b / total, name=f"block{i + 1}{chr(j + 97)}_",
                      filters_in=f_in if j == 0 else f_out, filters_out=f_out, kernel_size=kernel,
                      strides=strides if j == 0 else 1, expand_ratio=expand, se_ratio=0.25, id_skip=True)
            b += 1
    x = _conv(1280, 1, "top_conv", padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(axis=bn_axis, name="top_bn")(x)
    x = layers.Activation(activation, name="top_activation")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = layers.Dropout(0.2, name="top_dropout")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation,
                         kernel_initializer=copy.deepcopy(DENSE_KERNEL_INITIALIZER), name="predictions")(x)
    else:
        x = head(x, False, pooling, classes, classifier_activation, weights)
    return finish(img_input, x, name, weights, include_top, (f"{name}.h5", f"{name}_notop.h5"), _BASE_URL)


def preprocess_input(x, data_format=None):
    """The identity: EfficientNet models rescale and normalize inside (Keras's placeholder, kept for API parity)."""
    return x


decode_predictions = imagenet_utils.decode_predictions
