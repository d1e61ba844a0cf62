"""Recording ops into IR: symbolic ``KerasTensor``s, weight ``Variable``s and the ``Builder``.

Three modes, chosen per call by ``kxla.ops.core.apply``:
  * tracing   - a ``Builder`` is active (``model.to_ir``): ops append nodes to its graph;
  * functional construction - ops or layers called on ``KerasTensor``s with no
    active builder (``x = Dense(3)(Input((4,)))``) record a ``CallRecord`` that
    ``to_ir`` replays inside a builder later (so training/inference graphs differ);
  * eager     - arrays in, arrays out through the op's own lowering rule.
"""
from __future__ import annotations

import threading

import numpy as np

from ..ir import Graph, Node, TensorType, Value, canonical_dtype

_local = threading.local()


def _stack() -> list:
    if not hasattr(_local, "builders"):
        _local.builders = []
    return _local.builders


def current_builder() -> "Builder | None":
    stack = _stack()
    return stack[-1] if stack else None


class Builder:
    """Collects nodes into a Graph while layer/model code runs on symbolic tensors."""

    def __init__(self, name: str = "main", training: bool = False):
        self.graph = Graph(name)
        self.training = training
        self.layer_path: list[str] = []
        self._var_values: dict[int, Value] = {}
        self._vars: list = []
        self.losses: list = []          # scalar KerasTensors added to the training loss (regularizers)

    def __enter__(self):
        _stack().append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    # -- graph arguments -------------------------------------------------
    def input(self, type: TensorType, name: str) -> "KerasTensor":
        v = Value(type, name=name, kind="input")
        self.graph.inputs.append(v)
        return KerasTensor(type, value=v, builder=self)

    def variable_value(self, var: "Variable") -> Value:
        v = self._var_values.get(id(var))
        if v is None:
            attrs = {"init": var.initializer_name}
            if var.kind == "param" and not var.trainable:
                attrs["trainable"] = False
            v = Value(TensorType(var.shape, var.dtype), name=var.ir_name, kind=var.kind, attrs=attrs)
            (self.graph.params if var.kind == "param" else self.graph.state).append(v)
            self._var_values[id(var)] = v
            self._vars.append(var)
        return v

    def variables(self) -> list:
        """The Variables read by the graph, in the order of graph params then state."""
        by_id = {id(self._var_values[id(var)]): var for var in self._vars}
        return [by_id[id(v)] for v in self.graph.params + self.graph.state]

    def update(self, var: "Variable", new: "KerasTensor") -> None:
        state = self.variable_value(var)
        if var.kind != "state":
            raise ValueError(f"Variable {var.path!r} is trainable; only non-trainable variables can be "
                             "assigned inside call()")
        new_value = self.value_of(new)
        if new_value.type != state.type:
            from .core import apply
            new_value = self.value_of(apply("cast", KerasTensor(new_value.type, new_value, self),
                                            dtype=state.type.dtype))
        if new_value.type.shape != state.type.shape:
            raise ValueError(f"assign to {var.path!r}: shape {new_value.type.shape} != {state.type.shape}")
        self.graph.updates = [(s, n) for s, n in self.graph.updates if s is not state]
        self.graph.updates.append((state, new_value))

    def update_with_gradient(self, var: "Variable") -> None:
        """Mark state ``var`` ``update="gradient"``: the train step writes its gradient into it (Keras's
        ``overwrite_with_gradient``; float8 scales and amax histories, whose ops' gradients are new values)."""
        if var.kind != "state":
            raise ValueError(f"Variable {var.path!r} is a parameter; only state can be updated with its gradient")
        self.variable_value(var).attrs["update"] = "gradient"

    # -- nodes -----------------------------------------------------------
    def add_node(self, op: str, inputs: list[Value], attrs: dict, types: list[TensorType]) -> list[Value]:
        node = Node(op, inputs, attrs, types, layer="/".join(self.layer_path) or None)
        self.graph.nodes.append(node)
        return node.results

    def value_of(self, x, like: TensorType | None = None) -> Value:
        """The graph value for a tensor-like argument (recording a constant if needed)."""
        if isinstance(x, KerasTensor):
            if x.builder is not self:
                raise ValueError(
                    "A symbolic tensor from another graph was used here. Tensors made outside "
                    "a model's call (e.g. a kxla.Input) can only reach it through the model's inputs.")
            return x.value
        if isinstance(x, Variable):
            return self.variable_value(x)
        from .core import apply
        arr = np.asarray(x)
        if like is not None and isinstance(x, (int, float, bool)) and not isinstance(x, np.ndarray):
            arr = arr.astype(like.dtype)      # Python scalars take the tensor's dtype (weak typing)
        elif arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype == np.int64:
            arr = arr.astype(np.int32)
        return apply("constant", value=arr.tolist(), shape=list(arr.shape),
                     dtype=canonical_dtype(arr.dtype)).value


