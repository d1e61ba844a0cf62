"""The built-in classes names resolve to, registered from above: layers and model classes, and their bases.

This package sits below ``kxla.layers`` and ``kxla.models`` and imports
neither. They register themselves when imported: ``kxla.layers`` its
namespace (every public ``Layer`` subclass in it is a built-in layer, under its
class name and its export name) and its base class; ``kxla.models`` the model
classes (``Sequential``, ``Functional`` = ``Model``, ``InputLayer``), its base
class and the rebuilder of ``.kxla`` model descriptions. A lookup that needs a
package not imported yet loads the registering packages the package root names
(``kxla._SERIALIZATION_PLUGINS``, see ``kxla.serialization.hooks``).
"""
from __future__ import annotations

__all__ = ["register_namespace", "register_classes", "register_base", "base", "builtin_layers", "builtin_class"]

_NAMESPACES: list = []        # (namespace dict, base class): its public subclasses of base are built-ins
_CLASSES: dict = {}           # name -> class (the model classes)
_BASES: dict = {}             # "layer" / "model" -> (class, config arguments it takes, stops the MRO walk)


def register_namespace(namespace: dict, base_class: type) -> None:
    """Every public ``base_class`` subclass in ``namespace`` (a module's globals, read at lookup time) is built in."""
    _NAMESPACES.append((namespace, base_class))


def register_classes(**classes) -> None:
    """Built-in classes by name (``Sequential=Sequential, Functional=Model``)."""
    _CLASSES.update(classes)


def register_base(kind: str, cls: type, config_args=(), final: bool = True) -> None:
    """``cls`` is the base of ``kind`` ("layer", "model"): it takes ``config_args`` from a config; ``final``
    ends the walk over a class's MRO for accepted arguments (``fit_config``)."""
    _BASES[kind] = (cls, frozenset(config_args), final)


def base(kind: str, load: bool = True):
    """The base class of ``kind`` ("layer" or "model"), loading the packages that register it if needed.

    With ``load=False``: None when it is not registered yet (then no instance of it exists either).
    """
    if kind not in _BASES and load:
        from .hooks import load_plugins
        load_plugins(lambda: kind in _BASES)
    if kind not in _BASES:
        if not load:
            return None
        raise RuntimeError(f"no {kind} base class is registered (kxla.layers / kxla.models register them)")
    return _BASES[kind][0]


def bases() -> list:
    """``[(class, config arguments, final)]`` for the registered bases (``fit_config`` walks a class's MRO)."""
    return list(_BASES.values())


def builtin_class(name: str):
    """The built-in class saved as ``name``, or None; a name not registered yet loads every registering
    package first (``kxla.distillation``'s classes register when it is imported)."""
    found = builtin_layers().get(name)
    if found is None:
        from .hooks import load_plugins
        load_plugins()
        found = builtin_layers().get(name)
    return found


def builtin_layers() -> dict:
    """``{class name: class}`` for every Layer subclass in ``kxla.layers``, plus the model classes."""
    if "model" not in _BASES:                  # the model classes are not registered yet: import kxla.models
        from .hooks import load_plugins
        load_plugins(lambda: "model" in _BASES)
    table = {}
    for namespace, base_class in _NAMESPACES:
        for attr, value in list(namespace.items()):
            if isinstance(value, type) and issubclass(value, base_class) and not attr.startswith("_"):
                table[value.__name__] = value
                table.setdefault(attr, value)     # Keras's export name where it differs (GroupQueryAttention)
    table.update(_CLASSES)
    return table
