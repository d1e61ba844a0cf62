"""AugMix (Keras 3): a Dirichlet-weighted mix of ``num_chains`` random augmentation chains, blended with the
image by a Beta draw.

Keras picks each chain step's layer (or none) with Python's ``random`` when
the call runs; kxla draws the choice in the graph from the step's key (one
uniform per step, every candidate computed and the drawn one selected), so a
compiled step still augments differently each time. Chain weights are
Gamma(alpha) draws normalised (Dirichlet), the blend weight Beta(alpha, alpha).
"""
from __future__ import annotations

from ... import ops
from ...ops import layer_ops_random as rnd
from ...ops import random_more  # noqa: F401  (registers random_gamma)
from ...ops.core import apply
from .auto_contrast import AutoContrast
from .random_affine import RandomRotation, RandomShear, RandomTranslation
from .random_color import RandomColorDegeneration, Solarization
from .random_color_more import Equalization, RandomPosterization, RandomSharpness
from .random_image import BaseRandomLayer, RandomBrightness, RandomContrast, _float
from .random_mix import _zeros


class AugMix(BaseRandomLayer):
    """AugMix augmentation (``keras.layers.AugMix``); identity at inference."""

    _FACTOR_BOUNDS = (0, 1)

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.value_range, self.num_chains, self.chain_depth = value_range, num_chains, chain_depth
        self._set_factor(factor)
        self.alpha, self.all_ops, self.interpolation = alpha, all_ops, interpolation
        f, common = self.factor, {"seed": seed, "data_format": data_format}
        colour = {"value_range": value_range, **common}
        self._layers = [
            RandomShear(x_factor=f, y_factor=f, interpolation=interpolation, **common),
            RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation, **common),
            RandomRotation(factor=f, interpolation=interpolation, **common),
            RandomPosterization(factor=max(1, int(8 * f[1])), **colour),
            Solarization(addition_factor=f, threshold_factor=f, value_range=value_range, seed=seed),
            AutoContrast(value_range=value_range), Equalization(value_range=value_range, data_format=data_format)]
        if all_ops:
            self._layers += [RandomBrightness(factor=f, **colour), RandomColorDegeneration(factor=f, **colour),
                             RandomContrast(factor=f, **colour), RandomSharpness(factor=f, **colour)]

    def call(self, inputs, training=True):
        x = _float(inputs)
        if not training:
            return x
        alpha = _zeros(x, ()) + float(self.alpha)
        gamma = apply("random_gamma", alpha, shape=[self.num_chains], dtype="float32", seed=None)
        weights = gamma / ops.sum(gamma)
        blend = rnd.random_beta_like(_zeros(x, ()), alpha)
        mixed = ops.zeros_like(x)
        for chain in range(self.num_chains):
            y = x
            for _ in range(self.chain_depth):
                # one of the layers or none (Keras: random.choice(layers + [None]))
                choice = ops.floor(rnd.random_uniform_like(_zeros(x, ()), 0.0, float(len(self._layers) + 1)))
                for index, layer in enumerate(self._layers):
                    y = ops.where(ops.equal(choice, float(index)), _float(layer.call(y, training=True)), y)
            mixed = mixed + y * weights[chain]
        return ops.clip(blend * x + (1.0 - blend) * mixed, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range, "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "factor": self.factor, "alpha": self.alpha,
                "all_ops": self.all_ops, "interpolation": self.interpolation}