class CallRecord:
    """One call made during functional construction: ``fn(*args, **kwargs) -> outputs``."""

    __slots__ = ("fn", "args", "kwargs", "outputs", "layer", "op", "attrs")

    def __init__(self, fn, args, kwargs, layer=None, op=None, attrs=None):
        self.fn, self.args, self.kwargs, self.layer = fn, args, kwargs, layer
        self.op, self.attrs = op, attrs       # for op-level records: the op name and its attributes
        self.outputs: list[KerasTensor] = []


class _TensorOps:
    """Python operators on symbolic tensors and variables, mapped to kxla.ops as Keras maps them.

    ``==`` stays identity (tensors are hashable, as in Keras); ``!=`` is
    ``not_equal`` on KerasTensors only, as in Keras; ``&``, ``|``, ``^`` and
    ``~`` are the logical ops.
    """

    def _ops(self):
        from .. import ops
        return ops

    def __add__(self, o): return self._ops().add(self, o)
    def __radd__(self, o): return self._ops().add(o, self)
    def __sub__(self, o): return self._ops().subtract(self, o)
    def __rsub__(self, o): return self._ops().subtract(o, self)
    def __mul__(self, o): return self._ops().multiply(self, o)
    def __rmul__(self, o): return self._ops().multiply(o, self)
    def __truediv__(self, o): return self._ops().divide(self, o)
    def __rtruediv__(self, o): return self._ops().divide(o, self)
    def __matmul__(self, o): return self._ops().matmul(self, o)
    def __rmatmul__(self, o): return self._ops().matmul(o, self)
    def __neg__(self): return self._ops().negative(self)
    def __abs__(self): return self._ops().absolute(self)
    def __pow__(self, o): return self._ops().power(self, o)
    def __rpow__(self, o): return self._ops().power(o, self)
    def __floordiv__(self, o): return self._ops().floor_divide(self, o)
    def __rfloordiv__(self, o): return self._ops().floor_divide(o, self)
    def __mod__(self, o): return self._ops().mod(self, o)
    def __rmod__(self, o): return self._ops().mod(o, self)
    def __lt__(self, o): return self._ops().less(self, o)
    def __le__(self, o): return self._ops().less_equal(self, o)
    def __gt__(self, o): return self._ops().greater(self, o)
    def __ge__(self, o): return self._ops().greater_equal(self, o)
    def __and__(self, o): return self._ops().logical_and(self, o)
    def __rand__(self, o): return self._ops().logical_and(o, self)
    def __or__(self, o): return self._ops().logical_or(self, o)
    def __ror__(self, o): return self._ops().logical_or(o, self)
    def __xor__(self, o): return self._ops().logical_xor(self, o)
    def __rxor__(self, o): return self._ops().logical_xor(o, self)
    def __invert__(self): return self._ops().logical_not(self)
    def __round__(self, ndigits=None): return self._ops().round(self, decimals=ndigits or 0)
    def __getitem__(self, idx): return self._ops().getitem(self, idx)

    @property
    def ndim(self) -> int:
        return len(self.shape)


class KerasTensor(_TensorOps):
    """A symbolic tensor: a type, and either a graph value (tracing) or a call history."""

    __array_ufunc__ = None      # numpy defers to our reflected operators (``array @ tensor``)

    def __init__(self, type: TensorType, value: Value | None = None, builder: Builder | None = None,
                 history: tuple | None = None, name: str | None = None):
        self.type = type
        self.value = value
        self.builder = builder
        self.history = history      # (CallRecord, index) in functional construction
        self.name = name
        self._keras_mask = None

    @property
    def shape(self) -> tuple:
        return self.type.shape

    @property
    def dtype(self) -> str:
        return self.type.dtype

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}" + \
            (f", name={self.name}" if self.name else "") + ">"

    def __ne__(self, other):
        return self._ops().not_equal(self, other)

    def reshape(self, newshape):
        return self._ops().reshape(self, newshape)

    def squeeze(self, axis=None):
        return self._ops().squeeze(self, axis)

    def __int__(self):
        raise ValueError("A KerasTensor is symbolic: a placeholder for a shape and a dtype, without a value. "
                         "You cannot convert it to an int.")

    def __float__(self):
        raise ValueError("A KerasTensor is symbolic: a placeholder for a shape and a dtype, without a value. "
                         "You cannot convert it to a float.")

    def __array__(self, dtype=None, copy=None):
        raise ValueError("A KerasTensor is symbolic: a placeholder for a shape and a dtype, without a value. "
                         "You cannot convert it to a NumPy array.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor has no truth value: Python control flow in call() "
                        "may depend on static values (shapes, flags) only; use kxla.ops.where for data.")

    def __iter__(self):
        raise TypeError("A symbolic KerasTensor is not iterable; index it (x[:, 0]) or use kxla.ops.")

    def __hash__(self):
        return id(self)


