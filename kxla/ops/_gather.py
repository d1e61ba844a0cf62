"""Fill a keras.ops sub-namespace module (numpy, nn, linalg, image) with its public functions."""
from __future__ import annotations

import sys


def gather(namespace: dict, ns: str, elsewhere=()) -> list[str]:
    """Put the catalogue's ``ns`` functions and the ``elsewhere`` names of kxla.ops into ``namespace``.

    Returns the namespace's ``__all__``. ``kxla.ops`` must have defined the
    ``elsewhere`` names before the namespace module is imported.
    """
    from . import catalog
    ops = sys.modules["kxla.ops"]
    names = catalog.public(ns)
    for name in elsewhere:
        if name not in names and hasattr(ops, name):
            names[name] = getattr(ops, name)
    namespace.update(names)
    return sorted(names)


def publish_core(namespace: dict) -> None:
    """Put the catalogue's top-level-only functions (namespace "core") into ``kxla.ops``."""
    from . import catalog
    namespace.update(catalog.public("core"))
