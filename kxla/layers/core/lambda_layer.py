"""Lambda (Keras 3): wrap a function written with ``kxla.ops`` as a layer.

The function is traced like any ``call``: each ``kxla.ops`` call in it becomes
an ordinary IR node (so passes, lowering and gradients see through it). A
function that needs raw JAX can wrap it with ``kxla.ops.jax_call``.

Saving: ``get_config`` stores the function's *name* only (its registered name
when it was registered with ``kxla.saving.register_serializable``, else its
``__name__``), never its code, so loading never executes stored code.
``from_config`` finds the function again by that name: in ``custom_objects``,
then among registered objects, then among the public op functions of
``kxla.ops`` (``kxla.ops.relu``, ``kxla.ops.matmul`` ...) — never the op
machinery (``defop``, ``register_function``, ``jax_call``, ``Variable``,
``apply`` ...), so a file cannot make loading register or create anything.
A Python ``lambda`` (name ``"<lambda>"``) cannot be found again: give the
function a name and register it to make a Lambda layer loadable.
"""
from __future__ import annotations

import inspect
import types

import jax

from ... import ops
from ..layer import Layer


def _function_name(fn) -> str:
    from ...object_registration import registered_name
    return registered_name(fn) or getattr(fn, "__name__", type(fn).__name__)


# modules of kxla.ops that hold machinery, not op functions
_MACHINERY = frozenset({"kxla.ops.core", "kxla.ops.tracing", "kxla.ops.jax_call", "kxla.ops.rules"})


def op_function(name: str):
    """The public op function ``kxla.ops.<name>``, or None when ``name`` is not one.

    An op function is a plain function defined in one of kxla.ops's op modules
    (or named as an ``OpDef``'s ``public`` function); classes, private names and
    the op machinery never qualify.
    """
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        return None
    fn = getattr(ops, name, None)
    if not isinstance(fn, types.FunctionType):
        return None
    from ...ir import all_ops
    if any(op.public in (f"kxla.ops.{name}", name) for op in all_ops().values()):
        return fn
    module = getattr(fn, "__module__", "") or ""
    return fn if module.startswith("kxla.ops.") and module not in _MACHINERY else None


def _find_function(name: str, custom_objects: dict | None):
    from ...object_registration import UnknownObjectError, get_registered_object
    fn = get_registered_object(name, custom_objects)
    if fn is None:
        fn = op_function(name)
    if fn is None:
        raise UnknownObjectError(f"Lambda: cannot find the function {name!r}. Lambda layers save the function's name, "
                         "not its code: register it with @kxla.saving.register_serializable() or pass "
                         f"custom_objects={{{name!r}: fn}}" +
                         (" (a Python lambda has no usable name; define it with def)" if name == "<lambda>"
                          else ""))
    return fn


def _accepts(fn, name: str) -> bool:
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


class Lambda(Layer):
    """A layer computing ``function(inputs, **arguments)`` (``keras.layers.Lambda``).

    Arguments:
      function: a callable written with ``kxla.ops`` (it is traced into IR nodes).
        It also receives ``mask=`` / ``training=`` when its signature names them.
      output_shape: optional output shape without the batch dim, or a callable
        ``input_shape -> output_shape``; by default the shape is found by tracing.
      mask: optional output mask, or a callable ``(inputs, mask) -> mask``.
      arguments: optional dict of extra keyword arguments for ``function``.

    See the module docstring for how a Lambda layer is saved (by function name only).
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: `function` must be callable, got {function!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        self._fn_expects_training_arg = _accepts(function, "training")
        self._fn_expects_mask_arg = _accepts(function, "mask")

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = jax.tree_util.tree_leaves(input_shape, is_leaf=lambda s: isinstance(s, tuple))[0][0]
        return (batch,) + tuple(self._output_shape)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {**super().get_config(), "function": _function_name(self.function)}
        if self._output_shape is not None:
            config["output_shape"] = (_function_name(self._output_shape) if callable(self._output_shape)
                                      else list(self._output_shape))
        if self.mask is not None:
            config["mask"] = _function_name(self.mask) if callable(self.mask) else self.mask
        config["arguments"] = dict(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("function"), str):
            config["function"] = _find_function(config["function"], custom_objects)
        if isinstance(config.get("output_shape"), str):
            config["output_shape"] = _find_function(config["output_shape"], custom_objects)
        elif isinstance(config.get("output_shape"), list):
            config["output_shape"] = tuple(config["output_shape"])
        if isinstance(config.get("mask"), str):
            config["mask"] = _find_function(config["mask"], custom_objects)
        return cls(**config)
