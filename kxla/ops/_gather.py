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


def publish_core(namespace: dict, ns: str = "core") -> None:
    """Put the catalogue's functions of ``ns`` ("core": top-level only) into ``kxla.ops``."""
    from . import catalog
    namespace.update(catalog.public(ns))


# keras.ops.nn names defined in kxla.ops's older files
NN_ELSEWHERE = ("average_pool", "batch_normalization", "conv", "conv_transpose", "depthwise_conv", "elu", "gelu",
                "layer_normalization", "log_softmax", "max_pool", "moments", "one_hot", "relu", "selu", "sigmoid",
                "softmax", "softplus")


def fill_nn() -> None:
    """Make the module ``kxla.ops.nn`` hold Keras's ``ops.nn`` names (it defines only some of them itself)."""
    from . import nn_catalog  # noqa: F401  (registers the catalogue's nn ops)
    module = sys.modules["kxla.ops.nn"]
    names: dict = {}
    gather(names, "nn", NN_ELSEWHERE)
    for name, fn in names.items():
        setattr(module, name, fn)
    sys.modules["kxla.ops"].__dict__.update(catalog_public("nn"))


def catalog_public(ns):
    from . import catalog
    return catalog.public(ns)
