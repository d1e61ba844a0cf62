"""``save_model`` / ``load_model``: a whole model — architecture, weights, optimizer, compile config — in one file.

The payload of a ``kxla.model`` file (see ``kxla.saving.format`` for the container)::

    {"kxla_version": "0.1.0",
     "ir": <IR text of the inference graph>, "ir_training": <IR text of the training graph>,
     "model": <model description, below>,
     "weights": [<weight entries, see weights_io>],
     "optimizer": null | {"class_name", "config", "param_keys": [...], "state": [{"key": [...], <tensor>}]},
     "compile": null | {"loss", "loss_weights", "metrics", "weighted_metrics", "steps_per_execution", "passes"}}

The model description is written and read by the model classes
(``kxla.models.description``: ``sequential``, ``functional`` and
``subclassed`` kinds; layers as ``{"class_name", "config"}`` entries).
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
from ..models.description import describe_model, rebuild_model  # noqa: F401  (each model kind describes itself)
from ..serialization.layer_entries import deserialize_layer, serialize_layer  # noqa: F401
from ..serialization.values import Unserializable as _Unserializable, plain as _plain
from .registry import CustomObjectScope, get_registered_name, lookup
from .weights_io import WeightsMismatchError, assign_weights, decode_weight_table, weight_table

__all__ = ["save_model", "load_model", "read_model_file", "describe_model", "serialize_layer", "deserialize_layer"]


# -- guarding the rebuild ----------------------------------------------------------------
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
    model.optimizer.build(params)                 # (a MultiOptimizer's state depends on its routing)
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
    from ..training.state import bind_optimizer
    bind_optimizer(model._model_state, model.optimizer, params)      # optimizer.variables show the restored state
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
    from ..models.keras_config import skips_compile
    if skips_compile(model):
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
