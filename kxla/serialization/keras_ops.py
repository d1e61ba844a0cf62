"""Direct op calls in functional models, in Keras 3's config form, both ways.

Keras 3 records ``x = ops.add(a, b)`` (or ``a + b``, ``ops.reshape(x, s)``)
between layers as an ``Operation`` entry in the functional config's layer
list: ``{"module": "keras.src.ops.numpy", "class_name": "Add", "config":
{"name": "add", ...the operation's __init__ arguments...}, "registered_name":
"Add", "name": "add", "inbound_nodes": [{"args": [tensors and constants of
the call], "kwargs": {...}}]}``.

Writing: each kxla op record (an IR op, its attributes and its inputs) is
mapped through ``_TABLE`` to Keras's operation class and init arguments; an op
without a Keras form raises a ``ValueError`` naming it (the ``.kxla`` format
keeps every op). Reading: ``Add`` is ``kxla.ops.add`` and generally the
operation class ``CamelCase`` is the ``kxla.ops`` function ``camel_case``,
called with the node's arguments and the config as keyword arguments (only
public ``kxla.ops`` functions are reachable; nothing else is looked up).
"""
from __future__ import annotations

import numpy as np

from ..naming import snake_case

__all__ = ["is_op_entry", "op_entry", "op_from_entry"]

_NUMPY, _NN, _MATH, _CORE, _LINALG = ("numpy", "nn", "math", "core", "linalg")

# IR op -> (keras.src.ops module, Keras class, init arguments). An argument is "name" (the IR attribute of
# that name), "name<attr" (renamed), or "name=value" (a constant: Keras's default, no IR attribute).
_PLAIN = {
    _NUMPY: "add subtract multiply divide true_divide floor_divide mod power maximum minimum matmul dot "
            "greater greater_equal less less_equal equal not_equal logical_and logical_or logical_xor "
            "logical_not where negative exp log sqrt square tanh sign floor ceil sin cos tan arctan "
            "log1p expm1 reciprocal sinh cosh arcsin arccos arctanh isnan isinf isfinite conj real imag",
    _NN: "relu relu6 sigmoid silu selu softplus softsign hard_sigmoid hard_silu tanh_shrink",
    _MATH: "erf rsqrt erfinv",
}
_TABLE = {name: (mod, None, ()) for mod, names in _PLAIN.items() for name in names.split()}
_TABLE.update({
    "abs": (_NUMPY, "Absolute", ()),
    "reshape": (_NUMPY, "Reshape", ("newshape<shape",)),
    "sum": (_NUMPY, "Sum", ("axis", "keepdims")),
    "mean": (_NUMPY, "Mean", ("axis", "keepdims")),
    "max": (_NUMPY, "Max", ("axis", "keepdims", "initial=None")),
    "min": (_NUMPY, "Min", ("axis", "keepdims", "initial=None")),
    "prod": (_NUMPY, "Prod", ("axis", "keepdims", "dtype=None")),
    "var": (_NUMPY, "Var", ("axis", "keepdims")),
    "std": (_NUMPY, "Std", ("axis", "keepdims")),
    "all": (_NUMPY, "All", ("axis", "keepdims")),
    "any": (_NUMPY, "Any", ("axis", "keepdims")),
    "argmax": (_NUMPY, "Argmax", ("axis", "keepdims")),
    "argmin": (_NUMPY, "Argmin", ("axis", "keepdims")),
    "squeeze": (_NUMPY, "Squeeze", ("axis",)),
    "expand_dims": (_NUMPY, "ExpandDims", ("axis",)),
    "transpose": (_NUMPY, "Transpose", ("axes<perm",)),
    "concatenate": (_NUMPY, "Concatenate", ("axis",)),
    "stack": (_NUMPY, "Stack", ("axis",)),
    "clip": (_NUMPY, "Clip", ("x_min", "x_max")),
    "split": (_NUMPY, "Split", ("indices_or_sections<indices", "axis")),
    "take": (_NUMPY, "Take", ("axis",)),
    "tile": (_NUMPY, "Tile", ("repeats",)),
    "repeat": (_NUMPY, "Repeat", ("repeats", "axis")),
    "flip": (_NUMPY, "Flip", ("axis",)),
    "cumsum": (_NUMPY, "Cumsum", ("axis", "dtype")),
    "cumprod": (_NUMPY, "Cumprod", ("axis", "dtype")),
    "round": (_NUMPY, "Round", ("decimals",)),
    "moveaxis": (_NUMPY, "Moveaxis", ("source", "destination")),
    "broadcast_to": (_NUMPY, "BroadcastTo", ("shape",)),
    "zeros_like": (_NUMPY, "ZerosLike", ("dtype",)),
    "ones_like": (_NUMPY, "OnesLike", ("dtype",)),
    "einsum": (_NUMPY, "Einsum", ("subscripts<equation",)),
    "pad": (_NUMPY, "Pad", ("pad_width", "mode")),
    "cast": (_CORE, "Cast", ("dtype",)),
    "softmax": (_NN, "Softmax", ("axis",)),
    "log_softmax": (_NN, "LogSoftmax", ("axis",)),
    "gelu": (_NN, "Gelu", ("approximate",)),
    "elu": (_NN, "Elu", ("alpha",)),
    "leaky_relu": (_NN, "LeakyRelu", ("negative_slope",)),
    "one_hot": (_NN, "OneHot", ("num_classes", "axis", "dtype", "sparse=False")),
    "logsumexp": (_MATH, "Logsumexp", ("axis", "keepdims")),
    "norm": (_LINALG, "Norm", ("ord", "axis", "keepdims")),
})
_OPS_PREFIX = "keras.src.ops."


