"""kxla.models — Input, Sequential, functional and subclassed Model, summary, load_model."""
from ..layers.core.input_layer import Input, InputLayer
from .model import Model
from .sequential import Sequential
from .cloning import clone_model, model_from_json
from . import description as _description
from ..serialization import builtins as _builtins, hooks as _hooks

__all__ = ["Input", "InputLayer", "Model", "Sequential", "load_model", "save_model", "clone_model",
           "model_from_json"]

# The model classes register into the name registry below them (kxla.serialization): names resolve to them,
# and a model used as a layer rebuilds from its description, without kxla.serialization importing models.
_builtins.register_classes(InputLayer=InputLayer, Sequential=Sequential, Functional=Model, Model=Model)
_builtins.register_base("model", Model, config_args=("inputs", "outputs", "name", "trainable", "dtype"), final=False)
_hooks.bind(rebuild_model=_description.rebuild_model)


def __getattr__(name):
    # load_model / save_model are the file formats' (kxla.saving, above this package), bound as hooks
    if name in ("load_model", "save_model"):
        return _hooks.get(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"load_model", "save_model"})
