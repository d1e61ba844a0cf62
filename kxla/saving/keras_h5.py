"""Keras 3's ``.weights.h5`` layout, both ways (``h5py``, the optional extra ``kxla[h5]``).

Keras walks a model like this: a Sequential or functional model writes its
``layers`` container first, each layer under the snake-case name of its class
made unique in that container (``layers/dense``, ``layers/dense_1``, nested
models recurse), then every other attribute holding a layer or a list of
layers, sorted by name, private (``_x``) ones last; each object writes its
own variables as ``<path>/vars/0``, ``1``, ... (created-trainable first, then
the others, in creation order). The optimizer writes ``optimizer/vars``:
``iterations``, ``learning_rate``, then every slot of every trainable weight.
kxla walks its layers the same way, so a file maps by position in the same
tree whichever library wrote it.
"""
from __future__ import annotations

import io
import os

import numpy as np

from .files import check_destination, open_regular, write_atomic
from .format import FormatError
from ..naming import snake_case

__all__ = ["require_h5py", "keras_variable_paths", "save_weights_h5", "load_weights_h5", "is_keras_weights_file"]


def require_h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError("Reading and writing Keras's .h5 / .keras files needs h5py: pip install 'kxla[h5]' "
                          "(or pip install h5py)") from None
    return h5py


def is_keras_weights_file(filepath) -> bool:
    name = os.fspath(filepath)
    return name.endswith(".weights.h5") or name.endswith(".h5") and not name.endswith(".kxla")


def _children(obj):
    """``(attribute, child)`` pairs Keras's saver visits below a layer or model (layers and lists of layers)."""
    from ..layers.layer import Layer
    from ..models import Model, Sequential
    out = []
    if isinstance(obj, Model) and (isinstance(obj, Sequential) or obj._functional):
        out.append(("layers", obj.layers))
        return out
    base = set(dir(Layer)) | set(vars(Layer(name="__probe__")).keys()) | {"_layers"}
    if isinstance(obj, Model):
        base |= set(dir(Model))
    names = sorted((n for n in vars(obj) if not n.startswith("__") and n not in base),
                   key=lambda n: f"~{n}" if n.startswith("_") else n)
    if isinstance(obj, Model):             # a subclassed model: Keras also visits its `layers` property
        names = sorted(names + ["layers"], key=lambda n: f"~{n}" if n.startswith("_") else n)
    for n in names:
        value = getattr(obj, n, None)
        if isinstance(value, Layer) or (isinstance(value, (list, tuple, dict)) and value
                                        and any(isinstance(v, Layer) for v in
                                                (value.values() if isinstance(value, dict) else value))):
            out.append((n, value))
    return out


def _own_variables(obj) -> list:
    """A layer's variables as Keras saves them: its own, plus any other layer's variable it holds as an
    attribute (Keras also tracks ``self.kernel = self.layer.kernel`` in SpectralNormalization)."""
    from ..ops.tracing import Variable
    own = obj._keras_saved_variables() if hasattr(obj, "_keras_saved_variables") else \
        list(obj._trainable_variables) + list(obj._non_trainable_variables)
    seen = {id(v) for v in own}
    foreign = [v for n, v in vars(obj).items() if isinstance(v, Variable) and id(v) not in seen
               and not n.startswith("__")]
    if not foreign:
        return own
    foreign = list({id(v): v for v in foreign}.values())
    trainable = [v for v in foreign if v.trainable] + [v for v in own if v.trainable]
    return trainable + [v for v in own if not v.trainable] + [v for v in foreign if not v.trainable]


def _fused_cell_name(obj):
    """The Keras cell name (``lstm_cell``) of a kxla recurrent layer that holds its cell's variables itself."""
    from ..layers.rnn.base_rnn import BaseRNN
    return f"{snake_case(type(obj).__name__)}_cell" if isinstance(obj, BaseRNN) else None


