"""Layers and models in Keras 3's config format: entries, Sequential and functional configs, both ways.

A functional config is Keras's: every layer once with its ``inbound_nodes``
(one per call: ``{"args", "kwargs"}`` with tensors written as
``{"class_name": "__keras_tensor__", "config": {"shape", "dtype",
"keras_history": [layer, node, index]}}``), then ``input_layers`` and
``output_layers``. Rebuilding calls each layer on the tensors its inbound
nodes name, in dependency order, so configs written by Keras and by kxla load
the same way. Direct ``kxla.ops`` calls between layers have no Keras form and
raise (the ``.kxla`` format holds them).
"""
from __future__ import annotations

import base64
import inspect

import jax

from . import registry
from .serialization_lib import (NEUTRAL_KEYS, _builtin_module, _resolve_class, _special, _to_keras,
                                fit_config, keras_layer_config)

__all__ = ["serialize_layer_entry", "deserialize_entry", "functional_config", "functional_from_config",
           "sequential_config", "sequential_from_config", "model_build_config"]

# -- writing ------------------------------------------------------------------------------
_KERAS_CLASS_NAMES = {"GroupedQueryAttention": "GroupQueryAttention"}    # the name Keras 3.15 writes


def keras_class_name(cls) -> str:
    name = cls.__name__
    return _KERAS_CLASS_NAMES.get(name, name) if (cls.__module__ or "").startswith("kxla.") else name


def model_build_config(model):
    types = getattr(model, "_input_types", None)
    if not types:
        return None
    shapes = [list(t.shape) for t in types]
    return {"input_shape": shapes[0] if len(shapes) == 1 else shapes}


def _model_class(model):
    from ..models import Model, Sequential
    if type(model) is Sequential:
        return "keras", "Sequential"
    if type(model) is Model and model._functional:
        return "keras.src.models.functional", "Functional"
    return None, type(model).__name__


def serialize_layer_entry(layer) -> dict:
    """``{"module", "class_name", "config", "registered_name"[, "build_config"]}`` for a layer or model."""
    from ..models import Model, Sequential
    reg = registry.registered_name(type(layer))
    if isinstance(layer, Model):
        module, class_name = _model_class(layer)
        if isinstance(layer, Sequential):
            config = sequential_config(layer)
        elif layer._functional:
            config = functional_config(layer)
        else:
            config = _to_keras(layer.get_config())
        entry = {"module": module, "class_name": class_name, "config": config, "registered_name": reg}
        build = model_build_config(layer)
        if build is not None:
            entry["build_config"] = build
        return entry
    return {"module": _builtin_module(type(layer)), "class_name": keras_class_name(type(layer)),
            "config": keras_layer_config(layer), "registered_name": reg}


def sequential_config(model) -> dict:
    from ..models import InputLayer
    entries = [serialize_layer_entry(l) for l in model._layers]
    has_input = any(isinstance(l, InputLayer) for l in model._layers)
    types = model._input_types
    if not has_input and types and len(types) == 1:
        entries.insert(0, {"module": "keras.layers", "class_name": "InputLayer",
                           "config": {"batch_shape": list(types[0].shape), "dtype": types[0].dtype,
                                      "sparse": False, "ragged": False, "name": model._input_names[0],
                                      "optional": False},
                           "registered_name": None})
    config = {"name": model.name, "trainable": model.trainable, "dtype": _to_keras({"dtype": "float32"})["dtype"],
              "layers": entries}
    if types and len(types) == 1:
        config["build_input_shape"] = list(types[0].shape)
    return config


def _tensor_entry(t, history) -> dict:
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(t.shape), "dtype": t.dtype, "keras_history": list(history)}}


def _encode(obj, history: dict, where: str):
    from ..ops.tracing import KerasTensor, Variable
    if isinstance(obj, KerasTensor):
        if id(obj) not in history:
            raise ValueError(f"{where}: a tensor that is not an input or an earlier layer's output")
        if history[id(obj)] is None:                          # an implicit mask (recomputed on loading)
            return None
        return _tensor_entry(obj, history[id(obj)])
    if isinstance(obj, Variable):
        raise ValueError(f"{where}: a weight Variable passed between layers has no Keras config form")
    from .keras_ops import encode_constant
    constant = encode_constant(obj)
    if constant is not None:
        return constant
    if isinstance(obj, (list, tuple)):
        return [_encode(v, history, where) for v in obj]
    if isinstance(obj, dict):
        return {k: _encode(v, history, where) for k, v in obj.items()}
    return _to_keras(obj)


