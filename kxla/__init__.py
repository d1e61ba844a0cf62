"""kxla — Keras-style models compiled through a typed IR to one jitted JAX/XLA function.

    import kxla
    model = kxla.Sequential([kxla.layers.Dense(32, activation="relu", input_shape=(784,)),
                             kxla.layers.Dense(10, activation="softmax")])
    print(model.to_ir())                       # the IR
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)

The flow is one-way: model code -> ``kxla.ir`` graph -> ``kxla.passes`` ->
``kxla.lower`` -> ``jax.jit`` -> XLA.

Names resolve lazily (PEP 562): ``import kxla`` loads nothing else; the first
use of ``kxla.layers`` or ``kxla.Model`` imports what it needs, so ``kxla.ir``,
``kxla.passes`` and the ``kxla`` command's IR verbs run without jax. A new
top-level name is one row of ``_NAMES`` (name -> defining module); any
subpackage or module (``kxla.quantizers``) resolves by itself, and
``_SUBMODULES`` lists them for ``dir(kxla)``.
"""
import importlib as _importlib

__version__ = "0.1.0"

# Subpackages and modules reachable as ``kxla.<name>``.
_SUBMODULES = ("config", "ir", "ops", "activations", "constraints", "initializers", "regularizers", "random",
               "backend", "tree", "dtype_policies", "mixed_precision", "layers", "losses", "metrics", "optimizers",
               "callbacks", "utils", "datasets", "saving", "debug", "testing", "passes", "applications",
               "wrappers", "distribution", "lowering", "devices", "models", "training", "quantizers",
               "preprocessing", "export", "distillation", "visualization")

# Top-level names defined elsewhere: name -> module that defines it.
_NAMES = {
    "lower": "kxla.lowering",
    "Input": "kxla.models", "Model": "kxla.models", "Sequential": "kxla.models",
    "KerasTensor": "kxla.ops", "Variable": "kxla.ops",
    "Layer": "kxla.layers", "InputSpec": "kxla.layers.layer",
    "device": "kxla.devices",
    "DTypePolicy": "kxla.config", "FloatDTypePolicy": "kxla.dtype_policies",
    "Initializer": "kxla.initializers", "Loss": "kxla.losses", "Metric": "kxla.metrics",
    "Optimizer": "kxla.optimizers", "Regularizer": "kxla.regularizers",
    "Quantizer": "kxla.quantizers",
    "Operation": "kxla.operation", "Function": "kxla.function",
    "RematScope": "kxla.remat_scope", "remat": "kxla.remat_scope",
    "StatelessScope": "kxla.scopes", "SymbolicScope": "kxla.scopes", "name_scope": "kxla.scopes",
}

# Modules that register into the serialization registry below layers and models (kxla.serialization): built-in
# layer and model classes, and the file-format hooks Model.save / load_weights / kxla.models.load_model call.
# kxla.serialization imports them, in this order, the first time a lookup finds what they provide missing, so
# the packages themselves import only downwards (README, "Layout of the code").
_SERIALIZATION_PLUGINS = ("kxla.layers", "kxla.models", "kxla.saving.model_hooks", "kxla.distillation")


def version() -> str:
    """kxla's version string (``keras.version()``'s counterpart)."""
    return __version__


__all__ = ["config", "ir", "ops", "activations", "constraints", "initializers", "regularizers", "layers",
           "losses", "metrics", "optimizers", "callbacks", "utils", "lower", "Input", "Model",
           "Sequential", "KerasTensor", "Variable", "Layer", "saving", "export", "debug", "testing", "passes",
           "applications", "device", "version", "Initializer", "Loss", "Metric", "Optimizer", "Regularizer"]


def _is_submodule(name: str) -> bool:
    import os
    return any(os.path.exists(os.path.join(d, name + ".py")) or os.path.exists(os.path.join(d, name, "__init__.py"))
               for d in __path__)


def __getattr__(name):
    if name in _NAMES:
        value = getattr(_importlib.import_module(_NAMES[name]), name)
    elif name in _SUBMODULES or (not name.startswith("_") and _is_submodule(name)):
        value = _importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value          # later lookups skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES) | set(_NAMES))
