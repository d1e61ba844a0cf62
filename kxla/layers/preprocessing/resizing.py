"""Resizing and CenterCrop (Keras 3 image preprocessing), graph layers on ``ops.resize`` and slices.

Both take a batch ``(batch, height, width, channels)`` or one image (rank 3)
in ``data_format``. ``crop_to_aspect_ratio`` / ``pad_to_aspect_ratio`` crop
(centered) or pad (with ``fill_value``) to the target aspect ratio before
resizing, with Keras's integer box arithmetic.
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ...ops.nn_extra import INTERPOLATIONS
from ..layer import Layer


def spatial_axes(x, data_format: str) -> tuple:
    rank = len(x.shape)
    return (rank - 2, rank - 1) if data_format == "channels_first" else (rank - 3, rank - 2)


def crop_box(images, h_axis, w_axis, top, left, height, width):
    index = [slice(None)] * len(images.shape)
    index[h_axis], index[w_axis] = slice(top, top + height), slice(left, left + width)
    return ops.getitem(images, tuple(index))


def aspect_crop(images, target, data_format):
    """The centered crop of ``images`` with the aspect ratio of ``target`` (Keras's smart_resize box)."""
    h_axis, w_axis = spatial_axes(images, data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    crop_h = max(min(height, int(float(width * target[0]) / target[1])), 1)
    crop_w = max(min(width, int(float(height * target[1]) / target[0])), 1)
    return crop_box(images, h_axis, w_axis, int(float(height - crop_h) / 2), int(float(width - crop_w) / 2),
                    crop_h, crop_w)


def aspect_pad(images, target, data_format, fill_value):
    h_axis, w_axis = spatial_axes(images, data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    top = int(float(max(height, int(float(width * target[0]) / target[1])) - height) / 2)
    left = int(float(max(width, int(float(height * target[1]) / target[0])) - width) / 2)
    width_spec = [[0, 0] for _ in images.shape]
    if top > 0:
        width_spec[h_axis] = [top, top]
    elif left > 0:
        width_spec[w_axis] = [left, left]
    return ops.pad(images, width_spec, constant_values=float(fill_value))


def resize_images(images, size, interpolation, antialias, data_format):
    """``ops.resize`` for a batch or a single image (rank 3)."""
    single = len(images.shape) == 3
    x = ops.expand_dims(images, 0) if single else images
    out = ops.resize(x, size, interpolation=interpolation, antialias=antialias, data_format=data_format)
    return ops.squeeze(out, 0) if single else out


def _check_known(layer, images):
    h_axis, w_axis = spatial_axes(images, layer.data_format)
    if images.shape[h_axis] is None or images.shape[w_axis] is None:
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) needs known height and width, got "
                         f"input shape {tuple(images.shape)}")
    return h_axis, w_axis


class Resizing(Layer):
    """Resize images to ``(height, width)`` (``keras.layers.Resizing``)."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Invalid value for argument `interpolation`: {interpolation}; expected one of "
                             f"{INTERPOLATIONS}")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing supports fill_mode='constant' only (as Keras), got {fill_mode!r}")
        self.height, self.width = height, width
        self.interpolation, self.antialias = interpolation, antialias
        self.crop_to_aspect_ratio, self.pad_to_aspect_ratio = crop_to_aspect_ratio, pad_to_aspect_ratio
        self.fill_mode, self.fill_value = fill_mode, fill_value
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        target = (self.height, self.width)
        x = inputs
        if self.crop_to_aspect_ratio or self.pad_to_aspect_ratio:
            _check_known(self, x)
            x = aspect_crop(x, target, self.data_format) if self.crop_to_aspect_ratio else \
                aspect_pad(x, target, self.data_format, self.fill_value)
        return resize_images(x, target, self.interpolation, self.antialias, self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias, "data_format": self.data_format}


class CenterCrop(Layer):
    """Crop the central ``height x width`` part of images (``keras.layers.CenterCrop``).

    An input smaller than the target is cropped to the target's aspect ratio
    and resized (bilinear), as Keras does.
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.height, self.width = height, width
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs):
        h_axis, w_axis = _check_known(self, inputs)
        h_diff, w_diff = inputs.shape[h_axis] - self.height, inputs.shape[w_axis] - self.width
        if h_diff >= 0 and w_diff >= 0:
            return crop_box(inputs, h_axis, w_axis, h_diff // 2, w_diff // 2, self.height, self.width)
        target = (self.height, self.width)
        return resize_images(aspect_crop(inputs, target, self.data_format), target, "bilinear", False,
                             self.data_format)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "data_format": self.data_format}
