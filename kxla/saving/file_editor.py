"""``kxla.saving.KerasFileEditor``: inspect and edit the weights of a ``.keras`` / ``.weights.h5`` file.

Keras's editor: the file's weights become a nested dict (``weights_dict``:
object path -> weight index -> numpy array) that ``rename_object``,
``delete_object``, ``add_object``, ``delete_weight`` and ``add_weights`` edit;
``save`` writes a ``.weights.h5`` any kxla or Keras model of that structure
loads; ``compare(model)`` checks a model's weight structure against the file.
The printed text is Keras's (which prints through ``rich``; kxla prints plain text).
"""
from __future__ import annotations

import io
import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np

from ..utils.io_utils import print_msg
from .keras_h5 import keras_variable_paths, require_h5py

_MAX_BYTES = 1 << 32


def _read_group(h5py, group, metadata, inner_path=""):
    """A group as ``OrderedDict`` (``vars`` subgroups flattened into their owner), Keras's safety checks."""
    attrs = dict(group.attrs.items())
    if attrs:
        metadata[inner_path] = attrs
    out = OrderedDict()
    for key in group.keys():
        path = f"{inner_path}/{key}"
        link = group.get(key, default=None, getclass=True, getlink=True)
        if link in (h5py.ExternalLink, h5py.SoftLink):
            raise ValueError(f"Not allowed: H5 file with {link.__name__}")
        value = group[key]
        if isinstance(value, h5py.Group):
            if len(value) == 0:
                continue
            if "vars" in value.keys():
                value = value["vars"]
                if len(value) == 0:
                    continue
            out[key] = _read_group(h5py, value, metadata, path)
        elif isinstance(value, h5py.Dataset):
            if value.external:
                raise ValueError(f"Not allowed: H5 file Dataset with external links: {value.external}")
            if value.is_virtual:
                raise ValueError(f"Not allowed: H5 file with virtual Dataset at {path}")
            if any(d < 0 for d in value.shape) or len(value.shape) > 64:
                raise ValueError("Malformed HDF5 dataset shape encountered in .keras file.")
            size = math.prod(value.shape) * value.dtype.itemsize
            if size > _MAX_BYTES:
                raise ValueError(f"HDF5 dataset too large to load safely ({size} bytes; limit is {_MAX_BYTES}).")
            out[key] = value[()]
    return out


def model_weight_spec(model) -> dict:
    """A kxla model's weights in the file's nested layout: ``{object: {index: array}}``."""
    spec: dict = {}
    for group, _, variables in keras_variable_paths(model):
        node = spec
        parts = [p for p in group.split("/") if p and p != "vars"]
        for p in parts:
            node = node.setdefault(p, {})
        for i, var in enumerate(variables):
            node[str(i)] = np.zeros(var.shape, var.dtype)
    return spec


