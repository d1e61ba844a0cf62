"""What XLA receives and produces for a model's steps: program text, cost and memory analysis.

    text = model.lowered_text("stablehlo")                 # what jax hands to XLA (with loc metadata)
    text = model.lowered_text("optimized_hlo", mode="train")
    kxla.debug.xla.memory_analysis(model, mode="train")    # {"argument_bytes": ..., "temp_bytes": ...}
    kxla.debug.xla.cost_analysis(model)                    # XLA's own {"flops": ..., ...}
    kxla.debug.xla.jaxpr(model, mode="train")              # the step's jax.make_jaxpr

Every function lowers the same jitted step ``fit`` / ``evaluate`` / ``predict``
run (``mode`` "train", "evaluate", "predict") on abstract arguments of batch
size ``batch_size`` — nothing is executed. Each IR node is lowered under a
``jax.named_scope`` of its layer path, so layer names appear in the
StableHLO ``loc(...)`` entries and in the HLO ``op_name`` metadata.

Train and evaluate steps need targets: by default ``y`` is shaped like the
model's outputs (for a loss named ``sparse...``, integer labels without the
last axis); pass a sample batch ``x``/``y`` to use its shapes instead.
"""
from __future__ import annotations

import numpy as np

__all__ = ["lowered", "lowered_text", "jaxpr", "cost_analysis", "memory_analysis", "graph_lowered", "STAGES", "MODES"]

STAGES = ("stablehlo", "hlo", "optimized_hlo")
MODES = ("predict", "evaluate", "train")


def _spec(shape, dtype):
    import jax
    return jax.ShapeDtypeStruct(tuple(shape), np.dtype(dtype) if dtype != "bfloat16" else "bfloat16")


def _input_specs(model, batch_size, x):
    if x is not None:
        xs = x if isinstance(x, (list, tuple)) else list(x.values()) if isinstance(x, dict) else [x]
        return [_spec(np.shape(a), model._input_types[i].dtype) for i, a in enumerate(xs)]
    specs = []
    for t in model._input_types:
        dims = [batch_size if i == 0 and d is None else d for i, d in enumerate(t.shape)]
        if any(d is None for d in dims):
            raise ValueError(f"input of shape {t.shape} has unknown non-batch dimensions: pass a sample batch x=")
        specs.append(_spec(dims, t.dtype))
    return specs


def _target_specs(model, batch_size, traced, y):
    if y is not None:
        ys = y if isinstance(y, (list, tuple)) else [y]
        return [_spec(np.shape(a), np.asarray(a).dtype.name if np.asarray(a).dtype != np.float64 else "float32")
                for a in ys]
    _, losses, _, _, _, _ = model._resolve()
    out_types = [v.type for v in traced.graph.outputs[:traced.n_outputs]]
    specs = []
    for t, loss in zip(out_types, losses):
        dims = [batch_size if d is None else d for d in t.shape]
        if loss is not None and "sparse" in (getattr(loss, "name", "") or type(loss).__name__).lower():
            specs.append(_spec(dims[:-1], "int32"))
        else:
            specs.append(_spec(dims, t.dtype))
    return specs


def _variables_specs(variables):
    return {v.ir_name: _spec(v.shape, v.dtype) for v in variables}


def lowered(model, mode: str = "predict", batch_size: int = 32, x=None, y=None):
    """The ``jax.stages.Lowered`` step of ``model`` for ``mode`` (see the module docstring).

    Arguments:
      model: a built kxla Model (compiled for "train" and "evaluate").
      mode: "predict", "evaluate" or "train".
      batch_size: the batch size of the abstract arguments.
      x, y: optional sample batch whose shapes replace the defaults.
    """
    step, args = _step_and_args(model, mode, batch_size, x, y)
    return step.lower(*args)


def jaxpr(model, mode: str = "train", batch_size: int = 32, x=None, y=None):
    """The step's ``jax.make_jaxpr`` (a ``ClosedJaxpr``; arguments as for ``lowered``)."""
    import jax
    step, args = _step_and_args(model, mode, batch_size, x, y)
    return jax.make_jaxpr(step)(*args)