def _walk(obj, path: str, seen: set, out: list):
    from ..layers.layer import Layer
    if id(obj) in seen:
        return
    seen.add(id(obj))
    own = _own_variables(obj)
    vars_path = f"{path}/vars" if path else "vars"
    cell = _fused_cell_name(obj)
    if cell is not None:            # Keras keeps an LSTM's (GRU's, SimpleRNN's) variables in its `cell` sublayer
        out.append((vars_path, obj.name, []))
        out.append((f"{path}/cell/vars" if path else "cell/vars", cell, own))
    else:
        out.append((vars_path, obj.name, own))
    for attr, child in _children(obj):
        child_path = f"{path}/{attr}" if path else attr
        if isinstance(child, Layer):
            _walk(child, child_path, seen, out)
            continue
        used: dict[str, int] = {}
        for item in (child.values() if isinstance(child, dict) else child):
            if not isinstance(item, Layer):
                continue
            base = snake_case(type(item).__name__)
            if base in used:
                used[base] += 1
                base = f"{base}_{used[base]}"
            else:
                used[base] = 0
            _walk(item, f"{child_path}/{base}", seen, out)


def keras_variable_paths(model) -> list:
    """``[(group path, owner name, [Variable, ...])]`` in Keras's order for ``model`` (built)."""
    out: list = []
    _walk(model, "", set(), out)
    return out


def _optimizer_arrays(model) -> list | None:
    """The optimizer's variables in Keras's order (``iteration`` as int64, as Keras writes it), or None when
    the model has no optimizer. An unbuilt optimizer has Keras's unbuilt list: ``iteration`` and a float
    ``learning_rate``."""
    opt = getattr(model, "optimizer", None)
    if opt is None:
        return None
    if _bound(model, opt):
        arrays = [np.asarray(v.numpy()) for v in opt.variables]
        arrays[0] = arrays[0].astype("int64")
        return arrays
    state = getattr(model, "_opt_state", None)
    if not isinstance(state, dict):
        return _unbuilt_arrays(opt)
    if getattr(opt, "nested_state", False):        # MultiOptimizer: nested state, listed as its variables
        names = [v.ir_name for v in opt._trainable_variables]
        return [np.asarray(a) for a in opt.variable_values(state, names)]
    arrays = [np.asarray(state.get("iterations", 0), dtype="int64"),
              np.asarray(opt.current_learning_rate(state), dtype="float32")]
    for var in model.trainable_weights:
        for slot in opt.slot_names:
            arrays.append(np.asarray(state[slot][var.ir_name]))
    return arrays


def _unbuilt_arrays(opt) -> list:
    """Keras's variables of an unbuilt optimizer: ``iteration`` and a float ``learning_rate`` (a
    MultiOptimizer: its own two, then each inner optimizer's)."""
    if hasattr(opt, "optimizers"):
        return [np.asarray(0, "int64"), np.asarray(0.0, "float32")] + \
            [a for inner in opt.optimizers for a in _unbuilt_arrays(inner)]
    lr = opt.learning_rate
    return [np.asarray(0, "int64")] + ([np.asarray(lr, "float32")] if isinstance(lr, (int, float)) else [])


def _bound(model, opt) -> bool:
    """True when ``opt`` is built on ``model``'s trainable variables (its Variables view the model's state)."""
    built_on = [id(v) for v in getattr(opt, "_trainable_variables", [])]
    return bool(getattr(opt, "built", False)) and built_on == [id(v) for v in model.trainable_weights]


def save_weights_h5(model, filepath, overwrite: bool = True, include_optimizer: bool = True, h5file=None):
    """Write ``model``'s weights in Keras's layout (to ``filepath``, or into an open h5py ``h5file``)."""
    h5py = require_h5py()
    path = os.fspath(filepath) if filepath is not None else None
    if h5file is None:
        check_destination(path, overwrite)        # never onto a device, FIFO or directory
    _ensure_built(model)
    buffer = io.BytesIO() if h5file is None else None
    f = h5file if h5file is not None else h5py.File(buffer, "w")
    try:
        for group, owner, variables in keras_variable_paths(model):
            g = f.require_group(group)
            g.attrs["name"] = owner
            for i, var in enumerate(variables):
                g.create_dataset(str(i), data=np.asarray(var.numpy()))
        arrays = _optimizer_arrays(model) if include_optimizer else None
        if arrays is not None:
            g = f.require_group("optimizer/vars")
            g.attrs["name"] = model.optimizer.name
            for i, a in enumerate(arrays):
                g.create_dataset(str(i), data=a)
    finally:
        if h5file is None:
            f.close()
    if h5file is None:
        write_atomic(path, buffer.getvalue(), overwrite=overwrite)      # atomic, as kxla's own files


