"""kxla — Keras-style models compiled through a typed IR to one jitted JAX/XLA function.

    import kxla
    model = kxla.Sequential([kxla.layers.Dense(32, activation="relu", input_shape=(784,)),
                             kxla.layers.Dense(10, activation="softmax")])
    print(model.to_ir())                       # the IR
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=5)

The flow is one-way: model code -> ``kxla.ir`` graph -> ``kxla.passes`` ->
``kxla.lower`` -> ``jax.jit`` -> XLA.
"""
from . import config, ir, ops
from . import activations, constraints, initializers, regularizers
from . import random, backend, tree, dtype_policies, mixed_precision
from . import layers, losses, metrics, optimizers, callbacks, utils, datasets
from .lowering import lower
from .models import Input, Model, Sequential
from .ops import KerasTensor, Variable
from .layers import Layer
from . import saving, debug, testing, passes
from . import applications
from .saving.export import export
from .devices import device
from .initializers import Initializer
from .losses import Loss
from .metrics import Metric
from .optimizers import Optimizer
from .regularizers import Regularizer

__version__ = "0.1.0"


def version() -> str:
    """kxla's version string (``keras.version()``'s counterpart)."""
    return __version__


__all__ = ["config", "ir", "ops", "activations", "constraints", "initializers", "regularizers", "layers",
           "losses", "metrics", "optimizers", "callbacks", "utils", "lower", "Input", "Model",
           "Sequential", "KerasTensor", "Variable", "Layer", "saving", "export", "debug", "testing", "passes",
           "applications", "device", "version", "Initializer", "Loss", "Metric", "Optimizer", "Regularizer"]


def __getattr__(name):
    # Submodules that import heavy optional libraries load on first use (kxla.wrappers: scikit-learn).
    if name == "wrappers":
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Keras 3's top-level base classes and policy names.
from .config import DTypePolicy  # noqa: E402
from .dtype_policies import FloatDTypePolicy  # noqa: E402
from .initializers import Initializer  # noqa: E402
from .losses import Loss  # noqa: E402
from .metrics import Metric  # noqa: E402
from .optimizers import Optimizer  # noqa: E402
from .regularizers import Regularizer  # noqa: E402
from .layers.layer import InputSpec  # noqa: E402
from . import quantizers  # noqa: E402
from .quantizers import Quantizer  # noqa: E402
