"""VGG16 as ``keras.applications.VGG16``: same layers, names and weights, built from kxla layers."""
from __future__ import annotations

from .. import config, layers
from . import imagenet_utils
from .resnet import finish, head, image_input

__all__ = ["VGG16", "preprocess_input", "decode_predictions"]

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg16/"
_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None, pooling=None, classes=1000,
          classifier_activation="softmax", name="vgg16"):
    """VGG16 (Simonyan & Zisserman 2014) as Keras 3 builds it; ``weights`` None, "imagenet" (cached) or a path."""
    imagenet_utils.check_weights_arg(weights, include_top, classes)
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=224, min_size=32,
                                                    data_format=config.image_data_format(),
                                                    require_flatten=include_top, weights=weights)
    img_input = image_input(input_tensor, input_shape)
    x = img_input
    for b, (filters, convs) in enumerate(_BLOCKS, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same", name=f"block{b}_conv{c}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = head(x, False, pooling, classes, classifier_activation, weights, avg_name=None, max_name=None)
    files = ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5")
    return finish(img_input, x, name, weights, include_top, files, _BASE_URL)


def preprocess_input(x, data_format=None):
    """VGG's preprocessing: Keras's "caffe" mode (RGB -> BGR, ImageNet means subtracted)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


decode_predictions = imagenet_utils.decode_predictions
