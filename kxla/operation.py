"""``kxla.Operation``: Keras 3's base class of a user-defined op (``call`` + optional ``compute_output_spec``).

On arrays ``op(x)`` runs ``call`` eagerly; on symbolic tensors it runs ``call``
on them, so the kxla ops inside ``call`` record IR nodes (the op is inlined in
the graph; Keras records one node for the whole call). ``get_config`` returns
the constructor's arguments (Keras's auto-config) and ``from_config`` rebuilds.
Unlike Keras, kxla's ``Layer`` does not derive from ``Operation``.
"""
from __future__ import annotations

import inspect

from .naming import snake_case
from .remat_scope import any_symbolic, call_with_remat, current_remat_mode


class Operation:
    """Subclass and implement ``call(*args, **kwargs)``."""

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        try:
            bound = inspect.signature(cls.__init__).bind(None, *args, **kwargs)
        except TypeError:
            bound = None
        config = None
        if bound is not None:
            bound.apply_defaults()
            config = {k: v for k, v in list(bound.arguments.items())[1:]
                      if inspect.signature(cls.__init__).parameters[k].kind not in
                      (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)}
            extra = [v for k, v in list(bound.arguments.items())[1:]
                     if inspect.signature(cls.__init__).parameters[k].kind == inspect.Parameter.VAR_KEYWORD]
            for more in extra:
                config.update(more)
        instance._auto_config = config
        return instance

    def __init__(self, name=None):
        if name is None:
            from .layers.layer import unique_name
            name = unique_name(snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name} (of type {type(name)})")
        self.name = name
        self._remat_mode = current_remat_mode()

    def __call__(self, *args, **kwargs):
        if any_symbolic(args, kwargs):
            return call_with_remat(self, self.symbolic_call, args, kwargs, is_layer=False)
        return call_with_remat(self, self.call, args, kwargs, is_layer=False)

    def symbolic_call(self, *args, **kwargs):
        """``call`` on symbolic tensors: its kxla ops record the graph."""
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError

    def quantized_call(self, *args, **kwargs):
        raise NotImplementedError

    def compute_output_spec(self, *args, **kwargs):
        """The symbolic outputs of ``call`` on symbolic inputs (shapes and dtypes)."""
        try:
            return self.call(*args, **kwargs)
        except Exception as e:
            raise type(e)(
                f"Could not automatically infer the output shape / dtype of '{self.name}' (of type "
                f"{type(self).__name__}). Either the `{type(self).__name__}.call()` method is incorrect, or you "
                f"need to implement the `{type(self).__name__}.compute_output_spec() / compute_output_shape()` "
                f"method. Error encountered:\n\n{e}").with_traceback(e.__traceback__) from None

    def get_config(self):
        config = {"name": self.name}
        if self._auto_config is None:
            raise NotImplementedError(
                f"Object {type(self).__name__} was created by passing non-serializable argument values in "
                "`__init__()`, and therefore the object must override `get_config()` in order to be "
                "serializable. Please implement `get_config()`.")
        config.update({k: v for k, v in self._auto_config.items() if k != "name"})
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<Operation name={self.name}>"
