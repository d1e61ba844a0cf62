"""``Metric``: the Keras 3 metric API (variables + ``update_state`` + ``result``) made functional.

A metric is written the Keras way::

    class TruePositives(Metric):
        def __init__(self, name="tp"):
            super().__init__(name=name)
            self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = jnp.logical_and(y_true > 0.5, y_pred > 0.5).astype("float32")
            self.tp.assign(self.tp + jnp.sum(hits))

        def result(self):
            return self.tp.value

and every metric automatically gets the pure protocol the jitted train step uses::

    state = metric.init()                                         # {"tp": 0.0}
    state = metric.update(state, y_true, y_pred, sample_weight)   # pure, jit-able
    value = metric.result(state)                                  # pure, jit-able

``update`` and ``result(state)`` temporarily bind the metric's variables to the
arrays of ``state`` (tracers under ``jax.jit``), run the Keras-style method,
read the variables back and restore them, so the eager values are never
touched. ``init()`` is ``reset_state()`` run the same way.

``MetricVariable`` supports arithmetic operators, indexing, ``.value``,
``.numpy()``, ``assign`` / ``assign_add`` / ``assign_sub``. JAX 0.10 no longer
converts foreign objects inside ``jnp`` functions, so write
``jnp.sqrt(self.total.value)`` (or use operators such as ``self.total / n``).
"""
from __future__ import annotations

import contextlib
import functools

import jax
import jax.numpy as jnp
import numpy as np

from ..naming import snake_case

__all__ = ["Metric", "MetricVariable"]


def _initial_value(initializer, shape, dtype):
    shape = tuple(int(d) for d in (shape or ()))
    if callable(initializer) and not isinstance(initializer, str):
        try:
            return jnp.asarray(initializer(shape, dtype=dtype), dtype)
        except TypeError:
            return jnp.asarray(initializer(shape), dtype)
    if initializer is None or (isinstance(initializer, str) and initializer.lower() in ("zeros", "zero")):
        return np.zeros(shape, dtype)                # numpy: creating a metric compiles nothing
    if isinstance(initializer, str) and initializer.lower() in ("ones", "one"):
        return np.ones(shape, dtype)
    if isinstance(initializer, (int, float, np.ndarray, list, tuple)) or hasattr(initializer, "shape"):
        return jnp.broadcast_to(jnp.asarray(initializer, dtype), shape)
    try:
        from .. import initializers as _init
        return jnp.asarray(_init.get(initializer)(shape, dtype=dtype), dtype)
    except Exception as exc:  # noqa: BLE001 - any failure means the initializer is unusable here
        raise ValueError(f"Could not interpret metric variable initializer: {initializer!r}") from exc


class MetricVariable:
    """A metric's state variable: a named array that ``assign`` replaces (possibly with a tracer)."""

    def __init__(self, value, name: str, dtype=None):
        self._value = jnp.asarray(np.asarray(value, dtype) if isinstance(value, np.ndarray) else value, dtype)
        self.name = name
        self._dtype = self._value.dtype
        self._shape = tuple(self._value.shape)

    # --- reading
    @property
    def value(self):
        """The current array (a tracer while a functional update runs)."""
        return self._value

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    def numpy(self):
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None):
        out = np.asarray(self._value)
        return out.astype(dtype) if dtype is not None else out

    def __jax_array__(self):
        return self._value

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __len__(self):
        return self._shape[0]

    def __repr__(self):
        return f"<MetricVariable {self.name} shape={self._shape} dtype={self._dtype} value={self._value}>"

    # --- writing
    def assign(self, value):
        if isinstance(value, jax.Array) and value.dtype == self._dtype and value.shape == self._shape:
            self._value = value           # already an array of this variable's type (e.g. fit's metric state)
            return self
        value = jnp.asarray(value).astype(self._dtype)
        if tuple(value.shape) != self._shape:
            try:
                value = jnp.broadcast_to(value, self._shape)
            except ValueError:
                raise ValueError(f"Cannot assign a value of shape {tuple(value.shape)} to metric variable "
                                 f"{self.name!r} of shape {self._shape}.") from None
        self._value = value
        return self

    def assign_add(self, value):
        return self.assign(self._value + jnp.asarray(value).astype(self._dtype))

    def assign_sub(self, value):
        return self.assign(self._value - jnp.asarray(value).astype(self._dtype))


