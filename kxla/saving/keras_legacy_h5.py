"""Keras's legacy full-model ``.h5`` files (``model.save("m.h5")`` in Keras 3, and tf.keras), both ways.

The file is one HDF5 file: root attributes ``model_config`` (the model's
config as JSON, layer entries as ``{"class_name", "config", "name",
"inbound_nodes"}`` without Keras 3's ``module`` / ``registered_name``),
``training_config`` (loss, metrics, ... and ``optimizer_config`` when the
model was compiled), ``keras_version`` and ``backend``; a ``model_weights``
group listing ``layer_names`` with one group per layer whose ``weight_names``
attribute orders its datasets (trainable then non-trainable weights); an
``optimizer_weights`` group (``iteration``, ``learning_rate``, then every
slot of every trainable weight). Like Keras, weights load by position: the
layers that have weights, in order, each with its weights in order.
"""
from __future__ import annotations

import io
import json
import os

import numpy as np

from .files import check_destination, open_regular, write_atomic
from .format import FormatError
from .keras_h5 import _ensure_built, _optimizer_arrays, _text, require_h5py

__all__ = ["is_legacy_h5", "save_legacy_h5", "load_legacy_h5_model", "load_legacy_weights"]


def is_legacy_h5(f) -> bool:
    """True for an open h5py file in the legacy layout (a full model or ``save_weights`` of Keras 2)."""
    return "model_config" in f.attrs or "layer_names" in f.attrs or \
        ("model_weights" in f and "layer_names" in f["model_weights"].attrs)


def _legacy_entry(entry):
    """Keras 3's entry of a layer or model in the legacy form: no ``module``/``registered_name``/build config."""
    if isinstance(entry, list):
        return [_legacy_entry(e) for e in entry]
    if not isinstance(entry, dict) or "class_name" not in entry:
        return entry
    out = {k: v for k, v in entry.items() if k not in ("module", "registered_name", "build_config")}
    if entry.get("registered_name") and entry["registered_name"] != entry["class_name"]:
        out["class_name"] = entry["registered_name"]
    config = out.get("config")
    if isinstance(config, dict) and isinstance(config.get("layers"), list):
        out["config"] = {**config, "layers": [_legacy_entry(e) for e in config["layers"]]}
    elif isinstance(config, dict):
        out["config"] = {k: _legacy_entry(v) if k in ("layer", "backward_layer", "cell") else
                         [_legacy_entry(c) for c in v] if k == "cells" and isinstance(v, list) else v
                         for k, v in config.items()}
    return out


def _training_config(model) -> dict | None:
    from .keras_archive import compile_config
    config = compile_config(model)
    if config is None:
        return None
    optimizer = config.pop("optimizer")
    config = {k: _legacy_object(v) for k, v in config.items()}
    config["optimizer_config"] = {"class_name": optimizer["class_name"], "config": optimizer["config"]}
    return config


