"""GroupNormalization (Keras 3): normalize groups of channels per sample (``groups=-1``: instance norm)."""
from __future__ import annotations

from ... import ops
from .affine import affine_config, set_affine_args
from ..layer import InputSpec, Layer


class GroupNormalization(Layer):
    """Group normalization (``keras.layers.GroupNormalization``; weights ``gamma``, ``beta``)."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or (groups <= 0 and groups != -1):
            raise ValueError("Received an invalid value for argument `groups`, expected a positive integer "
                             f"(or `-1` for instance normalization). Received: groups={groups}")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups, self.axis, self.epsilon = groups, axis, epsilon
        self.center, self.scale = center, scale
        set_affine_args(self, beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer,
                        beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)

    def build(self, input_shape):
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {input_shape}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels "
                             f"({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels "
                             f"({dim}).")
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: dim})
        self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight(shape=(dim,), name="beta", initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.built = True

    def _group_shape(self, shape):
        axis = self.axis % len(shape)
        grouped = [-1] + [d for d in shape[1:]]
        if None in grouped[1:]:
            raise ValueError(f"GroupNormalization needs known non-batch dims, got input shape {tuple(shape)}")
        grouped[axis] = shape[axis] // self.groups
        grouped.insert(axis, self.groups)
        return grouped, axis

    def call(self, inputs):
        grouped, axis = self._group_shape(tuple(inputs.shape))
        dtype = inputs.dtype
        x = ops.reshape(ops.cast(inputs, "float32") if dtype in ("float16", "bfloat16") else inputs, grouped)
        axes = [i for i in range(1, len(grouped)) if i != axis]
        mean, variance = ops.moments(x, axes=axes, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        broadcast = [1] * len(grouped)
        broadcast[axis], broadcast[axis + 1] = self.groups, grouped[axis + 1]
        if self.scale:
            inv = inv * ops.reshape(ops.cast(self.gamma, x.dtype), broadcast)
        res = -mean * inv
        if self.center:
            res = res + ops.reshape(ops.cast(self.beta, x.dtype), broadcast)
        out = ops.reshape(x * inv + res, [-1] + list(inputs.shape[1:]))
        return ops.cast(out, dtype) if out.dtype != dtype else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale, **affine_config(self)}
