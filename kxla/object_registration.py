"""Names for classes and functions in model files: ``register_keras_serializable``, scopes, lookup.

This registry sits below layers, models and the file formats (it imports
nothing of kxla), so a layer or an activation can name its functions and find
registered ones without importing ``kxla.saving``; ``kxla.saving`` re-exports
it (``kxla.saving.registry`` adds the table of built-in layer and model classes).

A model file names every class it needs (layers, the model class, losses,
metrics, optimizers) and loading looks each name up — it never imports a
module or evaluates anything. Names resolve, in order, through:

  1. ``custom_objects`` given to ``load_model`` (by full name, or by the bare
     name after ``Package>``), and those of every enclosing
     ``custom_object_scope`` (``load_model`` opens one, so layers that rebuild
     inner layers — ``TimeDistributed``, ``Bidirectional``, ``Lambda`` — see
     them too);
  2. objects registered with ``@register_serializable`` (``"Package>Name"``);
  3. the built-ins table the caller passes (``kxla.saving.registry.builtin_layers``:
     every ``Layer`` subclass exported by ``kxla.layers`` and the model
     classes ``Sequential`` / ``Functional`` (``Model``)).

A name found nowhere raises ``UnknownObjectError`` naming it.
"""
from __future__ import annotations

import threading

__all__ = ["register_serializable", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
           "CustomObjectScope", "get_registered_name", "get_registered_object", "UnknownObjectError", "lookup",
           "registered_objects", "registered_name"]

_BY_NAME: dict[str, object] = {}
_BY_OBJECT: dict[int, str] = {}
_GLOBAL_CUSTOM_OBJECTS: dict = {}      # Keras's get_custom_objects() dict


_SCOPES = threading.local()


class UnknownObjectError(ValueError):
    """A model file names a class or function that is neither built in, registered nor in custom_objects."""


class CustomObjectScope:
    """Context manager: ``{name: object}`` maps visible to every lookup in this thread while it is open.

    Example::

        with kxla.saving.custom_object_scope({"Scale": Scale}):
            layer = kxla.layers.TimeDistributed.from_config(config)

    Arguments:
      *custom_objects: dicts ``{name: class or function}``; later ones win.
    """

    def __init__(self, *custom_objects):
        merged = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(f"custom_object_scope takes dicts of {{name: object}}, got {objects!r}")
            merged.update(objects)
        self.custom_objects = merged

    def __enter__(self):
        stack = getattr(_SCOPES, "stack", None)
        if stack is None:
            stack = _SCOPES.stack = []
        stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _SCOPES.stack.pop()
        return False


custom_object_scope = CustomObjectScope


def _in_scope(name: str):
    bare = name.split(">", 1)[-1]
    for objects in reversed(getattr(_SCOPES, "stack", None) or []):
        for key in (name, bare):
            if key in objects:
                return objects[key]
    return None


def register_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: make a class (layer, model, loss, metric, optimizer) or function loadable by name.

    The object is saved as ``"package>name"`` (``name`` defaults to its
    ``__name__``) and ``load_model`` finds it under that name without
    ``custom_objects``. Registering another object under a taken name replaces
    the old one (so re-running a notebook cell works).

    Example::

        @kxla.saving.register_serializable(package="my_project")
        class Scale(kxla.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor
            def call(self, x):
                return x * self.factor
            def get_config(self):
                return {**super().get_config(), "factor": self.factor}

    Arguments:
      package: a namespace for the name (no ``>``).
      name: the name within the package; the object's ``__name__`` by default.

    Returns:
      The decorator, which returns the object unchanged.
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(f"register_serializable: package must be a non-empty string without '>', got {package!r}")
    if name is not None and (not isinstance(name, str) or not name):
        raise ValueError(f"register_serializable: name must be a non-empty string, got {name!r}")

    def decorate(obj):
        if not callable(obj):
            raise TypeError(f"register_serializable decorates classes and functions, got {obj!r}")
        key = f"{package}>{name or obj.__name__}"
        old = _BY_NAME.get(key)
        if old is not None:
            _BY_OBJECT.pop(id(old), None)
        _BY_NAME[key] = obj
        _BY_OBJECT[id(obj)] = key
        return obj
    return decorate


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Keras's decorator: register a class or function as ``"package>name"`` (see ``register_serializable``)."""
    inner = register_serializable(package, name)

    def decorate(obj):
        obj = inner(obj)
        _GLOBAL_CUSTOM_OBJECTS[registered_name(obj)] = obj
        return obj
    return decorate


def get_custom_objects() -> dict:
    """The global ``{name: object}`` dict (mutable, as in Keras): its entries resolve by name when loading."""
    return _GLOBAL_CUSTOM_OBJECTS


def registered_name(obj) -> str | None:
    """The name ``obj`` was registered under with ``register_serializable``, or None."""
    key = _BY_OBJECT.get(id(obj))
    return key if key is not None and _BY_NAME.get(key) is obj else None


def get_registered_name(obj) -> str:
    """The name ``obj`` is saved under: its registered name, else its ``__name__``."""
    return registered_name(obj) or getattr(obj, "__name__", type(obj).__name__)


def registered_objects() -> dict:
    """``{registered name: object}`` (a copy)."""
    return dict(_BY_NAME)


def get_registered_object(name: str, custom_objects: dict | None = None, builtins: dict | None = None):
    """The object saved as ``name``, or None (see the module docstring for the search order)."""
    if custom_objects:
        if name in custom_objects:
            return custom_objects[name]
        bare = name.split(">", 1)[-1]
        if bare in custom_objects:
            return custom_objects[bare]
    scoped = _in_scope(name)
    if scoped is not None:
        return scoped
    if name in _BY_NAME:
        return _BY_NAME[name]
    if builtins and name in builtins:
        return builtins[name]
    return None


def lookup(name, what: str, custom_objects: dict | None = None, builtins: dict | None = None,
           base: type | None = None):
    """Like ``get_registered_object`` but raising ``UnknownObjectError`` (naming ``name``) when not found.

    Arguments:
      what: what the name stands for, for the message ("layer", "model class", "loss", ...).
      base: when given, the object must be a subclass of it.
    """
    if not isinstance(name, str):
        raise UnknownObjectError(f"{what} name must be a string, got {type(name).__name__}")
    obj = get_registered_object(name, custom_objects, builtins)
    if obj is None:
        raise UnknownObjectError(
            f"Unknown {what} {name!r}: it is not built into kxla, not registered with "
            f"@kxla.saving.register_serializable(), and not in custom_objects. Register the class, or "
            f"pass custom_objects={{{name.split('>', 1)[-1]!r}: ...}} to load_model.")
    if base is not None and not (isinstance(obj, type) and issubclass(obj, base)):
        raise UnknownObjectError(f"{what} {name!r} resolves to {obj!r}, which is not a {base.__name__} subclass")
    return obj
