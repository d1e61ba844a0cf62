"""FeatureSpace ``.keras`` archives in Keras's layout, both ways (``h5py``, the optional extra ``kxla[h5]``).

The zip holds ``config.json`` (the FeatureSpace's Keras config and build
config), ``metadata.json``, ``model.weights.h5`` (``preprocessors/<name>/vars``:
``Normalization``'s mean, variance and count; empty groups for the other
sublayers, as Keras writes them) and ``assets/preprocessors/<name>/
vocabulary.txt`` for adapted lookups. ``<name>`` is the layer class in snake
case, made unique in the features' order (Keras's saving_lib rule).
Discretization boundaries travel in the config. ``kxla.models.load_model``
reads archives written by either library.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

import numpy as np

from ...naming import snake_case


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Saving a FeatureSpace to a .keras file needs h5py: pip install 'kxla[h5]' "
                          "(or pip install h5py)") from None
    return h5py


def _unique_names(layers):
    used, out = {}, []
    for layer in layers:
        base = snake_case(type(layer).__name__)
        used[base] = used.get(base, -1) + 1
        out.append(base if used[base] == 0 else f"{base}_{used[base]}")
    return out


def _stateful(layer):
    """``("vars", [arrays])`` / ``("vocab", list)`` / None: the adapted state Keras saves outside the config."""
    from ..core.normalization_layer import Normalization
    from .lookup import IndexLookup
    if isinstance(layer, Normalization) and layer.input_mean is None and layer.built:
        return "vars", [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in
                        (layer.adapt_mean, layer.adapt_variance, layer.count)]
    if isinstance(layer, IndexLookup) and layer.input_vocabulary is None:
        if layer.output_mode == "tf_idf":
            raise ValueError(f"Saving a FeatureSpace whose {type(layer).__name__} uses output_mode='tf_idf' "
                             "without a given vocabulary is not supported by kxla")
        return "vocab", layer.get_vocabulary()
    from .text_vectorization import TextVectorization
    if isinstance(layer, TextVectorization) and layer._lookup_layer.input_vocabulary is None:
        raise ValueError("Saving a FeatureSpace with an adapted TextVectorization preprocessor is not "
                         "supported by kxla")
    return None


def _weights_file(fs, names):
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars")
        f.create_group("concat/vars")
        for name in _unique_names(fs.crossers.values()):
            f.create_group(f"crossers/{name}/vars")
        for name in _unique_names(fs.one_hot_encoders.values()):
            f.create_group(f"one_hot_encoders/{name}/vars")
        for name, layer in zip(names, fs.preprocessors.values()):
            group = f.create_group(f"preprocessors/{name}/vars")
            state = _stateful(layer)
            if state is not None and state[0] == "vars":
                for i, value in enumerate(state[1]):
                    group.create_dataset(str(i), data=value)
    return buffer.getvalue()


def save_feature_space(fs, filepath):
    """Write ``fs`` as a ``.keras`` archive that ``keras.models.load_model`` and kxla's both read."""
    path = os.fspath(filepath)
    if not path.endswith(".keras"):
        raise ValueError(f"The filepath of a FeatureSpace must end in `.keras`. Received: filepath={path}")
    fs._check_if_built()
    names = _unique_names(fs.preprocessors.values())
    entry = {"module": "keras.utils", "class_name": "FeatureSpace", "config": fs.get_config(),
             "registered_name": None, "build_config": fs.get_build_config()}
    metadata = {"keras_version": "3.15.1", "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = _weights_file(fs, names)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("config.json", json.dumps(entry, default=_json_default))
        zf.writestr("model.weights.h5", weights)
        for name, layer in zip(names, fs.preprocessors.values()):
            state = _stateful(layer)
            if state is not None and state[0] == "vocab":
                zf.writestr(f"assets/preprocessors/{name}/vocabulary.txt", "\n".join(str(w) for w in state[1]))


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"Cannot write {type(obj).__name__} into a FeatureSpace config")


def load_feature_space(zf, config, path):
    """The FeatureSpace an open ``.keras`` archive ``zf`` (its parsed ``config.json``: ``config``) holds."""
    from .feature_space import FeatureSpace
    fs = FeatureSpace.from_config(dict(config["config"]))
    fs.build_from_config(config.get("build_config") or {})
    names = _unique_names(fs.preprocessors.values())
    h5py = _h5py()
    with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        for name, layer in zip(names, fs.preprocessors.values()):
            _restore(layer, f, zf, name, path)
    fs._is_adapted = True
    fs._check_if_built()
    fs.built = True
    return fs


def _restore(layer, h5, zf, name, path):
    from ..core.normalization_layer import Normalization
    from .lookup import IndexLookup
    if isinstance(layer, Normalization) and layer.input_mean is None:
        group = h5.get(f"preprocessors/{name}/vars")
        if group is None or len(group) != 3:
            raise ValueError(f"{path}: the archive has no mean/variance/count for preprocessor {name!r}")
        if not layer.built:
            layer.build((None,) + tuple(group["0"].shape))
        for var, key in zip((layer.adapt_mean, layer.adapt_variance, layer.count), "012"):
            var.assign(np.asarray(group[key]))
    elif isinstance(layer, IndexLookup) and layer.input_vocabulary is None:
        member = f"assets/preprocessors/{name}/vocabulary.txt"
        try:
            lines = zf.read(member).decode("utf-8").splitlines()
        except KeyError:
            raise ValueError(f"{path}: the archive has no {member} for its {type(layer).__name__}") from None
        while lines and lines[-1] == "":
            lines.pop()
        layer.set_vocabulary(lines if layer.vocabulary_dtype == "string" else [int(t) for t in lines])
