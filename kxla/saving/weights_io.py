"""Weights on disk: ``save_weights`` / ``load_weights`` and the weight table shared with model files.

Each weight is stored as::

    {"path": "dense/kernel",           # Variable.path: layer name / weight name
     "tpath": "1:Dense/kernel",        # structural path: index of each tracked sublayer, then the name
     "kind": "param" | "state", "trainable": bool,
     "dtype": "float32", "shape": [4, 3], "data": <raw little-endian bytes>}

Loading matches file weights to the model's by ``path`` first (layer and
weight names), then, for weights still unmatched, by ``tpath`` — so a
subclassed model whose sublayers got different automatic names in another
process still loads. Anything left over, or a shape that differs, is listed
in one ``WeightsMismatchError``.
"""
from __future__ import annotations

import os

import numpy as np

from . import format as fmt

__all__ = ["save_weights", "load_weights", "WeightsMismatchError", "weight_table", "decode_weight_table",
           "match_weights", "structural_paths"]


class WeightsMismatchError(ValueError):
    """The weights in a file do not fit the model: lists missing, unexpected and mis-shaped weights."""


def structural_paths(model) -> dict:
    """``{id(variable): "i:Class/j:Class/name"}``: each weight's position in the tracked-layer tree."""
    out: dict[int, str] = {}
    stack = [(model, "")]
    seen = set()
    while stack:
        layer, prefix = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        for w in layer._own_weights():
            out.setdefault(id(w), prefix + w.name)
        subs = list(getattr(layer, "_layers", []))
        for i in reversed(range(len(subs))):
            stack.append((subs[i], f"{prefix}{i}:{type(subs[i]).__name__}/"))
    return out


def weight_table(model) -> list[dict]:
    """The model's weights as file entries (see the module docstring), in ``model.weights`` order."""
    tpaths = structural_paths(model)
    entries = []
    for var in model.weights:
        entry = {"path": var.path, "tpath": tpaths.get(id(var), var.path), "kind": var.kind,
                 "trainable": bool(var.trainable)}
        entry.update(fmt.encode_tensor(var.numpy()))
        entries.append(entry)
    return entries


def decode_weight_table(entries, where: str) -> list[dict]:
    """Validate file weight entries; return ``[{"path", "tpath", "kind", "trainable", "array"}]``."""
    fmt.expect(entries, list, where)
    out, paths = [], set()
    for i, entry in enumerate(entries):
        w = f"{where}[{i}]"
        path = fmt.field(entry, "path", str, w)
        if path in paths:
            raise fmt.FormatError(f"{w}: duplicate weight path {path!r}")
        paths.add(path)
        kind = fmt.field(entry, "kind", str, w)
        if kind not in ("param", "state"):
            raise fmt.FormatError(f"{w}.kind: expected 'param' or 'state', got {kind!r}")
        out.append({"path": path, "tpath": fmt.field(entry, "tpath", str, w, default=path), "kind": kind,
                    "trainable": fmt.field(entry, "trainable", bool, w, default=kind == "param"),
                    "array": fmt.decode_tensor(entry, w)})
    return out


def match_weights(model, entries: list[dict]):
    """Pair model Variables with decoded file entries.

    Returns:
      ``(pairs, missing, unexpected, mismatched)``: ``pairs`` a list of
      ``(variable, entry)`` with equal shapes; ``missing`` model weight paths
      with no entry; ``unexpected`` entry paths used by no weight;
      ``mismatched`` ``(path, model shape, file shape)`` triples.
    """
    variables = model.weights
    tpaths = structural_paths(model)
    by_path = {e["path"]: e for e in entries}
    used: set[int] = set()
    chosen: dict[int, dict] = {}
    for var in variables:
        e = by_path.get(var.path)
        if e is not None and id(e) not in used:
            chosen[id(var)] = e
            used.add(id(e))
    by_tpath: dict[str, list] = {}
    for e in entries:
        if id(e) not in used:
            by_tpath.setdefault(e["tpath"], []).append(e)
    for var in variables:
        if id(var) in chosen:
            continue
        cands = by_tpath.get(tpaths.get(id(var), var.path), [])
        if len(cands) == 1 and id(cands[0]) not in used:
            chosen[id(var)] = cands[0]
            used.add(id(cands[0]))
    pairs, missing, mismatched = [], [], []
    for var in variables:
        e = chosen.get(id(var))
        if e is None:
            missing.append(var.path)
        elif tuple(e["array"].shape) != tuple(var.shape):
            mismatched.append((var.path, tuple(var.shape), tuple(e["array"].shape)))
        else:
            pairs.append((var, e))
    unexpected = [e["path"] for e in entries if id(e) not in used]
    return pairs, missing, unexpected, mismatched