class KerasFileEditor:
    """Open ``filepath`` (``.keras`` or ``.weights.h5``) and print what it is."""

    def __init__(self, filepath):
        h5py = require_h5py()
        self.filepath, self.metadata, self.config, self.model = filepath, None, None, None
        filepath = str(filepath)
        if filepath.endswith(".keras"):
            with zipfile.ZipFile(filepath, "r") as zf:
                data = io.BytesIO(zf.read("model.weights.h5"))
                self.config = json.loads(zf.read("config.json"))
                self.metadata = json.loads(zf.read("metadata.json"))
        elif filepath.endswith(".weights.h5"):
            data = filepath
        else:
            raise ValueError("Invalid filename: expected a `.keras` `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        self.object_metadata = {}
        with h5py.File(data, "r") as f:
            self.weights_dict = _read_group(h5py, f, self.object_metadata)
        print_msg(f"Keras model file '{self.filepath}'")
        if self.metadata is not None:
            print_msg(f"Saved with Keras {self.metadata['keras_version']} - date: {self.metadata['date_saved']}")

    def summary(self):
        """Print the weight tree: objects, and each weight's shape and dtype."""
        print_msg("Weights structure")
        self._print_tree(self.weights_dict, prefix="  ")

    def _print_tree(self, tree, prefix="", inner_path="", is_first=True):
        for idx, (key, value) in enumerate(tree.items()):
            inner_path = os.path.join(inner_path, key)
            is_last = idx == len(tree) - 1
            if is_first:
                is_first, connector = False, "> "
            else:
                connector = "└─ " if is_last else "├─ "
            if isinstance(value, dict):
                label = f"{prefix}{connector}{key}"
                name = self.object_metadata.get(inner_path, {}).get("name")
                print_msg(label + (f" ('{name}')" if name is not None else ""))
                self._print_tree(value, prefix + ("    " if is_last else "│   "), inner_path, is_first)
            elif hasattr(value, "shape"):
                print_msg(f"{prefix}{connector}{key}: shape={value.shape}, dtype={value.dtype}")
            else:
                print_msg(f"{prefix}{connector}{key}: {value}")

    def compare(self, reference_model):
        """Check ``reference_model``'s weight structure against the file; prints and returns a status dict."""
        from .file_editor_compare import compare_specs
        print_msg("Running comparison")
        return compare_specs(self.weights_dict, model_weight_spec(reference_model))

    def _edit_object(self, edit_fn, source_name, target_name=None):
        if target_name is not None and "/" in target_name:
            raise ValueError("Argument `target_name` should be a leaf name, not a full path name. "
                             f"Received: target_name='{target_name}'")
        if "/" in source_name:
            elements, node = source_name.split("/"), self.weights_dict
            for e in elements[:-1]:
                if e not in node:
                    raise ValueError(f"Path '{source_name}' not found in model.")
                node = node[e]
            if elements[-1] not in node:
                raise ValueError(f"Path '{source_name}' not found in model.")
            edit_fn(node, source_name=elements[-1], target_name=target_name)
            return
        occurrences = _count(self.weights_dict, source_name)
        if occurrences > 1:
            raise ValueError(f"Name '{source_name}' occurs more than once in the model; try passing a complete path")
        if occurrences == 0:
            raise ValueError(f"Source name '{source_name}' does not appear in the model. Use "
                             "`editor.weights_summary()` to list all objects.")

        def walk(d):
            for k in list(d):
                if isinstance(d.get(k), dict):
                    walk(d[k])
            if source_name in d:
                edit_fn(d, source_name=source_name, target_name=target_name)
        walk(self.weights_dict)

    def rename_object(self, object_name, new_name):
        """Rename the object ``object_name`` (a name or a ``/`` path) to ``new_name``."""
        def rename(d, source_name, target_name):
            d[target_name] = d.pop(source_name)
        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name):
        def delete(d, source_name, target_name=None):
            d.pop(source_name)
        self._edit_object(delete, object_name)

    def add_object(self, object_path, weights):
        """Add an object with ``weights`` (``{"0": array, ...}``) at ``object_path``."""
        _check_weights(weights)
        if "/" not in object_path:
            self.weights_dict[object_path] = weights
            return
        elements, node = object_path.split("/"), self.weights_dict
        for e in elements[:-1]:
            if e not in node:
                raise ValueError(f"Path '{'/'.join(elements[:-1])}' not found in model.")
            node = node[e]
        node[elements[-1]] = weights

    def delete_weight(self, object_name, weight_name):
        def delete(d, source_name, target_name=None):
            if weight_name not in d[source_name]:
                raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights found: "
                                 f"{list(d[source_name].keys())}")
            d[source_name].pop(weight_name)
        self._edit_object(delete, object_name)

    def add_weights(self, object_name, weights):
        _check_weights(weights)

        def add(d, source_name, target_name=None):
            d[source_name].update(weights)
        self._edit_object(add, object_name)

    def save(self, filepath):
        """Write the (edited) weights as a ``.weights.h5`` file in Keras's layout."""
        filepath = str(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError("Invalid `filepath` argument: expected a `.weights.h5` extension. "
                             f"Received: filepath={filepath}")
        h5py = require_h5py()
        with h5py.File(filepath, "w") as f:
            _write(f, self.weights_dict, "")

    def resave_weights(self, filepath):
        self.save(filepath)


def _count(d, name):
    count = sum(_count(v, name) for v in d.values() if isinstance(v, dict))
    return count + (1 if name in d else 0)


def _check_weights(weights):
    if not isinstance(weights, dict):
        raise ValueError("Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) "
                         f"and values are NumPy arrays. Received: type(weights)={type(weights)}")


def _write(f, tree, inner_path):
    arrays = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            if value:
                _write(f, value, os.path.join(inner_path, name))
        else:
            arrays[name] = value
    if arrays:
        group = f.create_group(f"{inner_path}/vars" if inner_path else "vars")
        for name, value in arrays.items():
            group[name] = np.asarray(value)
