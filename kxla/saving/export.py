"""``kxla.export``: the inference function as a serialized StableHLO artifact (``jax.export``).

The artifact holds the optimized inference graph lowered to StableHLO with
the weights baked in as constants. It needs neither kxla nor the model's
Python code to run::

    kxla.export(model, "model.stablehlo")

    from jax import export
    with open("model.stablehlo", "rb") as f:
        exported = export.deserialize(bytearray(f.read()))
    y = exported.call(x)            # any batch size when the batch dimension is symbolic

Serialization uses jax's own format, which needs the ``flatbuffers`` package.
"""
from __future__ import annotations

import os
import warnings

from .format import write_atomic

__all__ = ["export"]


def _predict_function(model):
    import jax
    traced, fn, _ = model._lowered(False)
    arrays = model._device_arrays(traced.variables)
    params = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "param"}
    state = {v.ir_name: arrays[v.ir_name] for v in traced.variables if v.kind == "state"}
    n_out = traced.n_outputs
    treedef = traced.out_treedef

    def predict(*xs):
        outs, _ = fn(params, state, list(xs), rng=None, training=False)
        return jax.tree_util.tree_unflatten(treedef, list(outs[:n_out]))

    return traced, predict


def export(model, filepath, batch_size: int | None = None, platforms=None):
    """Write ``model``'s inference function as a serialized ``jax.export.Exported`` to ``filepath``.

    Arguments:
      model: a built kxla Model.
      filepath: destination file (written atomically).
      batch_size: None (default) for a symbolic batch dimension, falling back
        to a batch of 1 with a warning if the graph cannot be exported
        symbolically; an int fixes the batch size.
      platforms: platforms to lower for (e.g. ``["cpu", "cuda"]``); default the current backend.

    Returns:
      The ``jax.export.Exported`` object that was written.

    Raises:
      ImportError: the ``flatbuffers`` package (needed by jax's serializer) is missing.
    """
    import jax
    from jax import export as jax_export
    try:
        import flatbuffers  # noqa: F401
    except ImportError:
        raise ImportError("kxla.export needs the 'flatbuffers' package for jax's serialization format: "
                          "pip install flatbuffers") from None
    if getattr(model, "_input_types", None) is None:
        raise ValueError(f"Model {model.name!r} is not built: its input shapes are unknown")
    traced, predict = _predict_function(model)
    jitted = jax.jit(predict)
    kwargs = {"platforms": list(platforms)} if platforms else {}

    def specs(batch):
        out = []
        for t in model._input_types:
            dims = [batch if i == 0 and d is None else d for i, d in enumerate(t.shape)]
            if any(d is None for d in dims):
                raise ValueError(f"input of shape {t.shape}: only the batch dimension may be unknown for export")
            out.append(jax.ShapeDtypeStruct(tuple(dims), t.dtype))
        return out

    if batch_size is None:
        (b,) = jax_export.symbolic_shape("batch")
        try:
            exported = jax_export.export(jitted, **kwargs)(*specs(b))
        except Exception as e:          # shape polymorphism unsupported by some op
            warnings.warn(f"kxla.export: the graph cannot be exported with a symbolic batch dimension "
                          f"({type(e).__name__}: {e}); exporting with batch size 1", stacklevel=2)
            exported = jax_export.export(jitted, **kwargs)(*specs(1))
    else:
        exported = jax_export.export(jitted, **kwargs)(*specs(int(batch_size)))
    write_atomic(os.fspath(filepath), bytes(exported.serialize()))
    return exported
