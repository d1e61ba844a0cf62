"""ImageNet helpers of ``keras.applications``: ``preprocess_input`` modes, ``decode_predictions``, input shapes.

kxla never downloads: ``weights="imagenet"`` and ``decode_predictions`` use
the files Keras caches under ``~/.keras/models`` when they are there (or a
path you give), and otherwise raise an error naming the file and its URL.
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np

from .. import activations, config

__all__ = ["preprocess_input", "decode_predictions", "obtain_input_shape", "correct_pad", "validate_activation",
           "resolve_weights", "CLASS_INDEX_URL"]

CLASS_INDEX_URL = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
_CLASS_INDEX: dict | None = None
_MEANS = {"torch": ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), "caffe": ([103.939, 116.779, 123.68], None)}


def keras_cache_dir() -> str:
    return os.path.join(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")), "models")


def preprocess_input(x, data_format=None, mode="caffe"):
    """Keras's ImageNet preprocessing: ``caffe`` (RGB->BGR, mean-centred), ``tf`` ([-1, 1]), ``torch``."""
    if mode not in {"caffe", "tf", "torch"}:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. Received: mode={mode}")
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Expected data_format to be one of `channels_first` or `channels_last`. "
                         f"Received: data_format={data_format}")
    in_place = isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)
    x = x if in_place else np.asarray(x).astype("float32")
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
    mean, std = _MEANS[mode]
    channel = (0 if x.ndim == 3 else 1) if data_format == "channels_first" else x.ndim - 1
    if mode == "caffe":
        x = np.flip(x, axis=channel)
        if in_place:
            x = np.ascontiguousarray(x)
    shape = [1] * x.ndim
    shape[channel] = 3
    x -= np.asarray(mean, x.dtype).reshape(shape)
    if std is not None:
        x /= np.asarray(std, x.dtype).reshape(shape)
    return x


def decode_predictions(preds, top=5, class_index_path=None):
    """``[[(class id, name, score), ...] per sample]`` for ImageNet predictions of shape ``(samples, 1000)``.

    The class index is ``imagenet_class_index.json``: give its path, or have
    Keras's cached copy in ``~/.keras/models`` (kxla does not download it).
    """
    global _CLASS_INDEX
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array of shape "
                         f"(samples, 1000)). Received array with shape: {preds.shape}")
    if class_index_path is not None:
        with open(class_index_path) as f:
            index = json.load(f)
    else:
        if _CLASS_INDEX is None:
            path = os.path.join(keras_cache_dir(), "imagenet_class_index.json")
            if not os.path.exists(path):
                raise FileNotFoundError(
                    f"decode_predictions needs the ImageNet class index, which kxla does not download: save "
                    f"{CLASS_INDEX_URL} as {path} or pass class_index_path=")
            with open(path) as f:
                _CLASS_INDEX = json.load(f)
        index = _CLASS_INDEX
    results = []
    for pred in preds:
        top_indices = pred.argsort()[-top:][::-1]
        result = [tuple(index[str(i)]) + (pred[i],) for i in top_indices]
        result.sort(key=lambda r: r[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """Keras's rule for the input shape of an application model (checks and defaults)."""
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in {1, 3}:
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was passed an "
                          f"input_shape with {channels} input channels.", stacklevel=3)
        default_shape = (channels, default_size, default_size) if first else (default_size, default_size, channels)
    else:
        default_shape = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(f"When setting `include_top=True` and loading `imagenet` weights, `input_shape` "
                             f"should be {default_shape}.  Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        channels, spatial = (input_shape[0], input_shape[1:]) if first else (input_shape[-1], input_shape[:2])
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received `input_shape={input_shape}`")
        if any(s is not None and s < min_size for s in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(f"If `include_top` is True, you should specify a static `input_shape`. "
                         f"Received: input_shape={input_shape}")
    return tuple(input_shape)


def correct_pad(inputs, kernel_size):
    """Zero padding for a strided 'valid' convolution to behave like Keras's 'same' (odd/even sizes)."""
    img_dim = 2 if config.image_data_format() == "channels_first" else 1
    size = inputs.shape[img_dim:img_dim + 2]
    kernel_size = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    if weights is None:
        return
    act = activations.get(classifier_activation)
    if act not in {activations.get("softmax"), activations.get(None)}:
        raise ValueError("Only `None` and `softmax` activations are allowed for the `classifier_activation` "
                         "argument when using pretrained weights, with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def check_weights_arg(weights, include_top, classes):
    if not (weights in {"imagenet", None} or (isinstance(weights, (str, os.PathLike)) and os.path.exists(weights))):
        raise ValueError("The `weights` argument should be either `None` (random initialization), 'imagenet' "
                         "(pre-training on ImageNet), or the path to the weights file to be loaded.  Received: "
                         f"weights={weights}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` should be 1000.  "
                         f"Received classes={classes}")


def resolve_weights(weights, file_name, url):
    """The weights file to load: the given path, Keras's cached ImageNet file, or a clear error (no download)."""
    if weights is None:
        return None
    if weights != "imagenet":
        return os.fspath(weights)
    path = os.path.join(keras_cache_dir(), file_name)
    if not os.path.exists(path):
        raise FileNotFoundError(f"weights='imagenet': kxla does not download weights. Save {url} as {path} "
                                "(keras.applications does this on first use), or pass weights=<path of a Keras "
                                ".h5 / .weights.h5 file>.")
    return path


def load_application_weights(model, weights_path):
    """Load Keras's weights into an application model: ``.weights.h5`` (Keras 3) or a legacy ``.h5`` file."""
    from ..saving.keras_h5 import load_legacy_h5, require_h5py
    h5py = require_h5py()
    with h5py.File(weights_path, "r") as f:
        legacy = "layer_names" in f.attrs or "model_weights" in f
    if legacy:
        load_legacy_h5(model, weights_path)
    else:
        model.load_weights(weights_path)