def _ensure_built(model):
    if getattr(model, "_input_types", None) is not None:
        model.trace(training=False)
    elif not model.weights:
        raise ValueError(f"Model {model.name!r} is not built, so it has no weights yet: call "
                         "model.build(input_shape) or run it on data first.")


def _read_group(f, group: str, where: str) -> list:
    if group not in f:
        return []
    g = f[group]
    keys = sorted(g.keys(), key=lambda k: int(k) if k.isdigit() else -1)
    if any(not k.isdigit() for k in keys):
        raise FormatError(f"{where}: group {group!r} holds non-variable entries {keys}")
    return [np.asarray(g[k]) for k in keys]


def load_weights_h5(model, filepath, skip_mismatch: bool = False, h5file=None):
    """Assign weights from a Keras ``.weights.h5`` file (or an open h5py file) to ``model``, by Keras's paths."""
    h5py = require_h5py()
    where = os.fspath(filepath) if filepath is not None else "model.weights.h5"
    _ensure_built(model)
    if h5file is None:
        open_regular(where).close()               # a FIFO or device is refused here, never opened by HDF5
    try:
        f = h5file if h5file is not None else h5py.File(where, "r")
    except OSError as e:
        raise FormatError(f"{where}: not a readable HDF5 file ({e})") from None
    try:
        from .keras_legacy_h5 import is_legacy_h5, load_legacy_weights
        if "layers" not in f and "vars" not in f and is_legacy_h5(f):      # Keras's legacy (full-model) layout
            g = f["model_weights"] if "model_weights" in f else f
            return load_legacy_weights(model, g, where, skip_mismatch=skip_mismatch)
        assignments = []
        for group, owner, variables in keras_variable_paths(model):
            arrays = _read_group(f, group, where)
            if len(arrays) != len(variables):
                msg = (f"{where}: layer {owner!r} expects {len(variables)} variables but the file has "
                       f"{len(arrays)} at {group!r}")
                if skip_mismatch:
                    continue
                raise ValueError(msg)
            for var, arr in zip(variables, arrays):
                if tuple(arr.shape) != tuple(var.shape):
                    if skip_mismatch:
                        break
                    raise ValueError(f"{where}: weight {var.path!r} has shape {tuple(var.shape)} but the file "
                                     f"holds {tuple(arr.shape)} at {group!r}")
                assignments.append((var, arr))
        for var, arr in assignments:
            var.assign(arr.astype(var.dtype))
        if "optimizer/vars" in f and getattr(model, "optimizer", None) is not None:
            load_optimizer_variables(model, _read_group(f, "optimizer/vars", where))
    finally:
        if h5file is None:
            f.close()


def load_optimizer_variables(model, arrays: list) -> None:
    """``load_weights``'s optimizer step, as Keras's ``Optimizer.load_own_variables``: the saved list is
    assigned when it has as many variables as the optimizer has now; otherwise a warning and nothing changes."""
    opt = model.optimizer
    if _bound(model, opt):
        if len(arrays) == len(opt.variables):
            for var, arr in zip(opt.variables, arrays):
                var.assign(np.asarray(arr).astype(np.asarray(var.numpy()).dtype))
            return
        have = len(opt.variables)
    else:
        have = len(_unbuilt_arrays(opt))                 # Keras's unbuilt ``iteration``, ``lr``
        if len(arrays) == have and hasattr(opt, "optimizers"):        # MultiOptimizer: each inner rate
            _set_unbuilt_rates(opt, arrays)
            return
        if len(arrays) == have:
            if have == 2:
                opt.learning_rate = float(arrays[1])
            if int(arrays[0]) != 0:                   # a slotless optimizer's steps (SGD without momentum)
                restore_optimizer_arrays(model, [arrays[0], None], "load_weights")
            return
    import warnings
    warnings.warn(f"Skipping variable loading for optimizer '{opt.name}', because it has {have} variables "
                  f"whereas the saved optimizer has {len(arrays)} variables. ", stacklevel=3)


