"""``save_model`` / ``load_model``: a whole model — architecture, weights, optimizer, compile config — in one file.

The payload of a ``kxla.model`` file (see ``kxla.saving.format`` for the container)::

    {"kxla_version": "0.1.0",
     "ir": <IR text of the inference graph>, "ir_training": <IR text of the training graph>,
     "model": <model description, below>,
     "weights": [<weight entries, see weights_io>],
     "optimizer": null | {"class_name", "config", "param_keys": [...], "state": [{"key": [...], <tensor>}]},
     "compile": null | {"loss", "loss_weights", "metrics", "weighted_metrics", "steps_per_execution", "passes"}}

A model description has ``kind``, ``class_name``, ``name``, ``trainable``,
``inputs`` (``[{"name", "shape", "dtype"}]``) and, per kind:

  * ``sequential``: ``layers`` — ``[{"class_name", "config"}]`` in order;
  * ``functional``: ``layers`` (every layer once, shared ones too), ``input_layers``
    (names, in flat input order), ``input_tree``, ``nodes`` and ``outputs``. Each
    node is one call recorded while the model was built: ``{"layer": name}`` or
    ``{"op": name, "attrs": {...}}`` for a direct ``kxla.ops`` call, plus its
    ``args`` / ``kwargs`` with tensors written as ``{"__ref__": ["i", k]}`` (model
    input k) or ``{"__ref__": ["n", node, output]}`` (an earlier node's output);
  * ``subclassed``: ``config`` (the model's ``get_config()``) and ``input_struct``.

A layer that is itself a model is stored as ``{"class_name", "model": <description>}``.
Loading rebuilds the model from these descriptions through the name registry
(``kxla.saving.registry``) — it never executes code from the file — then
assigns the weights, recompiles from the compile config and restores the
optimizer state, so ``fit`` continues exactly where it stopped.
"""
from __future__ import annotations

import contextlib
import math
import os
import threading
import warnings

import numpy as np

from . import format as fmt
from .compile_io import check_optimizer_config, compile_arguments, compile_section
from .ir_check import check_stored_ir
from .registry import CustomObjectScope, UnknownObjectError, builtin_layers, get_registered_name, lookup
from .weights_io import WeightsMismatchError, assign_weights, decode_weight_table, weight_table

__all__ = ["save_model", "load_model", "read_model_file", "describe_model", "serialize_layer", "deserialize_layer"]


class _Unserializable(TypeError):
    pass


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


def _plain(obj, where: str):
    try:
        return fmt.to_plain(obj, where)
    except TypeError as e:
        raise _Unserializable(str(e)) from None


# -- describing models --------------------------------------------------------------------
def _model_kind(model) -> str:
    from ..models import Sequential
    if isinstance(model, Sequential):
        return "sequential"
    return "functional" if getattr(model, "_functional", False) else "subclassed"


def _class_name(obj_type, kind: str | None = None) -> str:
    from ..models import Model
    if obj_type is Model and kind == "functional":
        return "Functional"
    return get_registered_name(obj_type)


def serialize_layer(layer) -> dict:
    """``{"class_name", "config"}`` (or ``{"class_name", "model"}`` for a model used as a layer)."""
    from ..models import Model
    if isinstance(layer, Model):
        return {"class_name": _class_name(type(layer), _model_kind(layer)), "model": describe_model(layer)}
    return {"class_name": _class_name(type(layer)),
            "config": _plain(layer.get_config(), f"the config of layer {layer.name!r}")}


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
        from ..models.functional import tensor_leaves
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


# -- rebuilding models ------------------------------------------------------------------
_guard_lock = threading.RLock()
_guard_local = threading.local()