def _keras_class(op: str) -> str:
    cls = _TABLE[op][1]
    return cls or "".join(part.capitalize() for part in op.split("_"))


def _config(op: str, attrs: dict, where: str) -> dict:
    config = {}
    for spec in _TABLE[op][2]:
        if "=" in spec:
            key, value = spec.split("=")
            config[key] = None if value == "None" else value == "True" if value in ("True", "False") else value
            continue
        key, _, attr = spec.partition("<")
        attr = attr or key
        if attr not in attrs:
            raise ValueError(f"{where}: the op {op!r} has no attribute {attr!r} to write as Keras's {key!r}")
        config[key] = attrs[attr]
    return config


def _getitem_key(attrs: dict):
    """The key of Keras's ``GetItem`` for kxla's ``slice`` op (one slice per axis)."""
    return [{"class_name": "__slice__", "config": {"start": a, "stop": b, "step": None if c == 1 else c}}
            for a, b, c in zip(attrs["start"], attrs["stop"], attrs["step"])]


def op_entry(record, name: str, args: list, kwargs: dict, where: str) -> dict:
    """Keras's layer-list entry (without ``inbound_nodes``) for an op record; ``args`` are already encoded.

    Returns ``(entry, args, kwargs)`` with the call's arguments as Keras writes them.
    """
    op, attrs = record.op, dict(record.attrs or {})
    if op == "slice" and set(attrs) == {"start", "stop", "step"}:
        return (_entry("numpy", "GetItem", {}, name), args + [_getitem_key(attrs)], kwargs)
    if op not in _TABLE:
        raise ValueError(
            f"{where}: the op {op!r} called directly between layers has no Keras 3 operation kxla can write in a "
            ".keras config. Wrap it in a layer (e.g. a registered custom layer), or save the model in kxla's own "
            "format (model.save('model.kxla')).")
    module = _TABLE[op][0]
    config = _config(op, attrs, where)
    if op in ("concatenate", "stack"):
        args = [args]                               # Keras calls these on one list of tensors
    if op == "pad":
        kwargs = {**kwargs, "constant_values": attrs.get("constant_values")}
    return _entry(module, _keras_class(op), config, name), args, kwargs


def _entry(module: str, class_name: str, config: dict, name: str) -> dict:
    return {"module": _OPS_PREFIX + module, "class_name": class_name, "config": {"name": name, **config},
            "registered_name": class_name}


def op_name_base(record) -> str:
    """The snake-case name Keras gives the operation (``add``, ``get_item``) before making it unique."""
    if record.op == "slice":
        return "get_item"
    return snake_case(_keras_class(record.op)) if record.op in _TABLE else record.op


# -- reading ------------------------------------------------------------------------------
def is_op_entry(entry: dict) -> bool:
    return isinstance(entry, dict) and str(entry.get("module") or "").startswith(_OPS_PREFIX)


class OpCall:
    """A Keras operation entry rebuilt as a callable: ``kxla.ops.<fn>(*args, **config, **kwargs)``."""

    def __init__(self, fn_name: str, fn, config: dict):
        self.name, self.fn_name, self.fn, self.config = config.get("name", fn_name), fn_name, fn, config

    def __call__(self, *args, **kwargs):
        config = {k: v for k, v in self.config.items() if k != "name"}
        if self.fn_name == "einsum":
            return self.fn(config.pop("subscripts"), *args, **config, **kwargs)
        if self.fn_name == "get_item" and len(args) == 2 and isinstance(args[1], list):
            args = (args[0], tuple(args[1]))         # Keras writes the key tuple as a JSON list
        return self.fn(*args, **config, **kwargs)


def op_from_entry(entry: dict, where: str) -> OpCall:
    """The ``kxla.ops`` function a Keras operation entry names, with its config (a clear error if none)."""
    from .. import ops
    class_name = str(entry.get("class_name"))
    fn_name = {"Absolute": "absolute"}.get(class_name, snake_case(class_name))
    fn = getattr(ops, fn_name, None) if not fn_name.startswith("_") else None
    if fn is None or not callable(fn) or isinstance(fn, type) or getattr(fn, "__module__", "").split(".")[0] != "kxla":
        raise ValueError(f"{where}: the Keras operation {entry.get('module')}.{class_name} has no kxla.ops "
                         f"counterpart ({fn_name!r}); kxla cannot rebuild this functional model")
    config = entry.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{where}: the config of operation {class_name} is not a mapping")
    return OpCall(fn_name, fn, _accepted(fn, fn_name, dict(config), where))


def _accepted(fn, fn_name: str, config: dict, where: str) -> dict:
    """The config minus Keras-only arguments left at None (``Max(initial=None)``); another value is an error."""
    import inspect
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return config
    if any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return config
    out = {}
    for k, v in config.items():
        if k == "name" or k in params:
            out[k] = v
        elif v is not None:
            raise ValueError(f"{where}: kxla.ops.{fn_name} does not support {k}={v!r} (an argument of Keras's "
                             "operation kxla does not implement)")
    return out


def encode_constant(value):
    """A non-tensor argument of an op record as Keras writes it (arrays as ``__numpy__`` / ``__tensor__``)."""
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, np.generic):
        arr = np.asarray(value)
        return {"class_name": "__tensor__", "config": {"value": arr.tolist(), "dtype": str(arr.dtype)}}
    return None
