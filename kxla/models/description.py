"""A model's description in kxla's own file format, both ways: each model kind describes and rebuilds itself.

A description has ``kind``, ``class_name``, ``name``, ``trainable``,
``inputs`` (``[{"name", "shape", "dtype"}]``) and, per kind:

  * ``sequential``: ``layers`` — ``[{"class_name", "config"}]`` in order;
  * ``functional``: ``layers`` (every layer once, shared ones too), ``input_layers``
    (names, in flat input order), ``input_tree``, ``nodes`` and ``outputs``. Each
    node is one call recorded while the model was built: ``{"layer": name}`` or
    ``{"op": name, "attrs": {...}}`` for a direct ``kxla.ops`` call, plus its
    ``args`` / ``kwargs`` with tensors written as ``{"__ref__": ["i", k]}`` (model
    input k) or ``{"__ref__": ["n", node, output]}`` (an earlier node's output);
  * ``subclassed``: ``config`` (the model's ``get_config()``) and ``input_struct``.

A layer that is itself a model is stored as ``{"class_name", "model": <description>}``
(``Model._file_entry``). Rebuilding goes through the name registry (layer
entries: ``kxla.serialization.layer_entries``) and never executes code from
the description; ``kxla.saving.model_io`` puts descriptions in files.
"""
from __future__ import annotations

import numpy as np

from ..object_registration import UnknownObjectError, get_registered_name, lookup
from ..serialization import values as fmt
from ..serialization.builtins import builtin_class, builtin_layers
from ..serialization.layer_entries import build_layer, serialize_layer
from ..serialization.values import Unserializable as _Unserializable, plain as _plain

__all__ = ["describe_model", "rebuild_model", "file_entry"]


# -- trees with tensor references (functional connectivity) ------------------------------
_TAGS = ("__ref__", "__tuple__", "__dict__", "__array__")


