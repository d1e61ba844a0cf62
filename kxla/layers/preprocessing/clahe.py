"""ContrastLimitedAdaptiveHistogramEqualization (Keras 3): CLAHE on 0-255 values, in both modes as Keras.

The image is cut into ``tile_grid_size`` tiles (padded symmetrically to a
multiple), each tile's 256-bin histogram is clipped at
``clip_limit * pixels / 256`` with the excess spread evenly, and each pixel
is mapped through the four nearest tiles' normalised CDFs, bilinearly
weighted — Keras's computation, written per image so the batch may be
unknown when the graph is built.
"""
from __future__ import annotations

import numpy as np

from ... import ops
from ...config import standardize_data_format
from ..layer import Layer


def _rescale(x, source, target):
    if tuple(source) == tuple(target):
        return x
    return (x - source[0]) / (source[1] - source[0]) * (target[1] - target[0]) + target[0]


def _neighbours(size, tile, grid):
    """Lower/upper tile index (into the edge-padded CDF grid) and the upper weight of each pixel row/column."""
    g = (np.arange(size, dtype="float32") - tile / 2.0) / tile + 1.0
    low = np.floor(g)
    return (np.clip(low, 0, grid + 1).astype("int32"), np.clip(low + 1, 0, grid + 1).astype("int32"),
            (g - low).astype("float32"))


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Contrast-limited adaptive histogram equalization per tile and channel
    (``keras.layers.ContrastLimitedAdaptiveHistogramEqualization``)."""

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.value_range, self.clip_limit, self.tile_grid_size = value_range, clip_limit, tile_grid_size
        self.data_format = standardize_data_format(data_format)

    def call(self, inputs, training=None):
        x = inputs if inputs.dtype in ("float32", "float16", "bfloat16") else ops.cast(inputs, "float32")
        single = len(x.shape) == 3
        x = ops.expand_dims(x, 0) if single else x
        x = ops.transpose(x, (0, 2, 3, 1)) if self.data_format == "channels_first" else x
        out = _rescale(self._clahe(_rescale(ops.cast(x, "float32"), self.value_range, (0, 255))), (0, 255),
                       self.value_range)
        out = ops.cast(out, inputs.dtype)
        out = ops.transpose(out, (0, 3, 1, 2)) if self.data_format == "channels_first" else out
        return out[0] if single else out

    def _clahe(self, images):
        _, height, width, channels = images.shape
        gh, gw = self.tile_grid_size
        th, tw = -(-height // gh), -(-width // gw)
        ph, pw = th * gh - height, tw * gw - width
        padded = ops.pad(images, [[0, 0], [0, ph], [0, pw], [0, 0]], mode="symmetric") if ph or pw else images
        tiles = ops.transpose(ops.reshape(padded, [-1, gh, th, gw, tw, channels]), (0, 1, 3, 5, 2, 4))
        tiles = ops.clip(ops.cast(ops.reshape(tiles, [-1, gh, gw, channels, th * tw]), "int32"), 0, 255)
        hists = ops.sum(ops.one_hot(tiles, 256), axis=-2)                         # (b, gh, gw, c, 256)
        if self.clip_limit > 0:
            clipped = ops.clip(hists, 0.0, self.clip_limit * (th * tw) / 256.0)
            hists = clipped + ops.sum(hists - clipped, axis=-1, keepdims=True) / 256.0
        cdf = ops.cumsum(hists, axis=-1)
        cdf_min = ops.min(cdf, axis=-1, keepdims=True)
        denominator = float(th * tw) - cdf_min
        cdf = ops.clip((cdf - cdf_min) * 255.0 / ops.where(ops.equal(denominator, 0.0), 1.0, denominator), 0, 255)
        cdf = ops.concatenate([cdf[:, :1], cdf, cdf[:, -1:]], axis=1)
        cdf = ops.concatenate([cdf[:, :, :1], cdf, cdf[:, :, -1:]], axis=2)      # (b, gh+2, gw+2, c, 256)
        flat = ops.reshape(cdf, [-1, (gh + 2) * (gw + 2) * channels * 256])
        y0, y1, wy = _neighbours(th * gh, th, gh)
        x0, x1, wx = _neighbours(tw * gw, tw, gw)
        pixels = ops.cast(ops.clip(padded, 0, 255), "int32")
        base = pixels + (np.arange(channels, dtype="int32") * 256)
        stride_x, stride_y = 256 * channels, 256 * channels * (gw + 2)

        def lookup(ys, xs):
            index = base + (ys * stride_y)[:, None, None] + (xs * stride_x)[None, :, None]
            values = ops.take_along_axis(flat, ops.reshape(index, [-1, th * gh * tw * gw * channels]), axis=1)
            return ops.reshape(values, [-1, th * gh, tw * gw, channels])
        wx, wy = wx[None, None, :, None], wy[None, :, None, None]
        top = lookup(y0, x0) * (1.0 - wx) + lookup(y0, x1) * wx
        bottom = lookup(y1, x0) * (1.0 - wx) + lookup(y1, x1) * wx
        return (top * (1.0 - wy) + bottom * wy)[:, :height, :width, :]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "clip_limit": self.clip_limit,
                "tile_grid_size": self.tile_grid_size, "data_format": self.data_format}
