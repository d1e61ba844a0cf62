"""Keras 3 losses as pure ``jax.numpy`` functions and ``Loss`` objects.

Every loss function takes ``(y_true, y_pred)`` and returns one value per sample
(the last axis reduced). ``Loss`` objects add Keras's reduction: by default
``"sum_over_batch_size"`` — the sum of (sample-weighted) per-sample losses
divided by their count. All of it is jit-able; nothing here depends on Keras.

Probabilities are clipped to ``[EPSILON, 1 - EPSILON]`` (Keras's
``backend.epsilon() = 1e-7``) before taking logs, exactly as Keras does; pass
``from_logits=True`` for the numerically exact log-softmax / log-sigmoid path.
"""
from __future__ import annotations

import inspect
import math

import jax
import jax.numpy as jnp

from ..naming import resolve, snake_case

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight")

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "CosineSimilarity", "Huber", "LogCosh", "Hinge", "SquaredHinge",
    "CategoricalHinge", "KLDivergence", "Poisson", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh", "hinge", "squared_hinge",
    "categorical_hinge", "kl_divergence", "poisson", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "sparse_categorical_crossentropy",
    "mse", "mae", "mape", "msle", "kld", "bce", "get", "serialize", "deserialize",
    "squeeze_or_expand_to_same_rank", "reduce_weighted_values",
]


# ---------------------------------------------------------------------------- shape and reduction helpers
def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Keras's rank alignment: drop (or add) a trailing size-1 axis so both have the same rank."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def _divide_no_nan(a, b):
    safe = jnp.where(b == 0, jnp.ones_like(b), b)
    return jnp.where(b == 0, jnp.zeros_like(a), a / safe)


def _standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"Invalid value for argument `reduction`. Expected one of {set(REDUCTIONS)}. "
                         f"Received: reduction={reduction}")
    return reduction