def _enc_tree(obj, refs: dict, where: str):
    from ..ops.tracing import KerasTensor, Variable
    if isinstance(obj, KerasTensor):
        ref = refs.get(id(obj))
        if ref is None:
            raise _Unserializable(f"{where}: a tensor that is not an input or an earlier output of the model")
        return {"__ref__": list(ref)}
    if isinstance(obj, Variable):
        raise _Unserializable(f"{where}: a weight Variable used directly between layers cannot be saved")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return {"__array__": fmt.encode_tensor(obj)}
    if isinstance(obj, list):
        return [_enc_tree(v, refs, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return {"__tuple__": [_enc_tree(v, refs, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise _Unserializable(f"{where}: dict keys must be strings")
        return {"__dict__": {k: _enc_tree(v, refs, f"{where}[{k!r}]") for k, v in obj.items()}}
    raise _Unserializable(f"{where}: cannot save an argument of type {type(obj).__name__}")


def _dec_tree(obj, env: dict, where: str):
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_dec_tree(v, env, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if len(obj) != 1 or next(iter(obj)) not in _TAGS:
            raise fmt.FormatError(f"{where}: expected one of the tags {list(_TAGS)}, got keys {list(obj)[:5]}")
        tag, value = next(iter(obj.items()))
        if tag == "__ref__":
            fmt.expect(value, list, where)
            ref = tuple(value)
            if ref not in env:
                raise fmt.FormatError(f"{where}: reference {value!r} to a tensor not defined before this point")
            return env[ref]
        if tag == "__tuple__":
            return tuple(_dec_tree(v, env, f"{where}[{i}]")
                         for i, v in enumerate(fmt.expect(value, list, where)))
        if tag == "__dict__":
            return {k: _dec_tree(v, env, f"{where}[{k!r}]") for k, v in fmt.expect(value, dict, where).items()}
        return np.array(fmt.decode_tensor(value, where))
    raise fmt.FormatError(f"{where}: unexpected {type(obj).__name__} value")


# -- describing models --------------------------------------------------------------------
def _model_kind(model) -> str:
    from . import Sequential
    if isinstance(model, Sequential):
        return "sequential"
    return "functional" if getattr(model, "_functional", False) else "subclassed"


def _class_name(obj_type, kind: str | None = None) -> str:
    from . import Model
    if obj_type is Model and kind == "functional":
        return "Functional"
    return get_registered_name(obj_type)


def file_entry(model) -> dict:
    """``{"class_name", "model": <description>}``: a model used as a layer, in a layer list or a wrapper."""
    return {"class_name": _class_name(type(model), _model_kind(model)), "model": describe_model(model)}


def _inputs_section(model) -> list:
    types = getattr(model, "_input_types", None) or []
    names = getattr(model, "_input_names", None) or [f"input_{i}" for i in range(len(types))]
    return [{"name": n, "shape": list(t.shape), "dtype": t.dtype} for t, n in zip(types, names)]


def describe_model(model) -> dict:
    """The architecture section of a model file for ``model`` (see the module docstring)."""
    kind = _model_kind(model)
    desc = {"kind": kind, "class_name": _class_name(type(model), kind), "name": model.name,
            "trainable": bool(model.trainable), "inputs": _inputs_section(model)}
    if kind == "sequential":
        desc["layers"] = [serialize_layer(l) for l in model._layers]
    elif kind == "functional":
        from .functional import tensor_leaves
        refs = {id(t): ("i", k) for k, t in enumerate(model._inputs_flat)}
        nodes = []
        for n, record in enumerate(model._records):
            node = {"layer": record.layer.name} if record.layer is not None else \
                {"op": record.op, "attrs": _plain(record.attrs, f"attributes of op {record.op!r}")}
            if record.layer is None and record.op is None:
                raise _Unserializable("a functional-model call recorded neither a layer nor an op")
            node["args"] = _enc_tree(list(record.args) if record.layer is None else tuple(record.args), refs,
                                     f"arguments of node {n}")
            node["kwargs"] = _enc_tree(dict(record.kwargs), refs, f"keyword arguments of node {n}")
            node["n_outputs"] = len(record.outputs)
            for j, t in enumerate(record.outputs):
                refs[id(t)] = ("n", n, j)
            nodes.append(node)
        desc["layers"] = [serialize_layer(l) for l in model._layers]
        desc["input_layers"] = [t._input_layer.name for t in model._inputs_flat]
        desc["input_tree"] = _enc_tree(model._input_struct, refs, "model inputs")
        desc["nodes"] = nodes
        desc["outputs"] = _enc_tree(model._outputs, refs, "model outputs")
        assert all(id(t) in refs for t in tensor_leaves(model._outputs))
    else:
        desc["config"] = _plain(model.get_config(), f"the config of model {model.name!r}")
        struct = getattr(model, "_input_struct", None)
        desc["input_struct"] = _plain(struct, "the input structure") if struct is not None else None
    return desc


# -- rebuilding models --------------------------------------------------------------------------------------
def _input_types(section, where: str):
    from ..ir import TensorType
    types, names = [], []
    for i, spec in enumerate(fmt.expect(section, list, where)):
        w = f"{where}[{i}]"
        names.append(fmt.field(spec, "name", str, w))
        shape = fmt.field(spec, "shape", list, w)
        if len(shape) > fmt.MAX_RANK:
            raise fmt.FormatError(f"{w}.shape: too many dimensions")
        for d in shape:
            if d is not None and (fmt.expect(d, int, f"{w}.shape") < 0):
                raise fmt.FormatError(f"{w}.shape: negative dimension")
        dtype = fmt.field(spec, "dtype", str, w)
        if dtype not in fmt.DTYPES:
            raise fmt.FormatError(f"{w}.dtype: unsupported dtype {dtype!r}")
        types.append(TensorType(tuple(shape), dtype))
    return types, names


def _apply_inputs(model, desc, where):
    types, names = _input_types(fmt.field(desc, "inputs", list, where), f"{where}.inputs")
    if types:
        struct = desc.get("input_struct")
        model._set_input_types(types, names, struct)
        model._invalidate()
        model.trace(training=False)


def rebuild_model(desc: dict, custom_objects=None, where: str = "model"):
    """A new, built model from a description made by ``describe_model`` (weights freshly initialized)."""
    kind = fmt.field(desc, "kind", str, where)
    class_name = fmt.field(desc, "class_name", str, where)
    builtins = builtin_layers()
    if class_name not in builtins and builtin_class(class_name) is not None:    # (kxla.distillation's ...)
        builtins = builtin_layers()
    rebuild = {"sequential": _rebuild_sequential, "functional": _rebuild_functional,
               "subclassed": _rebuild_subclassed}.get(kind)
    if rebuild is None:
        raise fmt.FormatError(f"{where}.kind: unknown model kind {kind!r}")
    try:
        return rebuild(desc, class_name, custom_objects, builtins, where)
    except (fmt.FormatError, UnknownObjectError):
        raise
    except RecursionError:
        raise fmt.FormatError(f"{where}: the model description is nested too deeply") from None
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild the model: {type(e).__name__}: {e}") from e


def _name_and_trainable(desc: dict, where: str) -> tuple:
    return fmt.field(desc, "name", str, where), fmt.field(desc, "trainable", bool, where, default=True)


def _rebuild_sequential(desc, class_name, custom_objects, builtins, where):
    from . import Sequential
    name, trainable = _name_and_trainable(desc, where)
    cls = lookup(class_name, "model class", custom_objects, builtins, base=Sequential)
    model = cls(name=name, trainable=trainable)
    for i, entry in enumerate(fmt.field(desc, "layers", list, where)):
        model.add(build_layer(entry, custom_objects, f"{where}.layers[{i}]"), rebuild=False)
    _apply_inputs(model, desc, where)
    return model


def _rebuild_subclassed(desc, class_name, custom_objects, builtins, where):
    from . import Model
    name, _ = _name_and_trainable(desc, where)
    cls = lookup(class_name, "model class", custom_objects, builtins, base=Model)
    config = fmt.field(desc, "config", dict, where)
    try:
        model = cls.from_config(dict(config))
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild model {name!r} ({class_name}) from its "
                              f"config: {type(e).__name__}: {e}. A subclassed model needs get_config() "
                              "(and from_config() if its __init__ needs more)") from e
    _apply_inputs(model, desc, where)
    return model


def _rebuild_functional(desc, class_name, custom_objects, builtins, where):
    from . import Model
    name, trainable = _name_and_trainable(desc, where)
    cls = lookup(class_name, "model class", custom_objects, builtins, base=Model)
    layers = {}
    for i, entry in enumerate(fmt.field(desc, "layers", list, where)):
        layer = build_layer(entry, custom_objects, f"{where}.layers[{i}]")
        if layer.name in layers:
            raise fmt.FormatError(f"{where}.layers[{i}]: duplicate layer name {layer.name!r}")
        layers[layer.name] = layer
    env = {}
    for k, lname in enumerate(fmt.field(desc, "input_layers", list, where)):
        layer = layers.get(fmt.expect(lname, str, f"{where}.input_layers[{k}]"))
        if layer is None or not hasattr(layer, "output") or not hasattr(layer, "batch_shape"):
            raise fmt.FormatError(f"{where}.input_layers[{k}]: {lname!r} is not an input layer of the model")
        env[("i", k)] = layer.output
    for n, node in enumerate(fmt.field(desc, "nodes", list, where)):
        _replay_node(node, n, layers, env, f"{where}.nodes[{n}]")
    inputs = _dec_tree(desc.get("input_tree"), env, f"{where}.input_tree")
    outputs = _dec_tree(desc.get("outputs"), env, f"{where}.outputs")
    try:
        return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable)
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild functional model {name!r}: "
                              f"{type(e).__name__}: {e}") from e


def _replay_node(node: dict, n: int, layers: dict, env: dict, w: str) -> None:
    """Call one described node (a layer or an op) on the tensors in ``env``; its outputs join ``env``."""
    from .functional import tensor_leaves
    args = _dec_tree(fmt.field(node, "args", (list, dict), w), env, f"{w}.args")
    kwargs = _dec_tree(fmt.field(node, "kwargs", dict, w), env, f"{w}.kwargs")
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise fmt.FormatError(f"{w}: args must be a list and kwargs a map")
    if "layer" in node:
        lname = fmt.field(node, "layer", str, w)
        if lname not in layers:
            raise fmt.FormatError(f"{w}: calls layer {lname!r}, which the file does not define")
        fn, label = layers[lname], f"layer {lname!r}"
        call = lambda: fn(*args, **kwargs)      # noqa: E731
    else:
        op = fmt.field(node, "op", str, w)
        attrs = fmt.field(node, "attrs", dict, w)
        from ..ir import has_op
        from ..ops.core import apply
        if not has_op(op):
            raise UnknownObjectError(f"Unknown op {op!r} in {w}: it is not registered (define it "
                                     "with kxla.ops.defop before loading)")
        label = f"op {op!r}"
        call = lambda: apply(op, *args, **attrs)   # noqa: E731
    try:
        out = call()
    except (fmt.FormatError, UnknownObjectError):
        raise
    except Exception as e:
        raise fmt.FormatError(f"{w}: calling {label} failed: {type(e).__name__}: {e}") from e
    outs = tensor_leaves(out)
    if len(outs) != fmt.field(node, "n_outputs", int, w):
        raise fmt.FormatError(f"{w}: {label} produced {len(outs)} outputs, the file says {node['n_outputs']}")
    for j, t in enumerate(outs):
        env[("n", n, j)] = t