def _legacy_object(obj):
    """A serialized loss / metric in the legacy form: ``{"class_name", "config"}``, dtype policies as names."""
    if isinstance(obj, list):
        return [_legacy_object(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if obj.get("class_name") in ("DTypePolicy", "FloatDTypePolicy") and isinstance(obj.get("config"), dict):
        return obj["config"].get("name")
    out = {k: _legacy_object(v) for k, v in obj.items() if k not in ("module", "registered_name")}
    if obj.get("registered_name") and "class_name" in obj and obj["registered_name"] != obj["class_name"]:
        out["class_name"] = obj["registered_name"]
    return out


def _write_subset(group, variables):
    names, used = [], set()
    for var in variables:
        name = str(var.path or var.name)
        while name in used:
            name = f"{name}_"
        used.add(name)
        names.append(name)
        group.create_dataset(name, data=np.asarray(var.numpy()))
    group.attrs["weight_names"] = np.array([n.encode("utf8") for n in names], dtype=object) if names else \
        np.zeros((0,), "float64")


def _legacy_weights(layer) -> list:
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def save_legacy_h5(model, filepath, overwrite: bool = True, include_optimizer: bool = True):
    """Write ``model`` as Keras's legacy ``.h5`` model file (what Keras 3's ``model.save("m.h5")`` writes)."""
    from ..serialization.keras_entries import serialize_layer_entry
    h5py = require_h5py()
    path = os.fspath(filepath)
    check_destination(path, overwrite)
    _ensure_built(model)
    model.trace(training=False)
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs["keras_version"] = "3.15.1"
        f.attrs["backend"] = "jax"
        f.attrs["model_config"] = json.dumps(_legacy_entry(serialize_layer_entry(model))).encode("utf8")
        training = _training_config(model)
        if training is not None:
            f.attrs["training_config"] = json.dumps(training).encode("utf8")
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([l.name.encode("utf8") for l in model.layers], dtype=object)
        g.attrs["backend"], g.attrs["keras_version"] = b"jax", b"3.15.1"
        for layer in model.layers:
            _write_subset(g.create_group(layer.name), _legacy_weights(layer))
        _write_subset(g.create_group("top_level_model_weights"), [])
        arrays = _optimizer_arrays(model) if include_optimizer else None
        if arrays is not None:
            _write_optimizer(f, model, arrays)
    write_atomic(path, buffer.getvalue(), overwrite=overwrite)


def _write_optimizer(f, model, arrays):
    opt = model.optimizer
    names = [f"{opt.name}/iteration", f"{opt.name}/learning_rate"]
    for var in model.trainable_weights:
        names += [f"{opt.name}/{str(var.path).replace('/', '_')}_{slot}" for slot in opt.slot_names]
    if getattr(opt, "nested_state", False):        # MultiOptimizer: its variables and each inner one's
        names = [str(v.path) for v in opt.variables]
        names = [n if names.index(n) == i else f"{n}_{i}" for i, n in enumerate(names)]     # two inner "sgd"s
    g = f.create_group("optimizer_weights")
    g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names], dtype=object)
    for name, a in zip(names, arrays):
        g.create_dataset(name, data=a)


def _names(group, attr: str) -> list:
    if attr in group.attrs:
        return [_text(n) for n in group.attrs[attr]]
    out, i = [], 0
    while f"{attr}{i}" in group.attrs:               # Keras splits long name lists into chunks
        out += [_text(n) for n in group.attrs[f"{attr}{i}"]]
        i += 1
    return out


def _subset(group, where: str) -> list:
    try:
        return [np.asarray(group[n]) for n in _names(group, "weight_names")]
    except KeyError as e:
        raise FormatError(f"{where}: a weight listed in weight_names is missing ({e})") from None


def load_legacy_weights(model, g, where: str, skip_mismatch: bool = False):
    """Assign a legacy ``model_weights`` group (or a Keras 2 weights file's root) to ``model``, by position."""
    _ensure_built(model)
    layers = [l for l in model.layers if _legacy_weights(l)]
    names = [n for n in _names(g, "layer_names") if n in g and _names(g[n], "weight_names")]
    if len(names) != len(layers):
        raise ValueError(f"{where}: layer count mismatch: the model has {len(layers)} layers with weights, the file "
                         f"{len(names)} ({names})")
    assignments = []
    for layer, name in zip(layers, names):
        variables, arrays = _legacy_weights(layer), _subset(g[name], f"{where}: layer {name!r}")
        shapes_ok = len(arrays) == len(variables) and all(tuple(v.shape) == a.shape for v, a in zip(variables, arrays))
        if not shapes_ok:
            if skip_mismatch:
                continue
            raise ValueError(f"{where}: layer {layer.name!r} (saved as {name!r}) expects weights of shapes "
                             f"{[tuple(v.shape) for v in variables]}, the file holds {[a.shape for a in arrays]}")
        assignments += list(zip(variables, arrays))
    for var, arr in assignments:
        var.assign(arr.astype(var.dtype))


def _config_attr(f, key: str, where: str):
    raw = f.attrs.get(key)
    if raw is None:
        return None
    try:
        return json.loads(_text(raw))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise FormatError(f"{where}: the {key} attribute is not valid JSON ({e})") from None


