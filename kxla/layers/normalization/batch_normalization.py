"""BatchNormalization (Keras 3): batch statistics in training, moving statistics in inference.

Weights, in Keras's order: ``gamma`` and ``beta`` (trainable, if ``scale`` /
``center``), then ``moving_mean`` and ``moving_variance`` (created with
``trainable=False``, so they are graph *state*). In training the layer
normalizes with the batch mean and biased batch variance and records

    moving = moving * momentum + batch * (1 - momentum)

with ``Variable.assign``: a state update in a traced graph, an in-place update
in eager mode.
"""
from __future__ import annotations

from ... import constraints, initializers, ops, regularizers
from ..layer import InputSpec, Layer


class BatchNormalization(Layer):
    """Normalize each feature along ``axis`` by batch or moving statistics (keras.layers.BatchNormalization).

    Arguments:
      axis: the feature axis (-1 for channels_last; pass 1 for channels_first images).
      momentum: moving-average momentum.
      epsilon: added to the variance.
      center, scale: create ``beta`` / ``gamma``.
      beta_initializer, gamma_initializer, moving_mean_initializer,
      moving_variance_initializer, beta/gamma regularizers and constraints: as Keras.
      synchronized: accepted for compatibility, must be False (statistics are
        already global under data-parallel sharding).

    Call arguments:
      training: use batch statistics and update the moving ones (only while the layer is trainable).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(**kwargs)
        if synchronized:
            raise ValueError("Argument synchronized=True is only supported with the TensorFlow backend "
                             "in Keras; kxla computes global statistics under data-parallel sharding")
        if renorm:
            raise ValueError("BatchNormalization(renorm=True) is not supported by kxla")
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.synchronized = False
        self.renorm, self.renorm_clipping, self.renorm_momentum = False, None, float(renorm_momentum)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"Axis {self.axis} is out of bounds for input shape {tuple(input_shape)}")
        size = input_shape[self.axis]
        if size is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the "
                             f"layer received an input with shape {tuple(input_shape)}.")
        shape = (size,)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta")
        self.moving_mean = self.add_weight(shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape=shape, initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: size})
        self._reduction_axes = [i for i in range(rank) if i != self.axis % rank]
        self.built = True

    def call(self, inputs, training=False):
        if training and self.trainable:
            mean, variance = ops.moments(inputs, axes=self._reduction_axes)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return ops.batch_normalization(inputs, mean, variance, axis=self.axis, offset=self.beta,
                                       scale=self.gamma, epsilon=self.epsilon)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
                "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "synchronized": self.synchronized, "renorm": self.renorm,
                "renorm_clipping": self.renorm_clipping, "renorm_momentum": self.renorm_momentum}
