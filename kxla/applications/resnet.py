"""ResNet50 as ``keras.applications.ResNet50``: same layers, names and weights, built from kxla layers."""
from __future__ import annotations

from .. import config, layers
from ..models import Input, Model
from . import imagenet_utils

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"


def _bn_axis():
    return 3 if config.image_data_format() == "channels_last" else 1


def residual_block(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """Keras's ``residual_block_v1``: 1x1 -> kxk -> 1x1 bottleneck with a (projected) shortcut."""
    bn = dict(axis=_bn_axis(), epsilon=1.001e-5)
    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = layers.BatchNormalization(**bn, name=f"{name}_0_bn")(shortcut)
    else:
        shortcut = x
    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = layers.BatchNormalization(**bn, name=f"{name}_1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = layers.BatchNormalization(**bn, name=f"{name}_2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = layers.BatchNormalization(**bn, name=f"{name}_3_bn")(x)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack(x, filters, blocks, stride1=2, name=None):
    x = residual_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def image_input(input_tensor, input_shape):
    """The model's input tensor: ``input_tensor`` (a ``kxla.Input``) or a new Input of ``input_shape``."""
    if input_tensor is None:
        return Input(shape=input_shape)
    if getattr(input_tensor, "_input_layer", None) is None:
        raise ValueError("input_tensor must be a kxla.Input(...) tensor (kxla builds models from Inputs only)")
    return input_tensor


def head(x, include_top, pooling, classes, classifier_activation, weights, avg_name="avg_pool",
         max_name="max_pool"):
    """The classifier (global average pool + Dense ``predictions``) or the ``pooling`` of a headless model."""
    if include_top:
        x = layers.GlobalAveragePooling2D(name=avg_name)(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        return layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    if pooling is not None:
        raise ValueError(f"pooling must be None, 'avg' or 'max', got {pooling!r}")
    return x


def finish(inputs, x, name, weights, include_top, file_names, base_url):
    """Make the Model and load ``weights`` (a path, or Keras's cached ImageNet file)."""
    model = Model(inputs, x, name=name)
    if weights is not None:
        file_name = file_names[0] if include_top else file_names[1]
        path = imagenet_utils.resolve_weights(weights, file_name, base_url + file_name)
        imagenet_utils.load_application_weights(model, path)
    return model


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None,
             classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50 (He et al. 2015) as Keras 3 builds it; ``weights`` None, "imagenet" (Keras's cache) or a path."""
    imagenet_utils.check_weights_arg(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=_bn_axis(), epsilon=1.001e-5, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    x = stack(x, 64, 3, stride1=1, name="conv2")
    x = stack(x, 128, 4, name="conv3")
    x = stack(x, 256, 6, name="conv4")
    x = stack(x, 512, 3, name="conv5")
    x = head(x, include_top, pooling, classes, classifier_activation, weights)
    files = ("resnet50_weights_tf_dim_ordering_tf_kernels.h5", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5")
    return finish(img_input, x, name, weights, include_top, files, _BASE_URL)


def preprocess_input(x, data_format=None):
    """ResNet's preprocessing: Keras's "caffe" mode (RGB -> BGR, ImageNet means subtracted)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
