"""``kxla.remat`` and ``kxla.RematScope``: Keras 3's rematerialization (gradient checkpointing) API.

``remat(f)`` is ``jax.checkpoint(f)`` (Keras's JAX backend): on arrays the
backward pass recomputes ``f``'s activations instead of storing them. On
symbolic tensors ``f`` is recorded into the model graph as is: kxla lowers the
whole step as one XLA program, whose scheduler decides what to keep (the
values are the same either way). ``RematScope`` is validated and stacked as
Keras's; ``kxla.Operation`` objects called on arrays inside a ``"full"`` scope
run through ``remat``.
"""
from __future__ import annotations

from collections import namedtuple

RematMode = namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])
_STACK: list = []


class RematScope:
    """A context of a rematerialization mode: "full", "activations", "larger_than", "list_of_layers" or None."""

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in {"full", "activations", "larger_than", "list_of_layers", None}:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', 'activations', 'larger_than', "
                             "'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _STACK.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _STACK.pop()


def any_symbolic(args, kwargs) -> bool:
    """Whether any (nested) argument is a symbolic ``KerasTensor``."""
    from .ops.tracing import KerasTensor
    from .tree import flatten
    return any(isinstance(x, KerasTensor) for x in flatten((list(args), dict(kwargs))))


def current_remat_mode():
    """The innermost ``RematScope``'s mode as a ``RematMode``, or None."""
    if not _STACK:
        return None
    s = _STACK[-1]
    return RematMode(s.mode, s.output_size_threshold, s.layer_names)


def remat(f):
    """``f`` wrapped for rematerialization (``jax.checkpoint``) when called on arrays."""
    import functools

    import jax

    checkpointed = jax.checkpoint(f)

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        if any_symbolic(args, kwargs):
            return f(*args, **kwargs)
        return checkpointed(*args, **kwargs)

    return wrapper
