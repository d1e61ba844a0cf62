"""Weight and activity regularizers (Keras 3 names): ``reg(x) -> scalar`` penalty added to the loss."""
from __future__ import annotations

import math

import numpy as np

from . import ops
from .naming import resolve


class Regularizer:
    def __call__(self, x):
        raise TypeError(f"{type(self).__name__} must implement __call__(x)")

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _non_negative(l1, "l1"), _non_negative(l2, "l2")

    def __call__(self, x):
        total = 0.0
        if self.l1:
            total = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            l2 = ops.multiply(ops.sum(ops.square(x)), self.l2)
            total = l2 if isinstance(total, float) else ops.add(total, l2)
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonal rows (``mode="rows"``) or columns of a rank-2 weight.

    ``factor * 0.5 * sum(|N N^T - diag|) / num_pairs`` with ``N`` the L2-normalised rows (or columns).
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = _non_negative(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(f'Invalid value for argument `mode`. Expected one of {{"rows", "columns"}}. '
                             f"Received: mode={mode}")
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}")
        axis = 1 if self.mode == "rows" else 0
        size = x.shape[0] if self.mode == "rows" else x.shape[1]
        from .config import epsilon
        inv_norm = ops.minimum(ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True)), 1.0 / epsilon())
        unit = ops.multiply(x, inv_norm)
        product = ops.matmul(unit, ops.transpose(unit)) if self.mode == "rows" else \
            ops.matmul(ops.transpose(unit), unit)
        off_diagonal = ops.multiply(product, np.asarray(1.0 - np.eye(size), dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return ops.divide(ops.multiply(ops.sum(ops.abs(off_diagonal)), self.factor * 0.5), num_pairs)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


def _non_negative(value, name):
    if not isinstance(value, (float, int)) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(f"Invalid value for argument {name}: expected a non-negative float.Received: "
                         f"{name}={value}")
    return float(value)


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_ALL = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01), "L1": L1, "L2": L2, "L1L2": L1L2,
        "orthogonal_regularizer": OrthogonalRegularizer, "OrthogonalRegularizer": OrthogonalRegularizer}


def get(identifier):
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return resolve("regularizer", identifier, _ALL)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def deserialize(config, custom_objects=None):
    """``{"class_name", "config"}`` (Keras's serialized form) -> a Regularizer."""
    if isinstance(config, str):
        return get(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or resolve("regularizer", name, _ALL)
    return cls(**config.get("config", {}))


def serialize(reg):
    if reg is None:
        return None
    return {"module": "keras.regularizers", "class_name": type(reg).__name__,
            "config": reg.get_config() if hasattr(reg, "get_config") else {}, "registered_name": None}