def _set_unbuilt_rates(multi, arrays: list) -> None:
    k = 2
    for inner in multi.optimizers:
        k += 1                                           # its ``iteration`` (0 before build)
        if isinstance(inner.learning_rate, (int, float)):
            inner.learning_rate = float(arrays[k])
            k += 1


def load_optimizer_h5(model, f, where: str) -> bool:
    """Restore the optimizer state from ``optimizer/vars`` of an open file (after compile). True when done."""
    return restore_optimizer_arrays(model, _read_group(f, "optimizer/vars", where), where)


def restore_optimizer_arrays(model, arrays: list, where: str) -> bool:
    """Set the optimizer state from Keras's variable list (iterations, learning rate, slots per weight)."""
    import jax
    import jax.numpy as jnp
    if not arrays or getattr(model, "optimizer", None) is None:
        return False
    opt = model.optimizer
    traced = model.trace(training=True)
    params, _, _ = model._split(traced)
    specs = {v.ir_name: jax.ShapeDtypeStruct(v.shape, v.dtype) for v in params}
    opt.build(params)                              # (a MultiOptimizer's state depends on its routing)
    state = jax.tree_util.tree_map(lambda s: np.zeros(s.shape, s.dtype), jax.eval_shape(opt.init, specs))
    trainable = model.trainable_weights
    nested = getattr(opt, "nested_state", False)
    if len(arrays) != (len(opt.variables) if nested else 2 + len(trainable) * len(opt.slot_names)):
        import warnings
        warnings.warn(f"{where}: the optimizer state ({len(arrays)} variables) does not fit this model and "
                      f"optimizer; the optimizer starts fresh", stacklevel=4)
        return False
    if nested:
        state = jax.tree_util.tree_map(lambda a, ref: np.asarray(a).astype(ref.dtype),
                                       opt.state_from_values(arrays, [v.ir_name for v in params], state), state)
    else:
        state["iterations"] = np.asarray(arrays[0]).astype(np.asarray(state["iterations"]).dtype)
        i = 2
        for var in trainable:
            for slot in opt.slot_names:
                state[slot][var.ir_name] = arrays[i].astype(var.dtype)
                i += 1
    model._opt_state = jax.tree_util.tree_map(jnp.array, state)
    model._opt_keys = tuple(sorted(specs))
    from ..training.state import bind_optimizer
    bind_optimizer(model._model_state, opt, params)          # optimizer.variables show the restored state
    return True


def _text(v):
    return v.decode("utf8") if isinstance(v, bytes) else str(v)


def load_legacy_h5(model, filepath):
    """Load a legacy (Keras 2 / ``model.save("x.h5")``) HDF5 weights file by layer name.

    Each layer group lists its ``weight_names``; they are a layer's trainable
    then non-trainable weights, which is kxla's order too. This is the layout
    of the ImageNet weight files ``keras.applications`` downloads.
    """
    h5py = require_h5py()
    where = os.fspath(filepath)
    _ensure_built(model)
    by_name = {layer.name: layer for layer in model.layers}
    assignments = []
    with h5py.File(where, "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in g.attrs:
            raise FormatError(f"{where}: not a legacy Keras HDF5 weights file (no layer_names)")
        for name in (_text(n) for n in g.attrs["layer_names"]):
            group = g[name]
            arrays = [np.asarray(group[_text(w)]) for w in group.attrs.get("weight_names", [])]
            if not arrays:
                continue
            layer = by_name.get(name)
            if layer is None:
                raise ValueError(f"{where}: the file has weights for layer {name!r}, which the model lacks")
            variables = list(layer._trainable_variables) + list(layer._non_trainable_variables)
            if len(variables) != len(arrays) or any(tuple(v.shape) != a.shape for v, a in zip(variables, arrays)):
                raise ValueError(f"{where}: layer {name!r} expects weights of shapes "
                                 f"{[tuple(v.shape) for v in variables]}, the file holds {[a.shape for a in arrays]}")
            assignments += list(zip(variables, arrays))
    for var, arr in assignments:
        var.assign(arr.astype(var.dtype))
