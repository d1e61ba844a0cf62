"""Random image augmentation layers (Keras 3): identity at inference, random in training.

RandomFlip, RandomCrop, RandomContrast, RandomBrightness, RandomInvert,
RandomGrayscale, Solarization. Training draws come from the random ops
(``random_uniform_like``, ``random_crop``), keyed by the step's key, so each
training step augments differently and a compiled step stays pure. Called
directly outside a model, ``training`` defaults to True, as Keras's
preprocessing layers do; inside a model it follows the model's mode.
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ...ops import layer_ops_random as rnd
from ...ops.tracing import current_builder
from ..layer import Layer
from .resizing import crop_box, resize_images, spatial_axes


def per_sample(images):
    """A ``(batch, 1, 1, 1)`` (or ``(1, 1, 1)``) slice of ``images`` to draw one number per image."""
    return ops.getitem(images, tuple(slice(None) if i == 0 and len(images.shape) == 4 else slice(0, 1)
                                     for i in range(len(images.shape))))


class BaseRandomLayer(Layer):
    """Shared by the augmentation layers: Keras's ``factor`` bounds, ``data_format``, ``seed``."""

    _FACTOR_BOUNDS = (-1, 1)
    _ACCEPTS_DICT = False          # MixUp / CutMix take {"images", "labels"}

    def __init__(self, data_format=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.seed = seed

    def __call__(self, *args, **kwargs):
        data = args[0] if args else kwargs.get("inputs", kwargs.get("data"))
        if isinstance(data, dict) and not self._ACCEPTS_DICT:
            raise ValueError(f"{type(self).__name__}: dict inputs (keys {sorted(data)}: bounding boxes, segmentation "
                             "masks, labels) are not supported by kxla's image preprocessing layers; pass the "
                             "images tensor")
        if kwargs.get("training") is None and current_builder() is None and \
                not any(getattr(a, "builder", 0) is None for a in args):
            kwargs["training"] = True           # Keras: a direct call augments
        return super().__call__(*args, **kwargs)

    def _set_factor(self, factor):
        lo, hi = self._FACTOR_BOUNDS
        msg = (f"The `factor` argument should be a number (or a list of two numbers) in the range [{lo}, {hi}]. "
               f"Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > hi or factor[1] < lo:
                raise ValueError(msg)
            self.factor = tuple(sorted(factor))
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < lo or factor > hi:
                raise ValueError(msg)
            factor = abs(factor)
            self.factor = (max(-factor, lo), factor)
        else:
            raise ValueError(msg)

    def _uniform(self, images, minval, maxval):
        """One draw per image in ``[minval, maxval)`` shaped to broadcast over it."""
        if minval == maxval:
            return ops.zeros_like(per_sample(images)) + minval
        # every draw from the step's key: a fixed seed here would repeat one draw in every node and step
        # (``seed`` stays in the config; ``kxla.utils.set_random_seed`` makes runs reproducible)
        return rnd.random_uniform_like(per_sample(images), minval, maxval)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "seed": self.seed}


def _float(images):
    return images if images.dtype in ("float32", "float16", "bfloat16", "float64") else ops.cast(images, "float32")


class RandomFlip(BaseRandomLayer):
    """Flip each image horizontally and/or vertically with probability 1/2 (``keras.layers.RandomFlip``)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        flips = ops.less_equal(self._uniform(x, 0.0, 1.0), 0.5)     # one draw, both flips, as Keras
        h_axis, w_axis = spatial_axes(x, self.data_format)
        for axis, name in ((w_axis, "horizontal"), (h_axis, "vertical")):
            if name in self.mode:
                index = [slice(None)] * len(x.shape)
                index[axis] = slice(None, None, -1)
                x = ops.where(flips, ops.getitem(x, tuple(index)), x)
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class RandomCrop(BaseRandomLayer):
    """Random ``height x width`` crop in training; the centered aspect-ratio crop, resized, at inference."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, name=name, **kwargs)
        self.height, self.width = height, width

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x                                  # Keras 3: identity at inference
        h_axis, w_axis = spatial_axes(x, self.data_format)
        height, width = x.shape[h_axis], x.shape[w_axis]
        if height is None or width is None:
            raise ValueError(f"RandomCrop requires the input to have a fully defined height and width. "
                             f"Received: images.shape={tuple(x.shape)}")
        if height > self.height and width > self.width:
            # from the step's key, as the other augmentation layers (a fixed seed would crop alike every step)
            return rnd.random_crop(x, self.height, self.width, data_format=self.data_format)
        crop_h = max(min(height, int(float(width * self.height) / self.width)), 1)
        crop_w = max(min(width, int(float(height * self.width) / self.height)), 1)
        top, left = int(float(height - crop_h) / 2), int(float(width - crop_w) / 2)
        x = crop_box(x, h_axis, w_axis, top, left, min(self.height, height - top), min(self.width, width - left))
        if (x.shape[h_axis], x.shape[w_axis]) != (self.height, self.width):
            x = resize_images(x, (self.height, self.width), "bilinear", False, self.data_format)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomContrast(BaseRandomLayer):
    """``(x - mean) * c + mean`` per image and channel, ``c`` in ``[1 - lower, 1 + upper]``, clipped to
    ``value_range`` (``keras.layers.RandomContrast``; a number ``f`` gives ``factor=(0, f)`` as Keras)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        c = self._uniform(x, 1.0 - self.factor[0], 1.0 + self.factor[1])
        h_axis, w_axis = spatial_axes(x, self.data_format)
        mean = ops.mean(x, axis=(h_axis, w_axis), keepdims=True)
        return ops.clip((x - mean) * c + mean, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(BaseRandomLayer):
    """Add ``delta * (high - low)`` per image, ``delta`` in ``factor``, clipped to ``value_range``
    (``keras.layers.RandomBrightness``)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self._set_factor(factor)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                             f"Received: value_range={value_range}")
        self.value_range = sorted(value_range)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        delta = self._uniform(x, self.factor[0], self.factor[1]) * (self.value_range[1] - self.value_range[0])
        return ops.clip(x + delta, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomInvert(BaseRandomLayer):
    """Replace an image by ``high - x`` with probability drawn from ``factor`` (``keras.layers.RandomInvert``)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        probability = self._uniform(x, self.factor[0], self.factor[1])
        invert = ops.less(self._uniform(x, 0.0, 1.0), probability)
        return ops.where(invert, self.value_range[1] - x, x)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}
