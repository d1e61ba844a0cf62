"""RandomGaussianBlur, RandomErasing, RandomPerspective, RandomElasticTransform, MixUp, CutMix (Keras 3).

Identity at inference; in training each layer draws from random ops keyed by
the step's key (``random_uniform_like``, ``gaussian_noise``,
``random_beta_like``), per image where Keras draws per image, so the batch
size may be unknown when the graph is built. Keras's formulas throughout;
where Keras draws a blur width per call (RandomGaussianBlur, RandomElasticTransform
with a scale range) the kernel is built in the graph from the drawn sigma, its
size fixed by the range's upper end. MixUp and CutMix take the images tensor
or Keras's ``{"images": ..., "labels": ...}`` dict (labels mixed with the
images' weights); other dict keys (bounding boxes, masks) raise.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ...ops import layer_ops_random as rnd
from ...ops.tracing import current_builder
from .random_image import BaseRandomLayer, _float, per_sample
from .resizing import spatial_axes


def _set_range(factor, name, bounds=(0, 1)):
    """Keras's ``_set_factor_by_name``: a number f gives (max(-f, low), f); a pair is sorted."""
    msg = (f"The `{name}` argument should be a number (or a list of two numbers) in the range "
           f"[{bounds[0]}, {bounds[1]}]. Received: factor={factor}")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        return tuple(sorted(factor))
    if not isinstance(factor, (int, float)) or factor < bounds[0] or factor > bounds[1]:
        raise ValueError(msg)
    return (max(-abs(factor), bounds[0]), abs(factor))


def _per_image(x, shape):
    """Zeros of ``(batch,) + shape`` (the batch from ``x``), to draw per-image tensors from."""
    base = ops.reshape(ops.zeros_like(per_sample(x)), [-1] + [1] * len(shape))
    return base + np.zeros(shape, "float32")


def _zeros(x, shape):
    """Zeros of a fixed ``shape`` computed from ``x``, so draws from them are graph nodes (one draw per call)."""
    return ops.sum(ops.zeros_like(per_sample(x))) + np.zeros(shape, "float32")


def _apply_with_probability(layer, x, transformed):
    """Keras's ``threshold < probability`` choice per image."""
    probability = layer._uniform(x, layer.factor[0], layer.factor[1])
    return ops.where(ops.less(layer._uniform(x, 0.0, 1.0), probability), transformed, x)


def blur(x, kernel_size, sigma, data_format):
    """Gaussian blur with a sigma pair that may be a tensor (Keras's kernel: width taps from sigma[0])."""
    kw, kh = kernel_size
    if not hasattr(sigma, "shape"):
        return ops.image.gaussian_blur(x, (kw, kh), tuple(sigma), data_format=data_format)

    def taps(size, s):
        t = np.arange(size, dtype="float32") - (size - 1) / 2.0
        g = ops.exp(-0.5 * ops.square(t / s))
        return g / ops.sum(g)
    kernel = ops.outer(taps(kh, sigma[1]), taps(kw, sigma[0]))
    channels = x.shape[1 if data_format == "channels_first" else -1]
    kernel = ops.tile(ops.reshape(kernel, [kh, kw, 1, 1]), [1, 1, channels, 1])
    return ops.depthwise_conv(x, ops.cast(kernel, x.dtype), 1, "same", data_format=data_format)


class RandomGaussianBlur(BaseRandomLayer):
    """Blur each image with probability drawn in ``factor``, sigma drawn in ``sigma`` per call
    (``keras.layers.RandomGaussianBlur``)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        sizes = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or any(s % 2 == 0 for s in sizes):
            raise ValueError(f"kernel_size must be an odd number. Received: kernel_size={kernel_size}")
        self.kernel_size = sizes
        self.sigma = _set_range(sigma, "sigma")
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        lo, hi = self.sigma
        sigma = (lo + 1e-6, lo + 1e-6) if lo == hi else \
            rnd.random_uniform_like(_zeros(x, (2,)), lo, hi) + 1e-6
        x = _apply_with_probability(self, x, blur(x, self.kernel_size, sigma, self.data_format))
        return ops.clip(x, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": self.value_range}


def _box_mask(layer, x, ratio_w, ratio_h):
    """Keras's random box of ``ratio * size`` per image: a boolean mask broadcastable to ``x``."""
    h_axis, w_axis = spatial_axes(x, layer.data_format)
    height, width = x.shape[h_axis], x.shape[w_axis]
    bounds = []
    for ratio, size in ((ratio_w, width), (ratio_h, height)):
        length = ratio * float(size)
        start = layer._uniform(x, 0.0, 1.0) * (float(size) - length)
        bounds.append((start, start + length))
    (x0, x1), (y0, y1) = bounds
    gy, gx = np.meshgrid(np.arange(height, dtype="float32"), np.arange(width, dtype="float32"), indexing="ij")
    shape = [1] * len(x.shape)
    shape[h_axis], shape[w_axis] = height, width
    gx, gy = gx.reshape(shape), gy.reshape(shape)
    inside = ops.logical_and(ops.logical_and(ops.greater_equal(gx, x0), ops.less(gx, x1)),
                             ops.logical_and(ops.greater_equal(gy, y0), ops.less(gy, y1)))
    return inside, (x1 - x0) * (y1 - y0) / float(height * width)


