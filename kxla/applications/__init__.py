"""kxla.applications — Keras 3's application models built from kxla layers (same names, weights, preprocessing).

    model = kxla.applications.ResNet50(weights="resnet50.weights.h5")      # Keras's weights file, by path
    x = kxla.applications.resnet.preprocess_input(images)
    model.predict(x)

Weights are Keras's files given as a path (``.weights.h5`` written by Keras 3,
or the legacy ``.h5`` files ``keras.applications`` downloads);
``weights="imagenet"`` uses Keras's cached copy in ``~/.keras/models`` and
never downloads.
"""
from . import densenet, efficientnet, imagenet_utils, mobilenet_v2, resnet, vgg16
from .densenet import DenseNet121
from .efficientnet import EfficientNetB0
from .mobilenet_v2 import MobileNetV2
from .resnet import ResNet50
from .vgg16 import VGG16

__all__ = ["ResNet50", "MobileNetV2", "EfficientNetB0", "VGG16", "DenseNet121", "resnet", "mobilenet_v2",
           "efficientnet", "vgg16", "densenet", "imagenet_utils"]