@contextlib.contextmanager
def _weight_budget(max_elements: int):
    """While rebuilding, refuse layers that create more weight elements than the file holds.

    A hostile config (``Dense(units=10**12)``) would otherwise make a layer
    allocate far beyond the file's size before any check could run.
    """
    from ..layers.layer import Layer
    with _guard_lock:
        outer = getattr(_guard_local, "budget", None)
        _guard_local.budget = [max_elements]
        original = Layer.add_weight
        installed = getattr(original, "_kxla_budget_guard", False)
        if not installed:
            def add_weight(self, shape=None, *args, **kwargs):
                budget = getattr(_guard_local, "budget", None)
                if budget is not None:
                    size = math.prod(int(d) for d in (shape or ()))
                    budget[0] -= size
                    if budget[0] < 0:
                        raise fmt.FormatError(
                            f"layer {self.name!r} creates a weight of shape {tuple(shape)}: the model described "
                            "in the file needs more weight memory than the file holds")
                return original(self, shape, *args, **kwargs)
            add_weight._kxla_budget_guard = True
            add_weight.__wrapped__ = original
            add_weight.__doc__ = original.__doc__
            Layer.add_weight = add_weight
        try:
            yield
        finally:
            if not installed:
                Layer.add_weight = original
            _guard_local.budget = outer


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


def deserialize_layer(entry, custom_objects=None, where: str = "layer"):
    """A layer (or model used as a layer) from ``{"class_name", "config"}`` as ``serialize_layer`` wrote it.

    The class is found through the name registry (``custom_objects``, any open
    ``custom_object_scope``, registered names, kxla's built-in layers) and must
    be a ``Layer`` subclass; wrappers (``TimeDistributed``, ``Bidirectional``)
    rebuild their inner layers with this.

    Raises:
      UnknownObjectError: the class name is not found.
      FormatError: the entry is malformed or the layer cannot be rebuilt from its config.
    """
    from .registry import CustomObjectScope
    with CustomObjectScope(custom_objects):
        return _build_layer(entry, None, where)


def _build_layer(entry, custom_objects, where: str):
    from ..layers.layer import Layer
    class_name = fmt.field(entry, "class_name", str, where)
    if "model" in entry:
        return rebuild_model(fmt.field(entry, "model", dict, where), custom_objects, f"{where}.model")
    config = fmt.field(entry, "config", dict, where)
    cls = lookup(class_name, "layer class", custom_objects, builtin_layers(), base=Layer)
    try:
        return cls.from_config(dict(config))
    except (fmt.FormatError, UnknownObjectError):
        raise
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild layer {config.get('name', '?')!r} ({class_name}) "
                              f"from its config: {type(e).__name__}: {e}") from e


def _apply_inputs(model, desc, where):
    types, names = _input_types(fmt.field(desc, "inputs", list, where), f"{where}.inputs")
    if types:
        struct = desc.get("input_struct")
        model._set_input_types(types, names, struct)
        model._invalidate()
        model.trace(training=False)


