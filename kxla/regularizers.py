"""Weight and activity regularizers (Keras 3 names): ``reg(x) -> scalar`` penalty added to the loss."""
from __future__ import annotations

from . import ops
from .utils.lookup import resolve


class Regularizer:
    def __call__(self, x):
        raise TypeError(f"{type(self).__name__} must implement __call__(x)")

    def get_config(self):
        return {}


class L1L2(Regularizer):
    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

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


_ALL = {"l1": L1, "l2": L2, "l1_l2": lambda: L1L2(0.01, 0.01), "L1": L1, "L2": L2, "L1L2": L1L2}


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


l1, l2 = L1, L2


def get(identifier):
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        return resolve("regularizer", identifier, _ALL)()
    if isinstance(identifier, dict):
        return resolve("regularizer", identifier["class_name"], _ALL)(**identifier.get("config", {}))
    raise ValueError(f"Could not interpret regularizer {identifier!r}")


def serialize(reg):
    if reg is None:
        return None
    return {"class_name": type(reg).__name__, "config": reg.get_config() if hasattr(reg, "get_config") else {}}