class RandomErasing(BaseRandomLayer):
    """Erase a random box (area fraction drawn in ``scale``) of each image with probability drawn in ``factor``
    (``keras.layers.RandomErasing``; ``fill_value=None`` fills with Gaussian noise times the range's top)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        self.scale = _set_range(scale, "scale")
        if fill_value is not None and not isinstance(fill_value, (int, float)) and \
                not (isinstance(fill_value, (tuple, list)) and len(fill_value) == 3):
            raise ValueError("The `fill_value` argument should be a number (or a list of three numbers) ")
        self.fill_value, self.value_range = fill_value, value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        rw = ops.sqrt(self._uniform(x, self.scale[0], self.scale[1]))
        rh = ops.sqrt(self._uniform(x, self.scale[0], self.scale[1]))
        inside, _ = _box_mask(self, x, rw, rh)
        if self.fill_value is None:
            fill = ops.gaussian_noise(ops.zeros_like(x), 1.0) * float(self.value_range[1])
        else:
            values = np.asarray(self.fill_value, "float32")
            if values.ndim == 1 and self.data_format == "channels_first":
                values = values.reshape(3, 1, 1)
            fill = ops.zeros_like(x) + values
        fill = ops.clip(fill, self.value_range[0], self.value_range[1])
        return _apply_with_probability(self, x, ops.where(inside, fill, x))

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
                "value_range": self.value_range}


class RandomPerspective(BaseRandomLayer):
    """Move each image's corners by up to ``scale / 2`` of the image, with probability drawn in ``factor``
    (``keras.layers.RandomPerspective``)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        if scale < 0.0 or scale > 1.0:
            raise ValueError(f"The `scale` argument should be a number in the range [0,1]. Received: scale={scale}")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        self.scale, self.interpolation, self.fill_value = scale, interpolation, fill_value

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        h_axis, w_axis = spatial_axes(x, self.data_format)
        height, width = x.shape[h_axis], x.shape[w_axis]
        start = np.array([[0.0, 0.0], [width - 1, 0.0], [0.0, height - 1], [width - 1, height - 1]], "float32")
        zeros = _per_image(x, (4, 2))
        if self.scale == 0:
            shift = zeros
        else:
            shift = rnd.random_uniform_like(zeros, -0.5 * self.scale, 0.5 * self.scale)
        warped = ops.image.perspective_transform(x, zeros + start, start + start * shift,
                                                 interpolation=self.interpolation, fill_value=self.fill_value,
                                                 data_format=self.data_format)
        return _apply_with_probability(self, x, warped)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}