def rebuild_model(desc: dict, custom_objects=None, where: str = "model"):
    """A new, built model from a description made by ``describe_model`` (weights freshly initialized)."""
    from ..models import Model, Sequential
    from ..models.functional import tensor_leaves
    kind = fmt.field(desc, "kind", str, where)
    class_name = fmt.field(desc, "class_name", str, where)
    name = fmt.field(desc, "name", str, where)
    trainable = fmt.field(desc, "trainable", bool, where, default=True)
    builtins = builtin_layers()
    try:
        if kind == "sequential":
            cls = lookup(class_name, "model class", custom_objects, builtins, base=Sequential)
            model = cls(name=name, trainable=trainable)
            for i, entry in enumerate(fmt.field(desc, "layers", list, where)):
                model.add(_build_layer(entry, custom_objects, f"{where}.layers[{i}]"), rebuild=False)
            _apply_inputs(model, desc, where)
            return model
        if kind == "functional":
            cls = lookup(class_name, "model class", custom_objects, builtins, base=Model)
            layers = {}
            for i, entry in enumerate(fmt.field(desc, "layers", list, where)):
                layer = _build_layer(entry, custom_objects, f"{where}.layers[{i}]")
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
                w = f"{where}.nodes[{n}]"
                args = _dec_tree(fmt.field(node, "args", (list, dict), w), env, f"{w}.args")
                kwargs = _dec_tree(fmt.field(node, "kwargs", dict, w), env, f"{w}.kwargs")
                if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
                    raise fmt.FormatError(f"{w}: args must be a list and kwargs a map")
                if "layer" in node:
                    lname = fmt.field(node, "layer", str, w)
                    if lname not in layers:
                        raise fmt.FormatError(f"{w}: calls layer {lname!r}, which the file does not define")
                    fn, label = layers[lname], f"layer {lname!r}"
                    call = lambda fn=fn: fn(*args, **kwargs)      # noqa: E731
                else:
                    op = fmt.field(node, "op", str, w)
                    attrs = fmt.field(node, "attrs", dict, w)
                    from ..ir import has_op
                    from ..ops.core import apply
                    if not has_op(op):
                        raise UnknownObjectError(f"Unknown op {op!r} in {w}: it is not registered (define it "
                                                 "with kxla.ops.defop before loading)")
                    label = f"op {op!r}"
                    call = lambda op=op, attrs=attrs: apply(op, *args, **attrs)   # noqa: E731
                try:
                    out = call()
                except (fmt.FormatError, UnknownObjectError):
                    raise
                except Exception as e:
                    raise fmt.FormatError(f"{w}: calling {label} failed: {type(e).__name__}: {e}") from e
                outs = tensor_leaves(out)
                if len(outs) != fmt.field(node, "n_outputs", int, w):
                    raise fmt.FormatError(f"{w}: {label} produced {len(outs)} outputs, the file says "
                                          f"{node['n_outputs']}")
                for j, t in enumerate(outs):
                    env[("n", n, j)] = t
            inputs = _dec_tree(desc.get("input_tree"), env, f"{where}.input_tree")
            outputs = _dec_tree(desc.get("outputs"), env, f"{where}.outputs")
            try:
                model = cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable)
            except Exception as e:
                raise fmt.FormatError(f"{where}: could not rebuild functional model {name!r}: "
                                      f"{type(e).__name__}: {e}") from e
            return model
        if kind == "subclassed":
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
    except (fmt.FormatError, UnknownObjectError):
        raise
    except RecursionError:
        raise fmt.FormatError(f"{where}: the model description is nested too deeply") from None
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild the model: {type(e).__name__}: {e}") from e
    raise fmt.FormatError(f"{where}.kind: unknown model kind {kind!r}")


# -- optimizer ------------------------------------------------------------------------------
def _flatten_state(tree, prefix=()):
    if isinstance(tree, dict):
        for k, v in tree.items():
            if not isinstance(k, str):
                raise _Unserializable(f"optimizer state key {k!r} is not a string")
            yield from _flatten_state(v, prefix + (k,))
        return
    if tree is None or not (hasattr(tree, "shape") or isinstance(tree, (int, float, np.generic))):
        raise _Unserializable(f"optimizer state entry {'/'.join(prefix)} is a {type(tree).__name__}, not an array")
    yield list(prefix), np.asarray(tree)


def _optimizer_section(model, include_state: bool):
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    try:
        section = {"class_name": get_registered_name(type(opt)),
                   "config": _plain(opt.get_config(), "the optimizer config")}
    except _Unserializable as e:
        warnings.warn(f"The optimizer is not saved ({e})", stacklevel=3)
        return None
    state = getattr(model, "_opt_state", None)
    if include_state and state is not None:
        try:
            section["state"] = [{"key": key, **fmt.encode_tensor(arr)} for key, arr in _flatten_state(state)]
        except _Unserializable as e:
            raise TypeError(f"cannot save the optimizer state ({e}); pass include_optimizer=False") from None
        keys = getattr(model, "_opt_keys", None)
        section["param_keys"] = list(keys) if keys is not None else []
    return section