class Variable(_TensorOps):
    """A weight: a named array owned by a layer, a graph parameter (``param``) or state when traced.

    ``kind`` is "param" for trainable-created weights and "state" for weights
    created with ``trainable=False`` (BatchNorm statistics); setting
    ``trainable = False`` on a param freezes it without making it state.
    """

    #: bumped whenever any Variable's value is replaced: caches of device weights compare one int
    version = 0
    #: the model's ``kxla.training.state.ModelState`` once the model has run: the value lives there
    _store = None

    def __init__(self, value, name: str, path: str, kind: str = "param", trainable: bool = True,
                 initializer_name: str = "custom", regularizer=None, constraint=None):
        value = np.asarray(value) if not hasattr(value, "shape") else value
        self._value = value
        self.name = name
        self.path = path
        self.kind = kind
        self.trainable = trainable if kind == "param" else False
        self.initializer_name = initializer_name
        self.regularizer = regularizer
        self.constraint = constraint

    @property
    def _value(self):
        store = self._store
        return self._array if store is None else store.read(self)

    @_value.setter
    def _value(self, array):
        store = self._store
        if store is None:
            self._array = array
        else:
            store.write(self, array)
        Variable.version += 1

    @property
    def ir_name(self) -> str:
        return self.path.replace("/", ".")

    @property
    def shape(self) -> tuple:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> str:
        return canonical_dtype(self._value.dtype)

    #: the active ``kxla.StatelessScope`` (its values replace reads, it collects assigns), or None
    _stateless_scope = None

    @property
    def value(self):
        scope = Variable._stateless_scope
        if scope is not None:
            mapped = scope.get_current_value(self)
            if mapped is not None:
                return mapped
        return self._value

    def numpy(self) -> np.ndarray:
        return np.asarray(self.value)

    def assign(self, new):
        builder = current_builder()
        if builder is not None and isinstance(new, KerasTensor):
            builder.update(self, new)
            return
        if Variable._stateless_scope is not None:       # recorded in the scope, not applied
            Variable._stateless_scope.add_update((self, new))
            return
        new_arr = new.value if isinstance(new, Variable) else new
        if tuple(np.shape(new_arr)) != self.shape:
            raise ValueError(f"Cannot assign a value of shape {tuple(np.shape(new_arr))} to variable "
                             f"{self.path!r} of shape {self.shape}")
        self._value = new_arr.astype(self.dtype) if hasattr(new_arr, "astype") else np.asarray(new_arr, self.dtype)

    def _latest(self):
        """Inside a graph: the value this call already assigned (so assign_add chains), else self."""
        builder = current_builder()
        if builder is None or id(self) not in builder._var_values:
            return self
        state = builder._var_values[id(self)]
        pending = next((new for s, new in builder.graph.updates if s is state), None)
        return self if pending is None else KerasTensor(pending.type, value=pending, builder=builder)

    def assign_add(self, delta):
        """``self.assign(self + delta)`` (a state update when traced, chaining earlier assigns); returns self."""
        from .math import add
        self.assign(add(self._latest(), delta))
        return self

    def assign_sub(self, delta):
        """``self.assign(self - delta)`` (a state update when traced, chaining earlier assigns); returns self."""
        from .math import subtract
        self.assign(subtract(self._latest(), delta))
        return self

    def __array__(self, dtype=None, copy=None):
        arr = np.asarray(self.value)
        return arr.astype(dtype) if dtype is not None else arr

    def __repr__(self):
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"


def tensor_leaves(tree) -> list:
    """The ``KerasTensor`` leaves of a nested structure (lists, tuples, dicts), in tree order."""
    from .lazy_jax import jax
    return [x for x in jax.tree_util.tree_leaves(tree, is_leaf=lambda x: isinstance(x, (KerasTensor, Variable)))
            if isinstance(x, KerasTensor)]