def functional_config(model) -> dict:
    """Keras 3's functional config of ``model`` (layers with inbound nodes, input and output layers)."""
    history = {id(t): (t._input_layer.name, 0, 0) for t in model._inputs_flat}
    nodes: dict[str, list] = {}
    op_entries: list = []
    taken = {layer.name for layer in model._layers}
    for record in model._records:
        if record.layer is None and record.op is None:      # a layer output's mask: Keras passes it implicitly
            for t in record.outputs:
                history[id(t)] = None
            continue
        if record.layer is None:
            op_entries.append(_op_entry(model, record, history, taken))
            continue
        name = record.layer.name
        calls = nodes.setdefault(name, [])
        calls.append({"args": _encode(list(record.args), history, f"layer {name!r}"),
                      "kwargs": _encode(dict(record.kwargs), history, f"layer {name!r}")})
        for j, t in enumerate(record.outputs):
            history[id(t)] = (name, len(calls) - 1, j)
    layers = []
    for layer in model._layers:
        entry = serialize_layer_entry(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = nodes.get(layer.name, [])
        layers.append(entry)
    layers += op_entries

    def ends(struct):
        return jax.tree_util.tree_map(lambda t: list(history[id(t)]), struct, is_leaf=_is_tensor)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": ends(model._input_struct), "output_layers": ends(_as_list(model._outputs))}


def _op_entry(model, record, history: dict, taken: set) -> dict:
    """Keras's entry for a direct op call (``ops.add(a, b)``, ``x * 2``): an Operation with one inbound node."""
    from .keras_ops import op_entry, op_name_base
    base, n = op_name_base(record), 0
    name = base
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    where = f"Model {model.name!r}, op {record.op!r}"
    args = _encode(list(record.args), history, where)
    entry, args, kwargs = op_entry(record, name, args, {}, where)
    entry["name"] = name
    entry["inbound_nodes"] = [{"args": args, "kwargs": kwargs}]
    for j, t in enumerate(record.outputs):
        history[id(t)] = (name, 0, j)
    return entry


def _is_tensor(x):
    from ..ops.tracing import KerasTensor
    return isinstance(x, KerasTensor)


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, tuple) else outputs