def load_legacy_h5_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Load a legacy ``.h5`` model file written by Keras 3 (``model.save("m.h5")``) or by kxla."""
    from ..models import Model
    from .keras_archive import _compile
    from ..serialization.keras_entries import deserialize_entry
    from .registry import UnknownObjectError
    h5py = require_h5py()
    path = os.fspath(filepath)
    open_regular(path).close()
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise FormatError(f"{path}: not a readable HDF5 file ({e})") from None
    with f:
        config = _config_attr(f, "model_config", path)
        if not isinstance(config, dict) or "class_name" not in config:
            raise FormatError(f"{path}: no model config in the file (a weights-only file? use load_weights)")
        try:
            config = _upgrade_keras2(config)
            model = deserialize_entry(config, custom_objects, safe_mode, where=f"{path}: model_config")
        except (FormatError, UnknownObjectError):
            raise
        except (KeyError, TypeError, IndexError) as e:
            raise FormatError(f"{path}: malformed model config ({type(e).__name__}: {e})") from None
        if not isinstance(model, Model):
            raise FormatError(f"{path}: the file holds a {type(model).__name__}, not a model")
        if "model_weights" not in f:
            raise FormatError(f"{path}: no model_weights group")
        try:
            load_legacy_weights(model, f["model_weights"], path)
        except ValueError as e:
            raise FormatError(f"{path}: the weights do not fit the model the file describes: {e}") from None
        training = _config_attr(f, "training_config", path)
        if compile and isinstance(training, dict):
            training = dict(training)
            opt = training.pop("optimizer_config", None)
            if isinstance(opt, dict):
                training["optimizer"] = {"module": "keras.optimizers", **opt}
            for key, module in (("loss", "keras.losses"), ("metrics", "keras.metrics"),
                                ("weighted_metrics", "keras.metrics")):
                training[key] = _with_module(training.get(key), module)
            _compile(model, training, custom_objects, path)
            if "optimizer_weights" in f:
                _restore_optimizer(model, _subset(f["optimizer_weights"], f"{path}: optimizer_weights"), path)
    return model


_SUFFIX_MODULES = (("initializer", "keras.initializers"), ("regularizer", "keras.regularizers"),
                   ("constraint", "keras.constraints"))


def _upgrade_keras2(entry, key: str = ""):
    """A Keras 2 (tf.keras) config in Keras 3's terms, as Keras 3's legacy loader reads it: an InputLayer's
    ``batch_input_shape`` is its ``batch_shape``, a one-element ``axis`` list an int, and initializers,
    regularizers and constraints (written without a module) are looked up in their Keras module."""
    if isinstance(entry, list):
        return [_upgrade_keras2(e, key) for e in entry]
    if not isinstance(entry, dict):
        return entry
    out = {k: _upgrade_keras2(v, k) for k, v in entry.items()}
    if "class_name" in out and out.get("module") is None:
        for suffix, module in _SUFFIX_MODULES:
            if key.endswith(suffix):
                out["module"] = module
    config = out.get("config")
    if isinstance(config, dict) and "class_name" in out:
        config = dict(config)
        if "batch_input_shape" in config:
            shape = config.pop("batch_input_shape")
            config["batch_shape" if out["class_name"] == "InputLayer" else "input_shape"] = \
                shape if out["class_name"] == "InputLayer" else shape[1:]
        if isinstance(config.get("axis"), list) and len(config["axis"]) == 1:
            config["axis"] = int(config["axis"][0])
        out["config"] = config
    return out


def _with_module(obj, module: str):
    """Legacy loss / metric entries carry no module: say where to look (``keras.losses`` ...)."""
    if isinstance(obj, list):
        return [_with_module(v, module) for v in obj]
    if isinstance(obj, dict) and "class_name" in obj:
        return {**obj, "module": module} if obj.get("module") is None else obj
    if isinstance(obj, dict):
        return {k: _with_module(v, module) for k, v in obj.items()}
    return obj


def _restore_optimizer(model, arrays: list, where: str):
    from .keras_h5 import restore_optimizer_arrays
    restore_optimizer_arrays(model, arrays, where)