def _apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a boolean mask into the sample weights (Keras: masked-out entries do not count)."""
    if mask is None:
        return sample_weight
    mask = jnp.asarray(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = jnp.asarray(math.prod(mask.shape), dtype)
        valid = jnp.sum(mask.astype(dtype))
        float_mask = jnp.where(mask.astype(bool), _divide_no_nan(total, valid), 0).astype(dtype)
    else:
        float_mask = mask.astype(dtype)
    if sample_weight is None:
        return float_mask
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, jnp.asarray(sample_weight, dtype))
    if sample_weight.ndim < float_mask.ndim:        # per-sample weights on per-timestep masks
        sample_weight = jnp.reshape(sample_weight, sample_weight.shape + (1,) * (float_mask.ndim - sample_weight.ndim))
    return sample_weight * float_mask


def _reduce_values(values, sample_weight, reduction):
    if reduction is None or reduction == "none" or values.shape in ((), (0,)):
        return values
    loss = jnp.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = jnp.sum(sample_weight).astype(loss.dtype)
        else:
            divisor = jnp.asarray(math.prod(values.shape), loss.dtype)
        loss = _divide_no_nan(loss, divisor)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size",
                           dtype=None):
    """Weight per-sample ``values`` by ``sample_weight`` (and ``mask``) and reduce them as Keras does.

    Arguments:
        values: per-sample (or per-element) losses.
        sample_weight: optional weights broadcastable after rank alignment.
        mask: optional boolean mask; with ``sum_over_batch_size`` the result is divided by the number
            of valid entries instead of all entries (what a padded last batch needs).
        reduction: one of ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` / None.
        dtype: computation dtype (default: the dtype of ``values``).
    Returns:
        the reduced loss (a scalar unless the reduction is ``"none"``).
    """
    reduction = _standardize_reduction(reduction)
    values = jnp.asarray(values, dtype)
    if sample_weight is not None:
        sample_weight = jnp.asarray(sample_weight, values.dtype)
    if mask is not None and jnp.ndim(mask) < values.ndim and \
            tuple(jnp.shape(mask)) == tuple(values.shape[:jnp.ndim(mask)]):
        # A per-sample (or per-step) mask over per-element values: every element of a masked-out
        # sample is masked out, so the average runs over the valid elements only.
        mask = jnp.broadcast_to(jnp.reshape(mask, jnp.shape(mask) + (1,) * (values.ndim - jnp.ndim(mask))),
                                values.shape)
    sample_weight = _apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight.astype(values.dtype))
        values = values * sample_weight
    return _reduce_values(values, sample_weight, reduction)


def _prepare(y_true, y_pred):
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true).astype(y_pred.dtype)
    return y_true, y_pred


def _l2_normalize(x, axis=-1):
    inv = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    return x * jnp.minimum(inv, 1.0 / EPSILON)


# ---------------------------------------------------------------------------- loss functions
def mean_squared_error(y_true, y_pred):
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), EPSILON))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    first = jnp.log(jnp.maximum(y_pred, EPSILON) + 1.0)
    second = jnp.log(jnp.maximum(y_true, EPSILON) + 1.0)
    return jnp.mean(jnp.square(first - second), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis`` (-1 = same direction)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    return -jnp.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Quadratic for ``|error| <= delta``, linear beyond; averaged over the last axis."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    half = jnp.asarray(0.5, y_pred.dtype)
    return jnp.mean(jnp.where(abs_error <= delta, half * jnp.square(error),
                              delta * abs_error - half * jnp.square(delta)), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_prepare(y_true, y_pred))
    x = y_pred - y_true
    return jnp.mean(x + jax.nn.softplus(-2.0 * x) - jnp.asarray(math.log(2.0), y_pred.dtype), axis=-1)


def _convert_binary_labels_to_hinge(y_true):
    is_binary = jnp.all((y_true == 0) | (y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return jnp.mean(jnp.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0)**2, axis=-1)``; 0/1 labels are mapped to -1/1."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = _convert_binary_labels_to_hinge(y_true)
    return jnp.mean(jnp.square(jnp.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    pos = jnp.sum(y_true * y_pred, axis=-1)
    neg = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(neg - pos + 1.0, 0.0)


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to ``[eps, 1]``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    y_true = jnp.clip(y_true, EPSILON, 1)
    y_pred = jnp.clip(y_pred, EPSILON, 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``."""
    y_true, y_pred = _prepare(y_true, y_pred)
    return jnp.mean(y_pred - y_true * jnp.log(y_pred + EPSILON), axis=-1)


def _log_probs(output, from_logits, axis):
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    output = output / jnp.sum(output, axis, keepdims=True)
    return jnp.log(jnp.clip(output, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy against one-hot (or soft) targets.

    Arguments:
        y_true: targets, same shape as ``y_pred``.
        y_pred: probabilities (renormalized to sum to 1, then clipped to ``[eps, 1-eps]``) or logits.
        from_logits: ``y_pred`` holds logits.
        label_smoothing: ``y_true * (1 - s) + s / num_classes``.
        axis: the class axis.
    Returns:
        per-sample losses (``axis`` reduced).
    """
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        num_classes = jnp.asarray(y_true.shape[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={y_true.shape}, output.shape={y_pred.shape}")
    return -jnp.sum(y_true * _log_probs(y_pred, from_logits, axis), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy against integer class ids.

    Arguments:
        y_true: class ids of shape ``y_pred.shape[:-1]`` or with a trailing 1; int or float.
        y_pred: probabilities or logits (classes on ``axis``).
        from_logits: ``y_pred`` holds logits.
        ignore_class: a class id whose entries get zero loss (the ``Loss`` object also excludes them
            from the ``sum_over_batch_size`` count).
        axis: the class axis.
    Returns:
        per-sample losses.
    """
    y_pred = jnp.asarray(y_pred)
    y_true = jnp.asarray(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[axis] == 1:
        y_true = jnp.squeeze(y_true, axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != jnp.asarray(ignore_class, y_true.dtype)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, axis), y_pred, 0)
    target = y_true.astype(jnp.int32)
    if target.shape != y_pred.shape[:-1] and axis in (-1, y_pred.ndim - 1):
        raise ValueError("Arguments `target` and `output` must have the same shape up until the last "
                         f"dimension: target.shape={target.shape}, output.shape={y_pred.shape}")
    one_hot = jax.nn.one_hot(target, y_pred.shape[axis], axis=axis, dtype=y_pred.dtype)
    res = -jnp.sum(one_hot * _log_probs(y_pred, from_logits, axis), axis=axis)
    if valid is not None:
        res = jnp.where(valid, res, 0.0)
    return res


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Element-wise binary cross-entropy averaged over ``axis``.

    Probabilities are clipped to ``[eps, 1-eps]``; ``label_smoothing`` squeezes targets toward 0.5.
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return jnp.mean(_bce(y_true, y_pred, from_logits), axis=axis)


def _bce(target, output, from_logits):
    if target.shape != output.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. "
                         f"Received: target.shape={target.shape}, output.shape={output.shape}")
    if from_logits:
        return -target * jax.nn.log_sigmoid(output) - (1.0 - target) * jax.nn.log_sigmoid(-output)
    output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
    return -(target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output))


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by ``(1 - p_t)**gamma`` (and ``alpha`` balancing when asked)."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = _bce(y_true, y_pred, False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal = jnp.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return jnp.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy scaled by ``alpha * (1 - p)**gamma`` per class."""
    y_true, y_pred = _prepare(y_true, y_pred)
    if label_smoothing:
        num_classes = jnp.asarray(y_true.shape[-1], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    output = y_pred / jnp.sum(y_pred, axis=axis, keepdims=True)
    output = jnp.clip(output, EPSILON, 1.0 - EPSILON)
    cce = -y_true * jnp.log(output)
    return jnp.sum(jnp.power(1.0 - output, gamma) * alpha * cce, axis=axis)


# Keras's short aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy


# ---------------------------------------------------------------------------- Loss objects
def _any_symbolic(*values) -> bool:
    from ..ops.tracing import KerasTensor
    return any(isinstance(v, KerasTensor) for v in values)


def _symbolic_call(loss, *args):
    """A loss called on symbolic tensors (a layer computing its ``add_loss`` term, as Keras's guides
    do): one ``jax_call`` node that runs the loss on the arrays when the graph runs."""
    from ..ops.jax_call import jax_call
    present = [a is not None for a in args]

    def run(*arrays):
        it = iter(arrays)
        return loss(*[next(it) if p else None for p in present])
    return jax_call(run, *[a for a in args if a is not None],
                    name=f"kxla.losses.{type(loss).__name__}.{loss.name}.{id(loss)}")


class Loss:
    """Base class: subclasses implement ``call(y_true, y_pred)`` returning per-sample losses.

    Arguments:
        name: the loss name (default: snake-cased class name).
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or None.
        dtype: computation dtype (default float32); inputs are cast to it.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.reduction = _standardize_reduction(reduction)
        self.dtype = dtype or "float32"

    def call(self, y_true, y_pred):
        raise TypeError(f"Loss {type(self).__name__} must define call(y_true, y_pred)")

    def per_sample(self, y_true, y_pred):
        """Per-sample losses (inputs cast to ``self.dtype``), before weighting and reduction."""
        y_pred = jnp.asarray(y_pred, self.dtype)
        y_true = jnp.asarray(y_true, self.dtype)
        return self.call(y_true, y_pred)

    def _output_mask(self, y_true):
        return None

    def __call__(self, y_true, y_pred, sample_weight=None, mask=None):
        """The reduced, sample-weighted loss.

        Arguments:
            y_true, y_pred: targets and predictions.
            sample_weight: optional per-sample weights.
            mask: optional boolean validity mask over samples (e.g. the padded rows of a ragged last
                batch are False); masked samples are excluded from the average.
        Returns:
            a scalar (or per-sample values with ``reduction="none"``).
        """
        if _any_symbolic(y_true, y_pred, sample_weight, mask):      # inside a layer's call (add_loss)
            return _symbolic_call(self, y_true, y_pred, sample_weight, mask)
        values = self.per_sample(y_true, y_pred)
        out_mask = self._output_mask(y_true)
        if mask is not None and out_mask is not None:
            mask = jnp.asarray(mask, bool)
            mask = jnp.reshape(mask, mask.shape + (1,) * (out_mask.ndim - mask.ndim)) & out_mask
        elif out_mask is not None:
            mask = out_mask
        return reduce_weighted_values(values, sample_weight=sample_weight, mask=mask,
                                      reduction=self.reduction, dtype=self.dtype)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> "Loss":
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)`` (ranks aligned first)."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        if name is None:
            name = snake_case(getattr(fn, "__name__", type(fn).__name__))
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["fn"] = getattr(self.fn, "__name__", None)
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if isinstance(fn, str):
            fn = resolve("loss function", fn, _FUNCTIONS)
        return cls(fn, **config)

    def __repr__(self):
        return f"<LossFunctionWrapper({getattr(self.fn, '__name__', self.fn)}, kwargs={self._fn_kwargs})>"


class _SimpleWrapper(LossFunctionWrapper):
    """Base of the built-in classes whose config is just the Loss config plus declared options."""

    _fn = None
    _options: tuple = ()

    def __init__(self, reduction="sum_over_batch_size", name=None, dtype=None, **options):
        super().__init__(type(self)._fn, reduction=reduction, name=name, dtype=dtype, **options)
        for k, v in options.items():
            setattr(self, k, v)

    def get_config(self):
        config = Loss.get_config(self)
        config.update({k: getattr(self, k) for k in self._options})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MeanSquaredError(_SimpleWrapper):
    """Mean of squared errors (``"mse"``)."""
    _fn = staticmethod(mean_squared_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(_SimpleWrapper):
    """Mean of absolute errors (``"mae"``)."""
    _fn = staticmethod(mean_absolute_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_SimpleWrapper):
    """Mean absolute percentage error (``"mape"``)."""
    _fn = staticmethod(mean_absolute_percentage_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_SimpleWrapper):
    """Mean squared logarithmic error (``"msle"``)."""
    _fn = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(_SimpleWrapper):
    """Negative cosine similarity along ``axis``."""
    _fn = staticmethod(cosine_similarity)
    _options = ("axis",)

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, axis=axis)


class Huber(_SimpleWrapper):
    """Huber loss with threshold ``delta``."""
    _fn = staticmethod(huber)
    _options = ("delta",)

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(_SimpleWrapper):
    """Logarithm of the hyperbolic cosine of the error."""
    _fn = staticmethod(log_cosh)

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Hinge(_SimpleWrapper):
    """Hinge loss (labels -1/1, or 0/1 converted)."""
    _fn = staticmethod(hinge)

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(_SimpleWrapper):
    """Squared hinge loss."""
    _fn = staticmethod(squared_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(_SimpleWrapper):
    """Categorical hinge loss."""
    _fn = staticmethod(categorical_hinge)

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class KLDivergence(_SimpleWrapper):
    """Kullback-Leibler divergence."""
    _fn = staticmethod(kl_divergence)

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class Poisson(_SimpleWrapper):
    """Poisson loss."""
    _fn = staticmethod(poisson)

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(_SimpleWrapper):
    """Binary cross-entropy (``from_logits``, ``label_smoothing``, ``axis``)."""
    _fn = staticmethod(binary_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class BinaryFocalCrossentropy(_SimpleWrapper):
    """Binary focal cross-entropy."""
    _fn = staticmethod(binary_focal_crossentropy)
    _options = ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(_SimpleWrapper):
    """Categorical cross-entropy against one-hot targets."""
    _fn = staticmethod(categorical_crossentropy)
    _options = ("from_logits", "label_smoothing", "axis")

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_SimpleWrapper):
    """Categorical focal cross-entropy."""
    _fn = staticmethod(categorical_focal_crossentropy)
    _options = ("alpha", "gamma", "from_logits", "label_smoothing", "axis")

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_SimpleWrapper):
    """Categorical cross-entropy against integer labels of shape ``(batch,)`` or ``(batch, 1)``."""
    _fn = staticmethod(sparse_categorical_crossentropy)
    _options = ("from_logits", "ignore_class")

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)

    def _output_mask(self, y_true):
        if self.ignore_class is None:
            return None
        y_true = jnp.asarray(y_true, self.dtype)
        if y_true.ndim >= 2 and y_true.shape[-1] == 1:
            y_true = jnp.squeeze(y_true, -1)
        return y_true != jnp.asarray(self.ignore_class, y_true.dtype)


class _AutoCrossentropy(Loss):
    """``"crossentropy"`` / ``"ce"``: Keras 3 picks binary, sparse or categorical CE from the shapes."""

    def __init__(self, name="crossentropy", reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true, y_pred):
        is_binary = y_pred.shape[-1] == 1
        is_sparse = y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1)
        fn = (binary_crossentropy if is_binary else
              sparse_categorical_crossentropy if is_sparse else categorical_crossentropy)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return fn(y_true, y_pred)


ALL_CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
               CosineSimilarity, Huber, LogCosh, Hinge, SquaredHinge, CategoricalHinge, KLDivergence, Poisson,
               BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
               CategoricalFocalCrossentropy, SparseCategoricalCrossentropy)
_FUNCTIONS = {fn.__name__: fn for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error,
    cosine_similarity, huber, log_cosh, hinge, squared_hinge, categorical_hinge, kl_divergence, poisson,
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, categorical_focal_crossentropy,
    sparse_categorical_crossentropy)}
_ALIASES = {"mse": mean_squared_error, "mae": mean_absolute_error, "mape": mean_absolute_percentage_error,
            "msle": mean_squared_logarithmic_error, "kld": kl_divergence, "bce": binary_crossentropy,
            "huber_loss": huber, "logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence}
ALL_OBJECTS = {**{cls.__name__: cls for cls in ALL_CLASSES}, **_FUNCTIONS, **_ALIASES}


def serialize(loss: Loss) -> dict:
    """``{"class_name": ..., "config": {...}}``."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict, custom_objects: dict | None = None) -> Loss:
    """Inverse of :func:`serialize` (Keras 3 loss configs accepted)."""
    table = {cls.__name__: cls for cls in ALL_CLASSES}
    table["LossFunctionWrapper"] = LossFunctionWrapper
    table.update(custom_objects or {})
    cls = resolve("loss", config["class_name"], table)
    return cls.from_config(dict(config.get("config", {})))


def get(identifier) -> Loss | None:
    """Resolve a loss identifier to a ``Loss`` object.

    Arguments:
        identifier: None; a name — a class (``"CategoricalCrossentropy"``), a function
            (``"categorical_crossentropy"``) or an alias (``"mse"``, ``"mae"``, ``"bce"``, ``"kld"``,
            ``"crossentropy"``/``"ce"`` chosen from shapes as Keras 3 does); a serialized dict; a ``Loss``
            class or instance; or a plain function ``fn(y_true, y_pred) -> per-sample loss``.
    Returns:
        a ``Loss`` (functions and names are wrapped in ``LossFunctionWrapper``; a name is kept as the
        loss's name, as ``model.compile`` does in Keras 3), or None.
    Raises:
        ValueError: unknown name (with a did-you-mean hint) or uninterpretable identifier.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() in ("crossentropy", "ce"):
            return _AutoCrossentropy(name=identifier)
        obj = resolve("loss", identifier, ALL_OBJECTS)
        if inspect.isclass(obj):
            return obj()
        return LossFunctionWrapper(obj, name=identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


# Keras 3's newer losses live in losses_extra.py; registered here so names, get and deserialize see them.
from .extra import (CTC, CategoricalGeneralizedCrossEntropy, Circle, Dice, Tversky,  # noqa: E402
                           categorical_generalized_cross_entropy, circle, ctc, dice, tversky)

ALL_CLASSES = ALL_CLASSES + (Dice, Tversky, Circle, CategoricalGeneralizedCrossEntropy, CTC)
_FUNCTIONS.update({fn.__name__: fn for fn in (dice, tversky, circle, categorical_generalized_cross_entropy, ctc)})
ALL_OBJECTS.update({cls.__name__: cls for cls in ALL_CLASSES}, **_FUNCTIONS)
__all__ += ["Dice", "Tversky", "Circle", "CategoricalGeneralizedCrossEntropy", "CTC", "dice", "tversky", "circle",
            "categorical_generalized_cross_entropy", "ctc"]
