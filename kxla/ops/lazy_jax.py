"""jax, jax.numpy, jax.lax and scipy for op modules, imported on first use (the op table stays jax-free).

An op module defines its OpDef (attributes, shape/dtype rule, traits, cost,
numpy reference) and its lowering rule side by side. It takes ``jax``,
``jnp``, ``lax`` from here instead of importing them, so ``import kxla.ops``
(and with it ``kxla.passes`` and the ``kxla opt`` command) loads no jax:

    from .lazy_jax import jax, jnp, lax

``jnp.add`` read while jax is not loaded yet is a deferred reference that
imports jax when called (lowering, eager calls); read after jax is loaded it
is ``jax.numpy.add`` itself. ``isinstance(x, jax.Array)`` is False without
importing jax while jax is not loaded (no object can be a jax array then).
"""
from __future__ import annotations

import importlib
import sys

__all__ = ["jax", "jnp", "lax", "scipy_special", "scipy_linalg", "LazyModule"]


def _loaded(module: str) -> bool:
    mod = sys.modules.get(module)
    return mod is not None and getattr(getattr(mod, "__spec__", None), "_initializing", False) is False


class _Deferred:
    # ``module.attr.attr...`` looked up when first used (no class docstring: ``__doc__`` reads None)

    __slots__ = ("_module", "_path", "_value")

    def __init__(self, module: str, path: tuple):
        self._module, self._path, self._value = module, path, None

    def _resolve(self):
        if self._value is None:
            value, dotted = importlib.import_module(self._module), self._module
            for name in self._path:
                dotted = f"{dotted}.{name}"
                value = getattr(value, name) if hasattr(value, name) else importlib.import_module(dotted)
            self._value = value
        return self._value

    def __call__(self, *args, **kwargs):
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or _loaded(self._module):
            return getattr(self._resolve(), name)
        return _Deferred(self._module, self._path + (name,))

    def __instancecheck__(self, obj):
        return _loaded(self._module) and isinstance(obj, self._resolve())

    def __subclasscheck__(self, cls):
        return _loaded(self._module) and issubclass(cls, self._resolve())

    def __repr__(self):
        return f"<deferred {self._module}.{'.'.join(self._path)}>"


class LazyModule:
    """A module imported on first use; attributes read before that are deferred (see module doc)."""

    def __init__(self, name: str):
        self.__name = name

    def __getattr__(self, name):
        if _loaded(self.__name):
            value = getattr(sys.modules[self.__name], name)
            if not name.startswith("__"):
                self.__dict__[name] = value          # the next read is a plain attribute lookup
            return value
        if name.startswith("__"):
            return getattr(importlib.import_module(self.__name), name)
        return _Deferred(self.__name, (name,))

    def __repr__(self):
        return f"<lazy module {self.__name!r}>"


jax = LazyModule("jax")
jnp = LazyModule("jax.numpy")
lax = LazyModule("jax.lax")
scipy_special = LazyModule("scipy.special")
scipy_linalg = LazyModule("scipy.linalg")