def _step_and_args(model, mode, batch_size, x, y):
    """The jitted step ``mode`` runs and its abstract arguments."""
    import jax
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if getattr(model, "_input_types", None) is None:
        raise ValueError(f"Model {model.name!r} is not built: its input shapes are unknown")
    xs = _input_specs(model, batch_size, x)
    batch = xs[0].shape[0] if xs and xs[0].shape else batch_size
    if mode == "predict":
        traced, _, _ = model._lowered(False)
        p = _variables_specs([v for v in traced.variables if v.kind == "param"])
        st = _variables_specs([v for v in traced.variables if v.kind == "state"])
        return model._predict_fn(), (p, st, xs)
    if not getattr(model, "compiled", False):
        raise ValueError(f"mode={mode!r} needs a compiled model: call model.compile(...) first")
    init_metrics, _ = model._metric_fns()
    ms = jax.eval_shape(init_metrics)
    mask = _spec((batch,), "float32")
    if mode == "evaluate":
        traced, _, _ = model._lowered(False)
        ys = _target_specs(model, batch, traced, y)
        p = _variables_specs([v for v in traced.variables if v.kind == "param"])
        st = _variables_specs([v for v in traced.variables if v.kind == "state"])
        return model._eval_fn(), (p, st, ms, xs, ys, None, mask)
    traced = model.trace(training=True)
    params, frozen, state = model._split(traced)
    p, fz, st = _variables_specs(params), _variables_specs(frozen), _variables_specs(state)
    model.optimizer.build(params)                  # (a MultiOptimizer's state depends on its routing)
    opt = model._opt_state if getattr(model, "_opt_state", None) is not None and \
        getattr(model, "_opt_keys", None) == tuple(sorted(p)) else jax.eval_shape(model.optimizer.init, p)
    ys = _target_specs(model, batch, model._lowered(False)[0], y)
    key = jax.eval_shape(lambda: jax.random.key_data(jax.random.key(0)))
    lr = _spec(np.shape(model.optimizer.step_rate_value()), "float32")      # a MultiOptimizer's: one per inner
    return model._train_fn(1), (p, fz, st, opt, ms, xs, ys, None, mask, key, _spec((), "int32"), lr)


def lowered_text(model, stage: str = "stablehlo", mode: str = "predict", batch_size: int = 32, x=None,
                 y=None) -> str:
    """The step's program text at ``stage``.

    Arguments:
      stage: "stablehlo" (``Lowered.as_text`` with debug locations: what XLA
        receives), "hlo" (the HLO module before optimization, with op_name
        metadata) or "optimized_hlo" (``Compiled.as_text()``: after XLA's passes).
      mode, batch_size, x, y: as for ``lowered``.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    lo = lowered(model, mode, batch_size, x, y)
    return _stage_text(lo, stage)


def _stage_text(lo, stage: str) -> str:
    if stage == "stablehlo":
        return lo.as_text(debug_info=True)
    if stage == "hlo":
        return lo.compiler_ir("hlo").as_hlo_module().to_string()
    return lo.compile().as_text()


def _cost(compiled) -> dict:
    cost = compiled.cost_analysis()
    if isinstance(cost, (list, tuple)):
        cost = cost[0] if cost else {}
    return {k: float(v) for k, v in (cost or {}).items()}


def _memory(compiled) -> dict:
    stats = compiled.memory_analysis()
    if stats is None:
        return {}
    out = {"argument_bytes": stats.argument_size_in_bytes, "output_bytes": stats.output_size_in_bytes,
           "temp_bytes": stats.temp_size_in_bytes, "alias_bytes": stats.alias_size_in_bytes,
           "generated_code_bytes": stats.generated_code_size_in_bytes}
    out = {k: int(v) for k, v in out.items()}
    out["total_bytes"] = out["argument_bytes"] + out["output_bytes"] + out["temp_bytes"] - out["alias_bytes"]
    return out


def cost_analysis(model, mode: str = "predict", batch_size: int = 32, x=None, y=None) -> dict:
    """XLA's ``compiled.cost_analysis()`` of the step (``flops``, ``bytes accessed``, ``transcendentals``...)."""
    return _cost(lowered(model, mode, batch_size, x, y).compile())


def memory_analysis(model, mode: str = "predict", batch_size: int = 32, x=None, y=None) -> dict:
    """XLA's ``compiled.memory_analysis()`` of the step, in bytes.

    Returns:
      ``{"argument_bytes", "output_bytes", "temp_bytes", "alias_bytes",
      "generated_code_bytes", "total_bytes"}`` (total = arguments + outputs +
      temporaries - aliased (donated) bytes).
    """
    return _memory(lowered(model, mode, batch_size, x, y).compile())


def graph_lowered(graph, batch_size: int = 32):
    """Lower a bare IR graph's inference function (no model needed) on abstract arguments."""
    import jax
    from ..lowering import lower
    fn = lower(graph)
    p = {v.name: _spec(v.type.shape, v.type.dtype) for v in graph.params}
    st = {v.name: _spec(v.type.shape, v.type.dtype) for v in graph.state}
    xs = []
    for v in graph.inputs:
        dims = [batch_size if d is None else d for d in v.type.shape]
        xs.append(_spec(dims, v.type.dtype))
    return jax.jit(lambda p, st, xs: fn(p, st, xs, rng=None, training=False)).lower(p, st, xs)


def graph_memory_analysis(graph, batch_size: int = 32) -> dict:
    """``memory_analysis`` for a bare IR graph's inference function."""
    return _memory(graph_lowered(graph, batch_size).compile())


def graph_cost_analysis(graph, batch_size: int = 32) -> dict:
    """``cost_analysis`` for a bare IR graph's inference function."""
    return _cost(graph_lowered(graph, batch_size).compile())
