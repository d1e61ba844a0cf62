"""The saving registry: ``kxla.object_registration`` (names, scopes, lookup; below layers and models) and
``builtin_layers``, the table of built-in layer and model classes the model readers resolve names in
(``kxla.serialization.builtins``: layers and models register themselves into it)."""
from __future__ import annotations

from ..object_registration import (CustomObjectScope, UnknownObjectError, custom_object_scope,  # noqa: F401
                                   get_custom_objects, get_registered_name, get_registered_object, lookup,
                                   register_keras_serializable, register_serializable, registered_name,
                                   registered_objects)
from ..object_registration import _BY_NAME, _BY_OBJECT  # noqa: F401  (tests reset them)
from ..serialization.builtins import builtin_layers  # noqa: F401  (layers and models register into it)

__all__ = ["register_serializable", "custom_object_scope", "CustomObjectScope", "get_registered_name",
           "get_registered_object", "UnknownObjectError", "builtin_layers", "lookup", "registered_objects",
           "registered_name"]
