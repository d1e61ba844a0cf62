"""Hooks from the model classes up to the file formats, bound from above (dependency inversion).

``Model.save``, ``save_weights``, ``load_weights`` and ``kxla.models.load_model``
are implemented by ``kxla.saving``, which sits above ``kxla.models`` and
imports it. So that no package imports one above it, the model code asks this
table for the function (``get("save_model")``) and ``kxla.saving`` binds it
(``kxla/saving/model_hooks.py``: ``bind(save_model=...)``).

Who binds what is decided at the package root: ``kxla._SERIALIZATION_PLUGINS``
names the modules that register into this package (``kxla.layers``,
``kxla.models``, ``kxla.saving.model_hooks``); the first lookup that finds its
entry missing imports them in that order. The root is the one place that knows
every package; the packages themselves keep their imports one-way.
"""
from __future__ import annotations

import importlib
import threading

__all__ = ["bind", "get", "load_plugins"]

_BOUND: dict = {}
_LOCK = threading.RLock()


def bind(**functions) -> None:
    """Provide the named hooks (``save_model=...``); a later binding replaces an earlier one."""
    _BOUND.update(functions)


def load_plugins(done=None) -> None:
    """Import the modules the package root names as registering into ``kxla.serialization``, in order,
    stopping once ``done()`` is true (all of them without ``done``)."""
    from .. import _SERIALIZATION_PLUGINS
    with _LOCK:
        for name in _SERIALIZATION_PLUGINS:
            if done is not None and done():
                return
            importlib.import_module(name)


def get(name: str):
    """The function bound as ``name`` (loading the registering modules on first need)."""
    fn = _BOUND.get(name)
    if fn is None:
        load_plugins(lambda: name in _BOUND)
        fn = _BOUND.get(name)
    if fn is None:
        raise RuntimeError(f"kxla.serialization: nothing provides {name!r} (kxla.saving binds it)")
    return fn
