"""RandAugment and MaxNumBoundingBoxes (Keras 3).

RandAugment applies ``num_ops`` transforms, each chosen uniformly per call
among Keras's eleven (shear, translation, rotation, brightness, colour
degeneration, contrast, sharpness, posterization, solarization,
auto-contrast, equalization): as Keras, every candidate is computed and the
drawn one selected with ``where``. MaxNumBoundingBoxes leaves images as they
are and pads or truncates ``{"bounding_boxes": {"boxes", "labels"}}`` to
``max_number`` boxes.
"""
from __future__ import annotations

from ... import ops
from ...config import standardize_data_format
from ...ops import layer_ops_random as rnd
from ..layer import Layer
from .auto_contrast import AutoContrast
from .random_affine import RandomRotation, RandomShear, RandomTranslation
from .random_color import RandomColorDegeneration, Solarization
from .random_color_more import Equalization, RandomPosterization, RandomSharpness
from .random_image import BaseRandomLayer, RandomBrightness, RandomContrast, _float
from .random_mix import _zeros


class RandAugment(BaseRandomLayer):
    """``num_ops`` random augmentations of strength ``factor`` per call (``keras.layers.RandAugment``)."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range, self.num_ops, self.interpolation = value_range, num_ops, interpolation
        self._set_factor(factor)
        f, common = self.factor, {"seed": seed, "data_format": data_format}
        colour = {"value_range": value_range, **common}
        self._layers = [
            RandomShear(x_factor=f, y_factor=f, interpolation=interpolation, **common),
            RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation, **common),
            RandomRotation(factor=f, interpolation=interpolation, **common),
            RandomBrightness(factor=f, **colour), RandomColorDegeneration(factor=f, **colour),
            RandomContrast(factor=f, **colour), RandomSharpness(factor=f, **colour),
            RandomPosterization(factor=max(1, int(8 * f[1])), **colour),
            Solarization(addition_factor=f, threshold_factor=f, value_range=value_range, seed=seed),
            AutoContrast(value_range=value_range), Equalization(value_range=value_range, data_format=data_format)]

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        for _ in range(self.num_ops):
            choice = ops.floor(rnd.random_uniform_like(_zeros(x, ()), 0.0, float(len(self._layers))))
            for index, layer in enumerate(self._layers):
                x = ops.where(ops.equal(choice, float(index)), _float(layer.call(x, training=True)), x)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_ops": self.num_ops,
                "factor": self.factor, "interpolation": self.interpolation}


class MaxNumBoundingBoxes(Layer):
    """Pad (with ``fill_value``) or truncate bounding boxes and their labels to ``max_number`` per image
    (``keras.layers.MaxNumBoundingBoxes``); images pass through."""

    def __init__(self, max_number, fill_value=-1, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.max_number, self.fill_value = int(max_number), int(fill_value)
        self.data_format = standardize_data_format(data_format)

    def __call__(self, inputs, training=None, **kwargs):
        if not isinstance(inputs, dict):
            return super().__call__(inputs, training=training, **kwargs)
        return self.call(inputs)

    def call(self, inputs, training=None):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        if not self.bounding_box_format:
            raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't specify a bounding box "
                             "format. Pass a `bounding_box_format` argument to your MaxNumBoundingBoxes layer, e.g. "
                             "`bounding_box_format='xyxy'`.")
        boxes_dict = dict(inputs["bounding_boxes"])
        extra = set(boxes_dict) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"There are unsupported keys in `bounding_boxes`: {list(extra)}. Only `boxes` and "
                           "`labels` are supported.")
        for key in ("boxes", "labels"):
            value = boxes_dict[key]
            count = value.shape[1]
            value = value[:, :self.max_number]
            if count < self.max_number:
                pads = [[0, 0], [0, self.max_number - count]] + [[0, 0]] * (len(value.shape) - 2)
                value = ops.pad(value, pads, constant_values=self.fill_value)
            boxes_dict[key] = value
        return {**inputs, "bounding_boxes": boxes_dict}

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_number": self.max_number, "data_format": self.data_format}