# -- reading ---------------------------------------------------------------------------------
def _clean(value, key, custom_objects, safe_mode, where):
    """A Keras config value made ready for a kxla ``__init__``: nested objects rebuilt, policies to names."""
    from .serialization_lib import deserialize_keras_object
    if isinstance(value, list):
        return [_clean(v, key, custom_objects, safe_mode, f"{where}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    if "class_name" not in value:
        return {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in value.items()}
    if value["class_name"] in ("DTypePolicy", "FloatDTypePolicy"):
        return value["config"]["name"]
    special = _special(value, custom_objects, safe_mode, where)
    if special is not None:
        return special
    return deserialize_keras_object(value, custom_objects, safe_mode, where=where)


def _lambda_function(config, safe_mode, where):
    """Keras's marshalled lambda, loaded only when the caller (or enable_unsafe_deserialization) turned safe mode off."""
    from .. import config as kxla_config
    if safe_mode and kxla_config.in_safe_mode() is not False:
        raise ValueError(
            f"{where}: the Lambda layer's function is marshalled Python bytecode. Loading it runs code from the "
            "file, which is refused in safe mode. Pass safe_mode=False (or call "
            "kxla.config.enable_unsafe_deserialization()) if you trust the file, or register the "
            "function with @register_keras_serializable and build the layer with it.")
    import marshal
    import types
    code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    defaults = tuple(config["defaults"]) if config.get("defaults") is not None else None
    closure = tuple(types.CellType(c) for c in config["closure"]) if config.get("closure") else None
    return types.FunctionType(code, {"__builtins__": __builtins__}, code.co_name, defaults, closure)


def _layer_config(cls, config, custom_objects, safe_mode, where) -> dict:
    config = dict(config)
    for key in ("function", "output_shape", "mask"):
        v = config.get(key)
        if isinstance(v, dict) and v.get("class_name") == "__lambda__":
            config[key] = _lambda_function(v["config"], safe_mode, f"{where}.{key}")
    if (type.__getattribute__(cls, "__module__") or "").startswith("kxla."):
        config = {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in config.items()}
        return fit_config(cls, config, where)
    # a user class gets its config as Keras passes it: nested objects stay dicts (its from_config
    # deserializes them), only the dtype policy becomes a name for kxla's Layer
    config = {k: v for k, v in config.items() if not (k in NEUTRAL_KEYS and v == NEUTRAL_KEYS[k])}
    if isinstance(config.get("dtype"), dict) and config["dtype"].get("class_name") in ("DTypePolicy",
                                                                                       "FloatDTypePolicy"):
        config["dtype"] = config["dtype"]["config"]["name"]
    for key in ("activation",):
        v = config.get(key)
        if isinstance(v, dict) and v.get("class_name") == "function":
            config[key] = _clean(v, key, custom_objects, safe_mode, f"{where}.{key}")
    return config


def deserialize_entry(entry: dict, custom_objects=None, safe_mode=True, where="config"):
    """Build the object a ``{"module", "class_name", "config", ...}`` entry describes (layer, model, other)."""
    from ..layers.layer import Layer
    from ..models import Model, Sequential
    class_name = entry["class_name"]
    where = f"{where} ({class_name})"
    if class_name == "Functional" or (class_name == "Model" and "input_layers" in entry.get("config", {})):
        cls = Model
    else:
        cls = _resolve_class(entry, custom_objects, where)
    config = entry.get("config", {})
    if isinstance(cls, type) and issubclass(cls, Sequential):
        return sequential_from_config(cls, config, custom_objects, safe_mode, where)
    if isinstance(cls, type) and issubclass(cls, Model) and isinstance(config, dict) and "input_layers" in config:
        return functional_from_config(cls, config, custom_objects, safe_mode, where)
    if isinstance(cls, type) and issubclass(cls, Model):
        model = _from_config(cls, _layer_config(cls, config, custom_objects, safe_mode, where), custom_objects)
        build = entry.get("build_config") or {}
        if build.get("input_shape") is not None and not model.built:
            shape = build["input_shape"]
            model.build([tuple(s) for s in shape] if shape and isinstance(shape[0], list) else tuple(shape))
        return model
    if isinstance(cls, type) and issubclass(cls, Layer):
        return _from_config(cls, _layer_config(cls, config, custom_objects, safe_mode, where), custom_objects)
    if not isinstance(cls, type):
        return cls
    cleaned = {k: _clean(v, k, custom_objects, safe_mode, f"{where}.{k}") for k, v in config.items()}
    if (cls.__module__ or "").startswith("kxla."):
        cleaned = fit_config(cls, cleaned, where) if "from_config" not in cls.__dict__ else cleaned
    return _from_config(cls, cleaned, custom_objects)


def _from_config(cls, config, custom_objects):
    method = getattr(cls, "from_config", None)
    if method is None:
        return cls(**config)
    if "custom_objects" in inspect.signature(method).parameters:
        return method(config, custom_objects=custom_objects)
    return method(config)


def sequential_from_config(cls, config, custom_objects=None, safe_mode=True, where="config"):
    """A Sequential (or subclass) from Keras's ``{"name", "layers", "build_input_shape"?}`` config."""
    from ..models import InputLayer
    from ..layers.core.input_layer import Input
    layers = []
    for i, entry in enumerate(config.get("layers", [])):
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            spec = _layer_config(InputLayer, entry["config"], custom_objects, safe_mode, f"{where}.layers[{i}]")
            layers.append(Input(batch_shape=spec.get("batch_shape"), dtype=spec.get("dtype"),
                                name=spec.get("name"), shape=spec.get("shape")))
        else:
            layers.append(deserialize_entry(entry, custom_objects, safe_mode, f"{where}.layers[{i}]"))
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    for layer in layers:
        model.add(layer)
    shape = config.get("build_input_shape")
    if shape is not None and model._input_types is None:
        model.build(tuple(shape))
    return model


def _decode(obj, outputs: dict, where: str):
    if isinstance(obj, (list, tuple)):
        return [_decode(v, outputs, where) for v in obj]
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            layer, node, index = obj["config"]["keras_history"]
            return outputs[(layer, node)][index]
        if "class_name" in obj:
            from .serialization_lib import deserialize_keras_object
            return deserialize_keras_object(obj, where=where)
        return {k: _decode(v, outputs, where) for k, v in obj.items()}
    return obj


def _ready(obj, outputs: dict) -> bool:
    if isinstance(obj, (list, tuple)):
        return all(_ready(v, outputs) for v in obj)
    if isinstance(obj, dict):
        if obj.get("class_name") == "__keras_tensor__":
            layer, node, _ = obj["config"]["keras_history"]
            return (layer, node) in outputs
        return all(_ready(v, outputs) for v in obj.values())
    return True


def _legacy_node(node) -> bool:
    """A Keras 2 (tf.keras) inbound node: ``[[layer, node_index, tensor_index(, kwargs)], ...]``."""
    return isinstance(node, list) and bool(node) and all(
        isinstance(t, list) and len(t) in (3, 4) and isinstance(t[0], str) for t in node)


def _node_ready(node, outputs: dict) -> bool:
    if _legacy_node(node):
        return all((t[0], t[1]) in outputs for t in node)
    return _ready(node, outputs)


def _call_node(layer, node, outputs, where):
    from ..models.functional import tensor_leaves
    if _legacy_node(node):                          # Keras 2: the tensors (one, or a list), kwargs of the last
        tensors = [outputs[(t[0], t[1])][t[2]] for t in node]
        kwargs = _decode(node[-1][3] if len(node[-1]) == 4 else {}, outputs, where)
        return tensor_leaves(layer(tensors[0] if len(tensors) == 1 else tensors, **kwargs))
    if isinstance(node, list):
        raise ValueError(f"{where}: malformed inbound node {node!r}")
    args = _decode(node.get("args", []), outputs, where)
    kwargs = _decode(node.get("kwargs", {}), outputs, where)
    kwargs = {k: v for k, v in kwargs.items() if not (k == "mask" and v is None)}
    return tensor_leaves(layer(*args, **kwargs))


def functional_from_config(cls, config, custom_objects=None, safe_mode=True, where="config", make_layer=None,
                           make_input=None):
    """A functional model from Keras's config.

    ``make_layer(entry)`` / ``make_input(name, spec)`` override how layers and input layers are made (cloning).
    """
    from ..models import InputLayer
    from .keras_ops import is_op_entry, op_from_entry
    created, pending = {}, []
    for i, entry in enumerate(config["layers"]):
        name = entry.get("name") or entry["config"]["name"]
        w = f"{where}.layers[{i}] ({name!r})"
        if entry.get("class_name") == "InputLayer":
            spec = _layer_config(InputLayer, entry["config"], custom_objects, safe_mode, w)
            created[name] = make_input(name, spec) if make_input else InputLayer(**spec)
        elif is_op_entry(entry):                    # a Keras Operation (ops.add(a, b) between layers)
            created[name] = op_from_entry(entry, w)
        else:
            created[name] = make_layer(entry) if make_layer else \
                deserialize_entry(entry, custom_objects, safe_mode, w)
        pending.append((name, list(entry.get("inbound_nodes", []))))
    outputs = {(n, 0): [l.output] for n, l in created.items() if isinstance(l, InputLayer)}
    counts = {n: 0 for n in created}
    progress = True
    while progress:
        progress = False
        for name, nodes in pending:
            while nodes and _node_ready(nodes[0], outputs):
                outputs[(name, counts[name])] = _call_node(created[name], nodes.pop(0), outputs, f"{where}: {name!r}")
                counts[name] += 1
                progress = True
    stuck = [name for name, nodes in pending if nodes]
    if stuck:
        raise ValueError(f"{where}: the functional config's inbound nodes of {stuck} refer to tensors that no "
                         "layer produces")

    def ends(struct):
        if isinstance(struct, (list, tuple)) and len(struct) == 3 and isinstance(struct[0], str) \
                and isinstance(struct[1], int):
            return outputs[(struct[0], struct[1])][struct[2]]
        if isinstance(struct, dict):
            return {k: ends(v) for k, v in struct.items()}
        return [ends(v) for v in struct]
    return cls(inputs=ends(config["input_layers"]), outputs=ends(config["output_layers"]),
               name=config.get("name"), trainable=config.get("trainable", True))
