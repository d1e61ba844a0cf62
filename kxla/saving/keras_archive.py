"""Keras 3 ``.keras`` archives, both ways: a zip of ``config.json``, ``metadata.json`` and ``model.weights.h5``.

``config.json`` is the model's Keras config (``serialize_keras_object``) with
its ``build_config`` and, for compiled models, ``compile_config`` (optimizer,
loss, metrics ... as Keras writes them); ``model.weights.h5`` holds the layer
variables in Keras's HDF5 layout (``kxla.saving.keras_h5``) and the optimizer
variables under ``optimizer/vars``. Loading rebuilds the model through the
name registry and never runs code from the archive (a Lambda's marshalled
bytecode is refused unless ``safe_mode=False``); anything malformed raises
``FormatError``.
"""
from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from .files import open_regular, write_atomic
from .format import FormatError
from .keras_h5 import load_optimizer_h5, load_weights_h5, require_h5py, save_weights_h5
from ..models.keras_config import compile_config, compile_from_config as _compile  # noqa: F401
from .registry import UnknownObjectError

__all__ = ["save_keras_archive", "load_keras_archive", "compile_config"]

_CONFIG, _METADATA, _WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
_MAX_MEMBER = 1 << 34          # 16 GiB: refuse decompression bombs before inflating


def save_keras_archive(model, filepath, overwrite: bool = True, include_optimizer: bool = True):
    """Write ``model`` as a Keras 3 ``.keras`` archive that ``keras.saving.load_model`` reads."""
    from .. import __version__
    from ..serialization.keras_entries import serialize_layer_entry
    h5py = require_h5py()
    path = os.fspath(filepath)
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")
    model.trace(training=False)
    entry = serialize_layer_entry(model)
    compiled = compile_config(model)
    if compiled is not None:
        entry["compile_config"] = compiled
    metadata = {"keras_version": "3.15.1", "kxla_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        save_weights_h5(model, None, h5file=f, include_optimizer=include_optimizer)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(_METADATA, json.dumps(metadata))
        zf.writestr(_CONFIG, json.dumps(entry))
        zf.writestr(_WEIGHTS, buffer.getvalue())
    write_atomic(path, archive.getvalue(), overwrite=overwrite)     # never onto a device/FIFO; atomic


def _read_member(zf, name, path):
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise FormatError(f"{path}: not a Keras archive: it has no {name}") from None
    if info.file_size > _MAX_MEMBER:
        raise FormatError(f"{path}: {name} claims {info.file_size} bytes uncompressed; refusing")
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise FormatError(f"{path}: {name} is corrupt ({e})") from None


def load_keras_archive(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Load a ``.keras`` archive written by Keras 3 or by kxla; returns the kxla model."""
    from ..models import Model
    from ..serialization.serialization_lib import deserialize_keras_object
    h5py = require_h5py()
    path = os.fspath(filepath)
    open_regular(path).close()          # a FIFO or device is refused here instead of hanging in the zip reader
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise FormatError(f"{path}: not a Keras .keras archive (not a readable zip file: {e})") from None
    with zf:
        try:
            config = json.loads(_read_member(zf, _CONFIG, path))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise FormatError(f"{path}: {_CONFIG} is not valid JSON ({e})") from None
        if not isinstance(config, dict) or "class_name" not in config:
            raise FormatError(f"{path}: {_CONFIG} does not describe a model")
        if config["class_name"] == "FeatureSpace":           # keras.utils.FeatureSpace.save's archive
            from ..layers.preprocessing.feature_space_io import load_feature_space
            return load_feature_space(zf, config, path)
        try:
            model = deserialize_keras_object(config, custom_objects, safe_mode, where=f"{path}: config")
        except (FormatError, UnknownObjectError):
            raise
        except (KeyError, TypeError, IndexError) as e:
            raise FormatError(f"{path}: malformed model config ({type(e).__name__}: {e})") from None
        if not isinstance(model, Model):
            raise FormatError(f"{path}: the archive holds a {type(model).__name__}, not a model")
        weights = _read_member(zf, _WEIGHTS, path)
    try:
        f = h5py.File(io.BytesIO(weights), "r")
    except OSError as e:
        raise FormatError(f"{path}: {_WEIGHTS} is not a valid HDF5 file ({e})") from None
    with f:
        try:
            load_weights_h5(model, None, h5file=f)
        except ValueError as e:
            raise FormatError(f"{path}: the weights do not fit the model the archive describes: {e}") from None
        if compile and config.get("compile_config"):
            _compile(model, config["compile_config"], custom_objects, path)
            load_optimizer_h5(model, f, path)
    return model