def mismatch_message(model, source: str, missing, unexpected, mismatched) -> str:
    parts = [f"The weights in {source} do not match model {model.name!r}:"]
    if missing:
        parts.append(f"missing from the file: {missing}")
    if unexpected:
        parts.append(f"unexpected in the file: {unexpected}")
    if mismatched:
        parts.append("shape mismatch: " + ", ".join(f"{p} (model {m}, file {f})" for p, m, f in mismatched))
    return " ".join(parts[:1]) + " " + "; ".join(parts[1:])


def assign_weights(model, entries: list[dict], source: str, skip_mismatch: bool = False) -> list:
    """Assign matched entries to the model's Variables (all or nothing unless ``skip_mismatch``).

    Returns the ``(variable, entry)`` pairs assigned.
    """
    pairs, missing, unexpected, mismatched = match_weights(model, entries)
    if (missing or unexpected or mismatched) and not skip_mismatch:
        raise WeightsMismatchError(mismatch_message(model, source, missing, unexpected, mismatched))
    if missing or unexpected or mismatched:
        import warnings
        warnings.warn(mismatch_message(model, source, missing, unexpected, mismatched) +
                      " (skip_mismatch=True: loading the weights that match)", stacklevel=3)
    flags_changed = False
    for var, e in pairs:
        var.assign(np.array(e["array"], dtype=var.dtype))
        if var.kind == "param" and var.trainable != bool(e["trainable"]):
            var.trainable = bool(e["trainable"])
            flags_changed = True
    if flags_changed and hasattr(model, "_invalidate"):
        model._invalidate()                  # the trainable/frozen split of the compiled steps changed
    return pairs


def _ensure_built(model) -> None:
    if model.built and model.weights:
        return
    if getattr(model, "_input_types", None) is not None:
        model.trace(training=False)
    if not model.weights and not model.built:
        raise ValueError(f"Model {model.name!r} is not built, so it has no weights to load into yet: call "
                         "model.build(input_shape) or run it on data first.")


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Write the model's weights to one ``kxla.weights`` file (atomically).

    Arguments:
      model: a built kxla Model (or Layer).
      filepath: destination, conventionally ``*.weights.kxla``.
      overwrite: when False, refuse to replace an existing file.
    """
    if os.fspath(filepath).endswith(".h5"):             # Keras 3's HDF5 layout (kxla.saving.keras_h5)
        from .keras_h5 import save_weights_h5
        return save_weights_h5(model, filepath, overwrite=overwrite)
    _ensure_built(model)
    payload = {"kxla_version": _version(), "model_name": model.name, "weights": weight_table(model)}
    fmt.write_atomic(filepath, fmt.pack_file(fmt.WEIGHTS_FORMAT, payload), overwrite=overwrite)


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights saved by ``save_weights`` (or the weights of a ``model.save`` file) into ``model``.

    Weights match by layer and weight name (then by position in the layer
    tree); dtypes are cast to the model's.

    Raises:
      FormatError: the file is not a valid kxla weights or model file.
      WeightsMismatchError: weights missing, unexpected or of another shape
        (all listed); with ``skip_mismatch=True`` a warning instead, and the
        matching weights are loaded.
    """
    path = os.fspath(filepath)
    if path.endswith(".h5"):                             # Keras 3's HDF5 layout (kxla.saving.keras_h5)
        from .keras_h5 import load_weights_h5
        return load_weights_h5(model, path, skip_mismatch=skip_mismatch)
    data = fmt.read_bytes(path)
    kind = fmt.MODEL_FORMAT if data.startswith(fmt._header_prefix(fmt.MODEL_FORMAT)) else fmt.WEIGHTS_FORMAT
    payload = fmt.unpack_file(data, kind, source=path)
    entries = decode_weight_table(fmt.field(payload, "weights", list, path), f"{path}: weights")
    _ensure_built(model)
    assign_weights(model, entries, path, skip_mismatch=skip_mismatch)


def _version() -> str:
    from .. import __version__
    return __version__
