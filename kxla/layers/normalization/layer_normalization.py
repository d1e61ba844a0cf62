"""LayerNormalization (Keras 3): per-example normalization over ``axis``, then ``* gamma + beta``.

Weights, in Keras's order: ``gamma`` (if ``scale`` or ``rms_scaling``), then
``beta`` (if ``center`` and not ``rms_scaling``), each with the sizes of the
normalized axes. The default path is one ``layer_norm`` node. ``rms_scaling``
reproduces Keras's (deprecated) formula exactly: ``x * rsqrt(var(x) + eps) * gamma``
(it divides by the standard deviation, not the root mean square, and does
not subtract the mean).
"""
from __future__ import annotations

import warnings

from ... import ops
from .affine import affine_config, set_affine_args
from ..layer import Layer


class LayerNormalization(Layer):
    """Normalize each example over ``axis`` (``keras.layers.LayerNormalization``).

    Arguments:
      axis: int or list of ints to normalize over (default -1, the features).
      epsilon: added to the variance (default 1e-3, as Keras).
      center: create and add ``beta``.
      scale: create and multiply by ``gamma``.
      rms_scaling: Keras's deprecated flag (see the module doc); creates ``gamma`` only.
      beta_initializer, gamma_initializer, beta/gamma regularizers and constraints: as Keras.

    After ``build`` the ``axis`` attribute is a sorted list, as in Keras.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, rms_scaling=False, **kwargs):
        if rms_scaling:
            warnings.warn("You passed `rms_scaling=True`, which is deprecated in Keras 3. This argument "
                          "scales the input by the variance, not the root mean square.", stacklevel=2)
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis = [int(a) for a in axis]
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: "
                            f"{axis!r}")
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        set_affine_args(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                        beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape):
        rank = len(input_shape)
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                                 f"Received: axis={self.axis}")
        self.axis = sorted(axes) if isinstance(self.axis, list) else axes
        shape = tuple(input_shape[a] for a in self.axis)
        if None in shape:
            raise ValueError(f"The normalized axes {self.axis} of the input must be known, got input shape "
                             f"{tuple(input_shape)}")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         name="gamma")
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                                        name="beta")
        self.built = True

    def call(self, inputs):
        if not self.rms_scaling:
            return ops.layer_normalization(inputs, self.gamma, self.beta, axis=self.axis, epsilon=self.epsilon)
        rank = len(inputs.shape)
        x = inputs if inputs.dtype in ("float32", "float64") else ops.cast(inputs, "float32")
        _, variance = ops.moments(x, axes=self.axis, keepdims=True)
        out = ops.multiply(x, ops.rsqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            gamma = self.gamma
            if [a % rank for a in self.axis] != [rank - 1]:
                broadcast = [1] * rank
                for a in self.axis:
                    broadcast[a] = inputs.shape[a]
                gamma = ops.reshape(gamma, broadcast)
            out = ops.multiply(out, gamma)
        return out if out.dtype == inputs.dtype else ops.cast(out, inputs.dtype)

    def compute_output_shape(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -len(input_shape) <= a < len(input_shape):
                raise ValueError(f"Axis {a} is out of bounds for input shape {tuple(input_shape)}. "
                                 f"Received: axis={self.axis}")
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "rms_scaling": self.rms_scaling, **affine_config(self)}
