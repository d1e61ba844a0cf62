"""Models in Keras 3's config format, both ways: each model kind writes and rebuilds its own description.

``Sequential.get_config()`` is Keras's ``{"name", "trainable", "dtype",
"layers": [entries], "build_input_shape"}``. A functional config is Keras's:
every layer once with its ``inbound_nodes`` (one per call: ``{"args",
"kwargs"}`` with tensors written as ``{"class_name": "__keras_tensor__",
"config": {"shape", "dtype", "keras_history": [layer, node, index]}}``), then
``input_layers`` and ``output_layers``. Rebuilding calls each layer on the
tensors its inbound nodes name, in dependency order, so configs written by
Keras and by kxla load the same way. Direct ``kxla.ops`` calls between layers
are Keras ``Operation`` entries (``kxla.serialization.keras_ops``). Layer
entries are read and written by ``kxla.serialization.keras_entries``; this
module is the model kinds' half (``Model._keras_entry`` / ``_from_keras_entry``),
plus the compile config (``get_compile_config`` / ``compile_from_config``).
"""
from __future__ import annotations

import jax

from .. import object_registration as registry
from ..serialization.keras_entries import deserialize_entry, from_config, layer_config, serialize_layer_entry
from ..serialization.serialization_lib import _to_keras

__all__ = ["model_entry", "model_from_entry", "sequential_config", "sequential_from_config", "functional_config",
           "functional_from_config", "model_build_config", "compile_config", "compile_from_config"]


def model_build_config(model):
    """Keras's ``build_config`` of a model: its input shape(s), or None while they are unknown."""
    types = getattr(model, "_input_types", None)
    if not types:
        return None
    shapes = [list(t.shape) for t in types]
    return {"input_shape": shapes[0] if len(shapes) == 1 else shapes}


def _model_class(model):
    from . import Model, Sequential
    if type(model) is Sequential:
        return "keras", "Sequential"
    if type(model) is Model and model._functional:
        return "keras.src.models.functional", "Functional"
    from ..serialization.serialization_lib import _builtin_module
    return _builtin_module(type(model)), type(model).__name__       # keras.distillation's Distiller


def model_entry(model) -> dict:
    """``{"module", "class_name", "config", "registered_name"[, "build_config"]}`` of a model (any kind)."""
    from . import Sequential
    module, class_name = _model_class(model)
    if isinstance(model, Sequential):
        config = sequential_config(model)
    elif model._functional:
        config = functional_config(model)
    else:
        config = _to_keras(model.get_config())
    entry = {"module": module, "class_name": class_name, "config": config,
             "registered_name": registry.registered_name(type(model))}
    build = model_build_config(model)
    if build is not None:
        entry["build_config"] = build
    return entry


def model_from_entry(cls, entry: dict, custom_objects=None, safe_mode=True, where="config"):
    """The model of class ``cls`` an entry describes: Sequential, functional, or a subclass's config."""
    from . import Sequential
    config = entry.get("config", {})
    if issubclass(cls, Sequential):
        return sequential_from_config(cls, config, custom_objects, safe_mode, where)
    if isinstance(config, dict) and "input_layers" in config:
        return functional_from_config(cls, config, custom_objects, safe_mode, where)
    model = from_config(cls, layer_config(cls, config, custom_objects, safe_mode, where), custom_objects)
    build = entry.get("build_config") or {}
    if build.get("input_shape") is not None and not model.built:
        shape = build["input_shape"]
        model.build([tuple(s) for s in shape] if shape and isinstance(shape[0], list) else tuple(shape))
    return model


def sequential_config(model) -> dict:
    """Keras 3's Sequential config: the layers' entries, an InputLayer entry first when the input is known."""
    from . import InputLayer
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
    from ..serialization.keras_ops import encode_constant
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
        if record.layer is None and record.op is None and (record.attrs or {}).get("remat"):
            raise ValueError(f"Model {model.name!r}: a kxla.remat(...) call (or an Operation created in a "
                             "RematScope) between layers has no Keras 3 config form; call it inside a layer's call()")
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
    from ..serialization.keras_ops import op_entry, op_name_base
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


# -- reading -------------------------------------------------------------------------------------
def sequential_from_config(cls, config, custom_objects=None, safe_mode=True, where="config"):
    """A Sequential (or subclass) from Keras's ``{"name", "layers", "build_input_shape"?}`` config."""
    from . import InputLayer
    from ..layers.core.input_layer import Input
    layers = []
    for i, entry in enumerate(config.get("layers", [])):
        if isinstance(entry, dict) and entry.get("class_name") == "InputLayer":
            spec = layer_config(InputLayer, entry["config"], custom_objects, safe_mode, f"{where}.layers[{i}]")
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
            from ..serialization.serialization_lib import deserialize_keras_object
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
    from .functional import tensor_leaves
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
    from . import InputLayer
    from ..serialization.keras_ops import is_op_entry, op_from_entry
    created, pending = {}, []
    for i, entry in enumerate(config["layers"]):
        name = entry.get("name") or entry["config"]["name"]
        w = f"{where}.layers[{i}] ({name!r})"
        if entry.get("class_name") == "InputLayer":
            spec = layer_config(InputLayer, entry["config"], custom_objects, safe_mode, w)
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


# -- compile config ----------------------------------------------------------------------------
def compile_config(model) -> dict | None:
    """Keras's ``get_compile_config()`` for a compiled kxla model (None when not compiled)."""
    from ..serialization.serialization_lib import serialize_keras_object
    if not getattr(model, "compiled", False):
        return None
    return {"optimizer": serialize_keras_object(model.optimizer),
            "loss": serialize_keras_object(getattr(model, "_loss_spec", None)),
            "loss_weights": serialize_keras_object(getattr(model, "_loss_weights_spec", None)),
            "metrics": serialize_keras_object(getattr(model, "_metrics_spec", None)),
            "weighted_metrics": serialize_keras_object(getattr(model, "_weighted_metrics_spec", None)),
            "run_eagerly": False, "steps_per_execution": int(getattr(model, "steps_per_execution", 1)),
            "jit_compile": True}


def skips_compile(model) -> bool:
    """Keras's rule: a model class overriding ``compile()`` but not ``compile_from_config()`` is loaded
    uncompiled, with Keras's warning (its ``compile`` may not take the saved arguments)."""
    import warnings
    from . import Model
    custom = type(model).compile is not Model.compile and \
        type(model).compile_from_config is Model.compile_from_config
    if custom:
        warnings.warn("`compile()` was not called as part of model loading because the model's `compile()` "
                      "method is custom. All subclassed Models that have `compile()` overridden should also "
                      "override `get_compile_config()` and `compile_from_config(config)`. Alternatively, you "
                      "can call `compile()` manually after loading.", stacklevel=3)
    return custom


def compile_from_config(model, config: dict, custom_objects, where):
    """Compile ``model`` as a Keras compile config says (FormatError naming ``where`` when it cannot)."""
    from ..serialization.serialization_lib import deserialize_keras_object
    from ..serialization.values import FormatError
    if skips_compile(model):
        return
    try:
        kwargs = {k: deserialize_keras_object(config.get(k), custom_objects, where=f"{where}: compile_config.{k}")
                  for k in ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
        model.compile(steps_per_execution=int(config.get("steps_per_execution") or 1),
                      **{k: v for k, v in kwargs.items() if v is not None})
    except (FormatError, registry.UnknownObjectError):
        raise
    except Exception as e:
        raise FormatError(f"{where}: could not compile the model as saved: {type(e).__name__}: {e}") from e
