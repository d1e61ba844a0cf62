"""Keras 3's scopes: ``name_scope`` (weight path prefixes), ``StatelessScope`` and ``SymbolicScope``.

``StatelessScope(state_mapping)``: inside it, reading a mapped ``Variable``
gives the mapped value and ``assign`` is recorded in the scope
(``get_current_value``) instead of changing the variable — for eager calls
(ops, layers called on arrays). ``name_scope(name)``: layers created inside it
prefix their weights' ``path`` with the scope path (``"outer/dense/kernel"``).
"""
from __future__ import annotations

_NAME_STACK: list = []
_SYMBOLIC: list = [None]


class name_scope:
    """A context that prefixes the paths of weights created under it (Keras's ``keras.name_scope``)."""

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError("Argument `name` must be a string and cannot contain character `/`. "
                             f"Received: name={name}")
        self.name, self.caller, self.deduplicate = name, caller, deduplicate
        self.override_parent = override_parent
        if override_parent is None and deduplicate and getattr(caller, "_parent_path", None) is not None:
            self.override_parent = caller._parent_path
        self._pop_on_exit = False

    def __enter__(self):
        if self.deduplicate and _NAME_STACK:
            parent = _NAME_STACK[-1]
            if self.caller is not None and self.caller is parent.caller and self.name == parent.name:
                return self
        _NAME_STACK.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _NAME_STACK.pop()


def current_path() -> str:
    """The ``/``-joined path of the active name scopes ("" outside any)."""
    parts = []
    for entry in _NAME_STACK:
        if entry.override_parent is not None:
            parts = [p for p in entry.override_parent.split("/") if p]
        parts.append(entry.name)
    return "/".join(parts)


class SymbolicScope:
    """Marks code that computes on symbolic tensors only (Keras's ``keras.SymbolicScope``)."""

    def __enter__(self):
        self.original_scope = _SYMBOLIC[0]
        _SYMBOLIC[0] = self
        return self

    def __exit__(self, *exc):
        _SYMBOLIC[0] = self.original_scope


def in_symbolic_scope() -> bool:
    return _SYMBOLIC[0] is not None


class StatelessScope:
    """Variables read their mapped values and record assignments instead of applying them."""

    def __init__(self, state_mapping=None, collect_losses=False, initialize_variables=True):
        import numpy as np

        from .ops.tracing import Variable
        self.collect_losses, self.initialize_variables = collect_losses, initialize_variables
        self.losses, self.state_mapping = [], {}
        for k, v in state_mapping or {}:
            if not isinstance(k, Variable):
                raise ValueError("Invalid reference variable in StatelessScope: all keys in argument `mapping` "
                                 f"must be Variable instances. Received instead: {k}")
            v = np.asarray(v.value if isinstance(v, Variable) else v).astype(k.dtype)
            if tuple(k.shape) != tuple(v.shape):
                raise ValueError("Invalid variable value in StatelessScope: all values in argument `mapping` must "
                                 "be tensors with a shape that matches the corresponding variable shape. For "
                                 f"variable {k}, received invalid value {v} with shape {v.shape}.")
            self.state_mapping[id(k)] = v

    def __enter__(self):
        from .ops.tracing import Variable
        self.original_scope = Variable._stateless_scope
        Variable._stateless_scope = self
        return self

    def add_loss(self, loss):
        self.losses.append(loss)

    def add_update(self, update):
        variable, value = update
        self.state_mapping[id(variable)] = value

    def get_current_value(self, variable):
        return self.state_mapping.get(id(variable), None)

    def __exit__(self, *exc):
        from .ops.tracing import Variable
        Variable._stateless_scope = self.original_scope


def in_stateless_scope() -> bool:
    from .ops.tracing import Variable
    return Variable._stateless_scope is not None


def get_stateless_scope():
    from .ops.tracing import Variable
    return Variable._stateless_scope