def _unwrap(x):
    return x._value if isinstance(x, MetricVariable) else x


def _binary(op, reflected=False):
    def method(self, other):
        other = _unwrap(other)
        return op(other, self._value) if reflected else op(self._value, other)
    return method


for _name, _op in {"add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply, "truediv": jnp.true_divide,
                   "floordiv": jnp.floor_divide, "mod": jnp.mod, "pow": jnp.power, "matmul": jnp.matmul,
                   "and": jnp.logical_and, "or": jnp.logical_or}.items():
    setattr(MetricVariable, f"__{_name}__", _binary(_op))
    setattr(MetricVariable, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in {"lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater, "ge": jnp.greater_equal}.items():
    setattr(MetricVariable, f"__{_name}__", _binary(_op))
MetricVariable.__neg__ = lambda self: -self._value
MetricVariable.__pos__ = lambda self: self._value
MetricVariable.__abs__ = lambda self: jnp.abs(self._value)
MetricVariable.__getitem__ = lambda self, idx: self._value[idx]
for _attr in ("sum", "mean", "max", "min", "astype", "reshape", "T", "item"):
    setattr(MetricVariable, _attr, property(lambda self, a=_attr: getattr(self._value, a)))


def _stateful_result(fn):
    """Wrap a Keras-style ``result(self)`` so that ``result(state)`` evaluates it on ``state``."""
    @functools.wraps(fn)
    def result(self, state=None):
        if state is None:
            return fn(self)
        with self._bound(state):
            return fn(self)
    result._kxla_stateful = True
    return result


class Metric:
    """Base class of all metrics (Keras 3 API plus the functional ``init/update/result(state)``).

    Arguments:
        name: metric name (default: snake-cased class name).
        dtype: dtype of the variables and result (default float32).
    """

    _direction = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        fn = cls.__dict__.get("result")
        if fn is not None and not getattr(fn, "_kxla_stateful", False):
            cls.result = _stateful_result(fn)

    def __init__(self, name=None, dtype=None):
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype or "float32"

    def __setattr__(self, name, value):
        if "_metrics" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")
        subs = value if isinstance(value, (list, tuple)) else [value]
        for sub in subs:
            if isinstance(sub, Metric) and sub is not self and all(sub is not m for m in self._metrics):
                self._metrics.append(sub)
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ Keras API
    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None):
        """Create a state variable (Keras 3 signature; ``aggregation`` is accepted and ignored)."""
        if "_variables" not in self.__dict__:
            raise RuntimeError("You forgot to call `super().__init__()` in the `__init__()` method. Go add it!")
        dtype = dtype or self.dtype
        var = MetricVariable(_initial_value(initializer, shape, dtype), name or f"variable_{len(self._variables)}",
                             dtype)
        self._variables.append(var)
        return var

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Backwards-compatible alias of ``add_variable``."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list:
        """This metric's variables, then those of its sub-metrics."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    @property
    def direction(self):
        """"up" when larger is better (accuracy, AUC ...), "down" for errors, else None."""
        return self._direction

    def reset_state(self):
        """Set every variable to zeros (Keras's default)."""
        for v in self.variables:
            v.assign(jnp.zeros(v.shape, v.dtype))

    def update_state(self, *args, **kwargs):
        raise TypeError(f"Metric {type(self).__name__} must define update_state(y_true, y_pred, sample_weight=None)")

    def result(self, state=None):
        raise TypeError(f"Metric {type(self).__name__} must define result()")

    def __call__(self, *args, **kwargs):
        """Eager ``update_state`` then ``result()``."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------ functional protocol
    def _keyed_variables(self) -> list:
        keyed, seen = [], set()
        for var, prefix in self._walk(""):
            key = prefix + var.name
            base, i = key, 1
            while key in seen:
                key, i = f"{base}_{i}", i + 1
            seen.add(key)
            keyed.append((key, var))
        return keyed

    def _walk(self, prefix):
        for v in self._variables:
            yield v, prefix
        for m in self._metrics:
            yield from m._walk(f"{prefix}{m.name}/")

    @contextlib.contextmanager
    def _bound(self, state):
        keyed = self._keyed_variables()
        saved = [v._value for _, v in keyed]
        try:
            for key, var in keyed:
                var._value = state[key]
            yield keyed
        finally:
            for (_, var), old in zip(keyed, saved):
                var._value = old

    def init(self) -> dict:
        """A fresh state ``{variable_name: array}`` (what ``reset_state`` would set)."""
        keyed = self._keyed_variables()
        with self._bound({k: v._value for k, v in keyed}):
            self.reset_state()
            return {k: v._value for k, v in keyed}

    def update(self, state: dict, *args, **kwargs) -> dict:
        """Pure ``update_state``: ``update(state, y_true, y_pred, sample_weight=None) -> new_state``."""
        with self._bound(state) as keyed:
            self.update_state(*args, **kwargs)
            return {k: v._value for k, v in keyed}

    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """Keras 3's ``stateless_update_state``: new values of ``metric_variables`` (ordered like
        ``self.variables``) after one ``update_state(*args, **kwargs)``; pure, usable under ``jax.jit``."""
        keys = [k for k, _ in self._keyed_variables()]
        self._check_count(metric_variables, keys)
        new = self.update(dict(zip(keys, metric_variables)), *args, **kwargs)
        return [new[k] for k in keys]

    def stateless_result(self, metric_variables):
        """Keras 3's ``stateless_result``: ``result()`` computed on ``metric_variables``."""
        keys = [k for k, _ in self._keyed_variables()]
        self._check_count(metric_variables, keys)
        return self.result(dict(zip(keys, metric_variables)))

    def stateless_reset_state(self) -> list:
        """Keras 3's ``stateless_reset_state``: the fresh values of ``self.variables``."""
        state = self.init()
        return [state[k] for k, _ in self._keyed_variables()]

    def _check_count(self, values, keys):
        if len(values) != len(keys):
            raise ValueError(f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length {len(values)}, "
                             f"but expected {len(keys)} variables.")

    def get_state(self) -> dict:
        """The eager variables' current values, keyed as in ``init()``."""
        return {k: v._value for k, v in self._keyed_variables()}

    def set_state(self, state: dict) -> None:
        """Load a functional state into the eager variables (e.g. after a jitted epoch)."""
        for k, v in self._keyed_variables():
            v.assign(state[k])

    # ------------------------------------------------------------------ Keras 3's stateless API
    def stateless_update_state(self, metric_variables, *args, **kwargs) -> list:
        """``update_state`` on values ordered like ``variables``; returns the new values (a list)."""
        keys = [k for k, _ in self._keyed_variables()]
        if len(metric_variables) != len(keys):
            raise ValueError(f"Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length "
                             f"{len(metric_variables)}, but expected {len(keys)} variables.")
        new = self.update(dict(zip(keys, metric_variables)), *args, **kwargs)
        return [new[k] for k in keys]

    def stateless_result(self, metric_variables):
        """``result()`` of values ordered like ``variables``."""
        keys = [k for k, _ in self._keyed_variables()]
        return self.result(dict(zip(keys, metric_variables)))

    def stateless_reset_state(self) -> list:
        """Fresh values ordered like ``variables``."""
        state = self.init()
        return [state[k] for k, _ in self._keyed_variables()]

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