class RandomElasticTransform(BaseRandomLayer):
    """Elastic deformation of each image with probability drawn in ``factor``; the strength (alpha, sigma) is
    drawn per call in ``scale`` (``keras.layers.RandomElasticTransform``: alpha = max(h, w) * 0.1 * s,
    sigma = min(h, w) * 0.05 * s, one smoothed noise field for both axes)."""

    _FACTOR_BOUNDS = (0, 1)
    _FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)
        self.scale = _set_range(scale, "scale")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one "
                                      "('nearest', 'bilinear').")
        if fill_mode not in self._FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {set(self._FILL_MODES)}.")
        self.interpolation, self.fill_mode, self.fill_value = interpolation, fill_mode, fill_value
        self.value_range = value_range

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training or self.scale[1] == 0 or self.factor[1] == 0:
            return x
        single = len(x.shape) == 3
        y = ops.expand_dims(x, 0) if single else x
        cf = self.data_format == "channels_first"
        y = ops.moveaxis(y, 1, -1) if cf else y
        height, width = y.shape[1], y.shape[2]
        lo, hi = self.scale
        s = lo if lo == hi else rnd.random_uniform_like(_zeros(y, ()), lo, hi)
        alpha, sigma = max(height, width) * 0.1 * s, min(height, width) * 0.05 * s
        size = int(6 * min(height, width) * 0.05 * hi) | 1
        field = ops.gaussian_noise(ops.zeros_like(y[..., :1]), 1.0) * sigma
        field = blur(field, (size, size), (sigma, sigma) if lo == hi else ops.stack([sigma, sigma]),
                     "channels_last")
        warped = self._warp(y, alpha * field)
        warped = ops.moveaxis(warped, -1, 1) if cf else warped
        out = _apply_with_probability(self, ops.expand_dims(x, 0) if single else x, warped)
        out = ops.clip(out, self.value_range[0], self.value_range[1])
        return out[0] if single else out

    def _warp(self, y, shift):
        """Sample ``y`` (N, H, W, C) at (row + shift, col + shift): one map_coordinates over the batch."""
        height, width, channels = y.shape[1], y.shape[2], y.shape[3]
        grid = _per_image(y, (height, width, channels))
        rows = grid + np.arange(height, dtype="float32").reshape(height, 1, 1) + shift
        cols = grid + np.arange(width, dtype="float32").reshape(1, width, 1) + shift
        batch = grid + ops.cumsum(ops.ones_like(per_sample(y)), axis=0) - 1.0          # 0, 1, ... per image
        chans = grid + np.arange(channels, dtype="float32")
        coords = ops.stack([batch, rows, cols, chans], axis=0)
        order = 0 if self.interpolation == "nearest" else 1
        return ops.image.map_coordinates(y, coords, order, fill_mode=self.fill_mode, fill_value=self.fill_value)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value,
                "value_range": self.value_range}


class _BatchMix(BaseRandomLayer):
    """MixUp / CutMix: images (and labels) mixed with a random permutation of the batch."""

    _ACCEPTS_DICT = True

    def __call__(self, inputs, training=None, **kwargs):
        if not isinstance(inputs, dict):
            return super().__call__(inputs, training=training, **kwargs)
        if training is None:                          # a direct call trains, as Keras's; a traced one follows
            builder = current_builder()
            training = builder.training if builder is not None else True
        return self.call(inputs, training=training)

    def call(self, inputs, training=True):
        data = dict(inputs) if isinstance(inputs, dict) else {"images": inputs}
        unknown = sorted(set(data) - {"images", "labels"})
        if unknown:
            raise ValueError(f"{type(self).__name__}: dict keys {unknown} (bounding boxes, segmentation masks) are "
                             "not supported by kxla; pass {'images': ..., 'labels': ...}")
        images = _float(data["images"])
        if training and len(images.shape) == 4:
            order = ops.argsort(ops.reshape(self._uniform(images, 0.0, 1.0), [-1]))       # a random permutation
            images, weight = self._mix(images, order)
            if "labels" in data:
                labels = ops.cast(data["labels"], "float32")
                w = ops.reshape(weight, [-1] + [1] * (len(labels.shape) - 1))
                data["labels"] = w * labels + (1.0 - w) * ops.take(labels, order, axis=0)
        data["images"] = images
        return data if isinstance(inputs, dict) else images


class MixUp(_BatchMix):
    """``w * x + (1 - w) * x[perm]`` with ``w ~ Beta(alpha, alpha)`` per image (``keras.layers.MixUp``)."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.alpha = alpha

    def _mix(self, images, order):
        weight = rnd.random_beta_like(ops.reshape(per_sample(images), [-1]), float(self.alpha))
        w = ops.reshape(weight, [-1, 1, 1, 1])
        return w * images + (1.0 - w) * ops.take(images, order, axis=0), weight

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(_BatchMix):
    """Paste a random box of another image of the batch into each image (``keras.layers.CutMix``; the box's
    side ratio is ``sqrt(1 - w)``, ``w ~ Beta(a, a)``, ``a`` drawn in ``factor``; labels mixed by the box area)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self._set_factor(factor)

    def _mix(self, images, order):
        lo, hi = self.factor
        alpha = lo + 1e-6 if lo == hi else rnd.random_uniform_like(_zeros(images, ()), lo, hi) + 1e-6
        weight = rnd.random_beta_like(per_sample(images), alpha)
        ratio = ops.sqrt(1.0 - weight)
        inside, area = _box_mask(self, images, ratio, ratio)
        return ops.where(inside, ops.take(images, order, axis=0), images), ops.reshape(1.0 - area, [-1])

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}