def _build_optimizer(section, custom_objects, where: str):
    from .. import optimizers
    class_name = fmt.field(section, "class_name", str, where)
    config = fmt.field(section, "config", dict, where)
    table = dict(optimizers.ALL_OPTIMIZERS)
    table.update({cls.__name__: cls for cls in optimizers.ALL_OPTIMIZERS.values()})
    cls = lookup(class_name, "optimizer", custom_objects, table, base=optimizers.Optimizer)
    check_optimizer_config(config, where)
    try:
        return optimizers.deserialize({"class_name": class_name, "config": dict(config)},
                                      custom_objects={class_name: cls})
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not rebuild optimizer {class_name}: {type(e).__name__}: {e}") from e


def _restore_optimizer_state(model, section, name_map: dict, where: str) -> bool:
    import jax
    import jax.numpy as jnp
    entries = fmt.field(section, "state", list, where)
    tree: dict = {}
    for i, entry in enumerate(entries):
        w = f"{where}.state[{i}]"
        key = fmt.field(entry, "key", list, w)
        if not key or len(key) > 8:
            raise fmt.FormatError(f"{w}.key: expected 1 to 8 names")
        key = [fmt.expect(k, str, f"{w}.key") for k in key]
        if len(key) > 1:
            key[-1] = name_map.get(key[-1], key[-1])
        node = tree
        for k in key[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise fmt.FormatError(f"{w}.key: {key} conflicts with another entry")
        if key[-1] in node:
            raise fmt.FormatError(f"{w}.key: duplicate entry {key}")
        node[key[-1]] = fmt.decode_tensor(entry, w)
    traced = model.trace(training=True)
    params, _, _ = model._split(traced)
    specs = {v.ir_name: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in params}
    expected = jax.eval_shape(model.optimizer.init, specs)
    exp_leaves, exp_def = jax.tree_util.tree_flatten(expected)
    got_leaves, got_def = jax.tree_util.tree_flatten(tree)
    if exp_def != got_def or any(tuple(a.shape) != tuple(b.shape) or np.dtype(a.dtype) != np.dtype(b.dtype)
                                 for a, b in zip(exp_leaves, got_leaves)):
        warnings.warn("The optimizer state in the file does not fit this model's trainable weights; the "
                      "optimizer starts fresh", stacklevel=4)
        return False
    model._opt_state = jax.tree_util.tree_map(lambda a: jnp.array(a), tree)
    model._opt_keys = tuple(sorted(specs))
    return True


# -- public API --------------------------------------------------------------------------
def _version() -> str:
    from .. import __version__
    return __version__


def model_payload(model, include_optimizer: bool = True) -> dict:
    """The payload dict ``save_model`` writes (see the module docstring)."""
    try:
        desc = describe_model(model)
    except _Unserializable as e:
        raise TypeError(f"cannot save model {model.name!r}: {e}") from None
    ir = ir_training = None
    if getattr(model, "_input_types", None) is not None:
        ir = str(model.to_ir(training=False))
        try:
            ir_training = str(model.to_ir(training=True))
        except Exception:
            ir_training = None
    return {"kxla_version": _version(), "ir": ir, "ir_training": ir_training, "model": desc,
            "weights": weight_table(model),
            "optimizer": _optimizer_section(model, include_optimizer),
            "compile": compile_section(model)}


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Save ``model`` to one ``.kxla`` file (atomically; see the module docstring for the contents).

    Arguments:
      model: a kxla Model (Sequential, functional, or a registered subclass).
      filepath: destination path, conventionally ``*.kxla``.
      overwrite: when False, refuse to replace an existing file (FileExistsError).
      include_optimizer: save the optimizer's state (slots, iteration count).

    Raises:
      TypeError: something in the model cannot be written as plain data (the message says what).
    """
    if os.fspath(filepath).endswith(".keras"):          # Keras 3's archive (kxla.saving.keras_archive)
        from .keras_archive import save_keras_archive
        return save_keras_archive(model, filepath, overwrite, include_optimizer)
    if os.fspath(filepath).endswith(".h5"):             # Keras's legacy full-model file (keras_legacy_h5)
        from .keras_legacy_h5 import save_legacy_h5
        return save_legacy_h5(model, filepath, overwrite, include_optimizer)
    data = fmt.pack_file(fmt.MODEL_FORMAT, model_payload(model, include_optimizer))
    fmt.write_atomic(filepath, data, overwrite=overwrite)


def read_model_file(filepath) -> dict:
    """The validated top-level payload of a model file, without rebuilding anything.

    Strings that tools read (``ir``, ``ir_training``, ``kxla_version``) are
    type-checked; ``__version__`` holds the file's format version.
    """
    path = os.fspath(filepath)
    payload = fmt.read_file(path, fmt.MODEL_FORMAT)
    for key in ("ir", "ir_training"):
        fmt.field(payload, key, (str, type(None)), path, default=None)
    fmt.field(payload, "kxla_version", str, path)
    fmt.field(payload, "model", dict, path)
    fmt.field(payload, "weights", list, path)
    for key in ("optimizer", "compile"):
        fmt.field(payload, key, (dict, type(None)), path, default=None)
    return payload


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """Load a model saved with ``model.save`` / ``save_model``.

    The model is rebuilt from its description through the name registry (no
    code from the file runs), its weights are assigned, and with
    ``compile=True`` it is compiled as it was and the optimizer state restored,
    so ``fit`` continues where the saved model stopped.

    Arguments:
      filepath: path of a ``.kxla`` model file.
      custom_objects: ``{name: class or function}`` for custom layers, models,
        losses, metrics or optimizers that are not registered.
      compile: recompile from the saved compile config (when there is one).
      safe_mode: for ``.keras`` archives: refuse a Lambda's marshalled bytecode (True, as Keras).

    Returns:
      The model.

    Raises:
      FormatError: the file is not a valid kxla model file (truncated, corrupted, malformed).
      UnknownObjectError: the file names a class or function that cannot be found (the message names it).
    """
    path = os.fspath(filepath)
    if path.endswith(".keras"):                          # Keras 3's archive (kxla.saving.keras_archive)
        from .keras_archive import load_keras_archive
        return load_keras_archive(path, custom_objects, compile, safe_mode)
    if path.endswith((".h5", ".hdf5")):                  # Keras's legacy full-model file (keras_legacy_h5)
        from .keras_legacy_h5 import load_legacy_h5_model
        return load_legacy_h5_model(path, custom_objects, compile, safe_mode)
    payload = read_model_file(path)
    with CustomObjectScope(custom_objects):
        return _load(path, payload, custom_objects, compile)


def _load(path: str, payload: dict, custom_objects, compile: bool):
    entries = decode_weight_table(payload["weights"], f"{path}: weights")
    budget = 2 * sum(int(e["array"].size) for e in entries) + (1 << 16)
    with _weight_budget(budget):
        model = rebuild_model(payload["model"], custom_objects, f"{path}: model")
    try:
        pairs = assign_weights(model, entries, path)
    except WeightsMismatchError as e:
        raise fmt.FormatError(f"{path}: the weights do not fit the model the file describes: {e}") from None
    check_stored_ir(model, payload, path)
    if not compile:
        return model
    opt_section = payload.get("optimizer")
    compile_section = payload.get("compile")
    if compile_section is None:
        return model
    where = f"{path}: compile"
    optimizer = _build_optimizer(opt_section, custom_objects, f"{path}: optimizer") if opt_section else "rmsprop"
    kwargs = compile_arguments(compile_section, custom_objects, where)
    try:
        model.compile(optimizer=optimizer, **kwargs)
    except Exception as e:
        raise fmt.FormatError(f"{where}: could not compile the model as saved: {type(e).__name__}: {e}") from e
    if opt_section and "state" in opt_section:
        name_map = {e["path"].replace("/", "."): var.ir_name for var, e in pairs}
        _restore_optimizer_state(model, opt_section, name_map, f"{path}: optimizer")
    return model
