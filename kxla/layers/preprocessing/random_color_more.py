"""RandomHue, RandomSaturation, RandomPosterization, RandomSharpness, RandomColorJitter, Equalization (Keras 3).

Per-image transforms of the pixel values, identity at inference; training
draws come from ``random_uniform_like`` (one number per image, keyed by the
step's key). The formulas are Keras's, including its quirks: RandomSaturation
clips the scaled saturation to ``value_range``; Equalization builds one
histogram per channel over the whole batch.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from .random_image import BaseRandomLayer, RandomBrightness, RandomContrast, _float

_EPSILON = 1e-7


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range}")
    return sorted(value_range)


def _rescale(x, source, target):
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _channel(x, data_format, i):
    return x[:, i] if data_format == "channels_first" else x[..., i]


def _replace_channel(x, data_format, i, value):
    planes = [value if j == i else _channel(x, data_format, j) for j in range(3)]
    return ops.stack(planes, axis=1 if data_format == "channels_first" else -1)


def _batched(x):
    if len(x.shape) not in (3, 4):
        raise ValueError(f"Expected the input image to be rank 3 or 4. Received inputs.shape={tuple(x.shape)}")
    return (ops.expand_dims(x, 0), True) if len(x.shape) == 3 else (x, False)


class _FactorLayer(BaseRandomLayer):
    """A color layer whose arguments are Keras's ``factor`` (in ``_FACTOR_BOUNDS``) and ``value_range``."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        self.value_range = _value_range(value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomHue(BaseRandomLayer):
    """Shift each image's hue by ``±factor / 2`` of a turn, the amount and sign drawn per image
    (``keras.layers.RandomHue``)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        x, single = _batched(x)
        sign = ops.where(ops.greater(self._uniform(x, 0.0, 1.0), 0.5), -1.0, 1.0)
        shift = ops.reshape(sign * self._uniform(x, self.factor[0], self.factor[1]) * 0.5, [-1, 1, 1])
        hsv = ops.image.rgb_to_hsv(_rescale(x, self.value_range, (0, 1)), data_format=self.data_format)
        hue = _channel(hsv, self.data_format, 0) + shift
        hue = ops.where(ops.greater(hue, 1.0), hue - 1.0, hue)
        hue = ops.where(ops.less(hue, 0.0), hue + 1.0, hue)
        rgb = ops.image.hsv_to_rgb(_replace_channel(hsv, self.data_format, 0, hue), data_format=self.data_format)
        out = _rescale(ops.clip(rgb, 0.0, 1.0), (0, 1), self.value_range)
        return out[0] if single else out

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomSaturation(_FactorLayer):
    """Scale each image's saturation by ``f / (1 - f)``, ``f`` drawn in ``factor``
    (``keras.layers.RandomSaturation``; 0.5 keeps the image, 0 makes it gray)."""

    _FACTOR_BOUNDS = (0, 1)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        x, single = _batched(x)
        f = self._uniform(x, self.factor[0], self.factor[1])
        f = ops.reshape(f / (1.0 - f + _EPSILON), [-1, 1, 1])
        hsv = ops.image.rgb_to_hsv(x, data_format=self.data_format)
        s = ops.clip(_channel(hsv, self.data_format, 1) * f, self.value_range[0], self.value_range[1])
        out = ops.image.hsv_to_rgb(_replace_channel(hsv, self.data_format, 1, s), data_format=self.data_format)
        return out[0] if single else out


class RandomPosterization(_FactorLayer):
    """Keep ``factor`` bits (1-8, drawn per image) of each 0-255 pixel value (``keras.layers.RandomPosterization``)."""

    _FACTOR_BOUNDS = (1, 8)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        lo, hi = self.factor
        bits = float(lo) if lo == hi else ops.floor(self._uniform(x, lo, hi))   # randint in [lo, hi)
        step = ops.power(2.0, 8.0 - bits) if lo != hi else 2.0 ** (8 - lo)
        v = ops.cast(ops.cast(_rescale(x, self.value_range, (0, 255)), "uint8"), x.dtype)
        return _rescale(ops.floor(v / step) * step, (0, 255), self.value_range)


class RandomSharpness(_FactorLayer):
    """Blend each image with its smoothed version by ``1 - 2 f``, ``f`` drawn in ``factor``
    (``keras.layers.RandomSharpness``; 0.5 keeps the image, more sharpens)."""

    _FACTOR_BOUNDS = (0, 1)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        channels = x.shape[1 if self.data_format == "channels_first" else -1]
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = np.tile(np.array([[a, a, a], [a, b, a], [a, a, a]], "float32")[:, :, None, None],
                         (1, 1, channels, 1))
        smooth = ops.depthwise_conv(x, ops.cast(kernel, x.dtype), 1, "same", data_format=self.data_format)
        f = self._uniform(x, self.factor[0], self.factor[1]) * 2.0
        return ops.clip(x + (1.0 - f) * (smooth - x), self.value_range[0], self.value_range[1])


class RandomColorJitter(BaseRandomLayer):
    """RandomBrightness, RandomContrast, RandomSaturation, RandomHue in that order, each where its factor is
    given (``keras.layers.RandomColorJitter``)."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range = value_range
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        common = {"value_range": value_range, "seed": seed}
        self._steps = [cls(factor=f, **common, **extra) for cls, f, extra in (
            (RandomBrightness, brightness_factor, {}), (RandomContrast, contrast_factor, {}),
            (RandomSaturation, saturation_factor, {"data_format": data_format}),
            (RandomHue, hue_factor, {"data_format": data_format})) if f is not None]

    def call(self, inputs, training=True):
        x = _float(inputs)
        if training:
            for step in self._steps:
                x = step.call(x, training=True)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "brightness_factor": self.brightness_factor, "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}


class Equalization(BaseRandomLayer):
    """Histogram equalization of each channel (``keras.layers.Equalization``; as Keras, applied in training
    only, with one histogram per channel over the whole batch)."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = _value_range(value_range)

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        cf = self.data_format == "channels_first"
        y = ops.moveaxis(x, -3, -1) if cf else x
        y = _rescale(y, self.value_range, (0, 255))
        bins, channels = self.bins, y.shape[-1]
        index = ops.clip(ops.cast(y * (bins - 1) / 255.0, "int32"), 0, bins - 1)
        hist = ops.sum(ops.one_hot(index, bins, dtype="int32"), axis=tuple(range(len(y.shape) - 1)))  # (C, bins)
        cdf = ops.cumsum(hist, axis=-1)
        cdf_min = ops.min(ops.where(ops.greater(cdf, 0), cdf, np.iinfo("int32").max), axis=-1, keepdims=True)
        denom = cdf[:, -1:] - cdf_min
        denom = ops.where(ops.equal(denom, 0), 1, denom)
        lookup = ops.clip(ops.round(ops.cast((cdf - cdf_min) * 255, "float32") / ops.cast(denom, "float32")),
                          0.0, 255.0)
        lut_index = ops.cast(ops.clip(y / 255.0 * (bins - 1), 0.0, bins - 1.0), "int32")
        lut_index = lut_index + np.arange(channels, dtype="int32") * bins
        equalized = ops.cast(ops.take(ops.reshape(lookup, [-1]), lut_index), y.dtype)
        several = ops.greater(ops.count_nonzero(hist, axis=-1), 1)                   # (channels,)
        out = _rescale(ops.where(several, equalized, y), (0, 255), self.value_range)
        return ops.moveaxis(out, -1, -3) if cf else out

    def get_config(self):
        config = {**super().get_config(), "bins": self.bins, "value_range": self.value_range}
        del config["seed"]
        return config
