"""SpectralNormalization (Keras 3): divide the wrapped layer's kernel by its largest singular value.

The wrapper adds ``vector_u`` ``(1, units)`` (non-trainable, TruncatedNormal
stddev 0.02) and, in training, runs ``power_iterations`` steps of power
iteration to estimate sigma. As in Keras's JAX backend: called eagerly, the
kernel and ``vector_u`` are assigned their new values; inside a traced
training step (``fit``) ``vector_u`` is a state update and the wrapped layer
runs on ``kernel / sigma`` for that step, while the trainable kernel itself is
left to the optimizer (Keras's stateless JAX step drops assignments to
trainable variables the same way). An all-zero kernel is left alone.
"""
from __future__ import annotations

from ... import initializers, ops
from ...ops.tracing import current_builder
from ..core.wrapper import Wrapper
from ..layer import InputSpec


class SpectralNormalization(Wrapper):
    """Spectral normalization of a wrapped layer's ``kernel`` or ``embeddings``."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        super().build(input_shape)
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})
        self._kernel_attr = "kernel" if hasattr(self.layer, "kernel") else \
            "embeddings" if hasattr(self.layer, "embeddings") else None
        if self._kernel_attr is None:
            raise ValueError(f"{type(self.layer).__name__} object has no attribute 'kernel' nor 'embeddings'")
        self.kernel = getattr(self.layer, self._kernel_attr)
        self.kernel_shape = tuple(self.kernel.shape)
        self.vector_u = self.add_weight(shape=(1, self.kernel_shape[-1]),
                                        initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False,
                                        name="vector_u", dtype=self.kernel.dtype)
        self.built = True

    @property
    def weights(self):
        """Keras's order: the kernel (tracked by the wrapper too), ``vector_u``, the wrapped layer's others."""
        if not self.built:
            return self.layer.weights
        own = [self.kernel] + [w for w in self._own_weights() if w is not self.kernel]
        return own + [w for w in self.layer.weights if all(w is not v for v in own)]

    def normalized_weights(self):
        """(new ``vector_u``, ``kernel / sigma``) from ``power_iterations`` steps of power iteration."""
        weights = ops.reshape(self.kernel, [-1, self.kernel_shape[-1]])
        vector_u = self.vector_u
        for _ in range(self.power_iterations):
            vector_v = ops.nn.normalize(ops.matmul(vector_u, ops.transpose(weights)), axis=None)
            vector_u = ops.nn.normalize(ops.matmul(vector_v, weights), axis=None)
        vector_u, vector_v = ops.stop_gradient(vector_u), ops.stop_gradient(vector_v)
        sigma = ops.matmul(ops.matmul(vector_v, weights), ops.transpose(vector_u))
        kernel = ops.reshape(ops.divide(self.kernel, sigma), self.kernel_shape)
        return ops.cast(vector_u, self.vector_u.dtype), ops.cast(kernel, self.kernel.dtype)

    def call(self, inputs, training=False):
        if not training:
            return ops.cast(self.layer(inputs), inputs.dtype)
        new_u, new_kernel = self.normalized_weights()
        zero = ops.all(ops.equal(self.kernel, 0))
        new_u = ops.where(zero, self.vector_u, new_u)
        new_kernel = ops.where(zero, self.kernel, new_kernel)
        self.vector_u.assign(new_u)
        if current_builder() is None:                 # eager: Keras assigns the kernel too
            self.kernel.assign(new_kernel)
            return ops.cast(self.layer(inputs), inputs.dtype)
        object.__setattr__(self.layer, self._kernel_attr, new_kernel)
        try:
            return ops.cast(self.layer(inputs), inputs.dtype)
        finally:
            object.__setattr__(self.layer, self._kernel_attr, self.kernel)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
