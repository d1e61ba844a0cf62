"""kxla.passes — graph-to-graph transformations of the kxla IR and the manager that runs them.

    from kxla.passes import PassManager, available
    pm = PassManager("shape-inference,fold-batchnorm,convert-layout{to=channels_last},cse,dce")
    optimized = pm.run(graph)
    print(pm.report())

A pass is a small frozen dataclass (``Pass``) with a class-level ``name`` and
``run(graph, rw) -> bool``; every mutation goes through the ``Rewriter`` ``rw``
(which counts nodes inserted/removed/replaced). Built-in passes live one per
file in this package and are imported only when a pipeline names them, so
``import kxla.passes`` stays cheap. ``@register("name")`` adds a user pass.
"""
from __future__ import annotations

import dataclasses
import difflib
import importlib

from .base import Pass, PassError, PassOptionError
from .manager import PassManager, PassStatistics, PassVerificationError, parse_pipeline, pipeline_text
from .pipelines import INFERENCE_PIPELINE, TRAINING_PIPELINE, inference_pipeline, preferred_layout
from .pipelines import training_pipeline
from .rewriter import Builder, Rewriter

__all__ = [
    "Pass", "PassError", "PassOptionError", "PassVerificationError", "PassManager", "PassStatistics",
    "Rewriter", "Builder", "register", "available", "get_pass_class", "parse_pipeline", "pipeline_text",
    "TRAINING_PIPELINE", "INFERENCE_PIPELINE", "inference_pipeline", "preferred_layout", "training_pipeline",
]

# name -> (module in this package, class name, one-line description). Modules load on first use.
_BUILTIN: dict[str, tuple[str, str, str]] = {
    "shape-inference": ("shape_inference", "ShapeInference",
                        "fill every value's type (and default attributes) from the op shape rules"),
    "specialize": ("specialize", "Specialize",
                   "fix the unknown batch dimension of the graph inputs to `batch` and re-infer types"),
    "dce": ("dce", "DeadCodeElimination", "remove nodes whose results are never read"),
    "cse": ("cse", "CommonSubexpressionElimination",
            "merge nodes computing the same op on the same inputs (never random ops)"),
    "constant-folding": ("constant_folding", "ConstantFolding",
                         "evaluate subgraphs fed only by `constant` nodes (parameters are not constants)"),
    "canonicalize": ("canonicalize", "Canonicalize",
                     "algebraic simplifications: x*1, x+0, -(-x), reshape/transpose chains, no-op casts"),
    "fold-batchnorm": ("fold_batchnorm", "FoldBatchNorm",
                       "fold inference batch_norm into the preceding conv/matmul (kernel and bias "
                       "rescaled in the graph)"),
    "fuse-bias-activation": ("fuse_bias_activation", "FuseBiasActivation",
                             "matmul/conv + bias_add + activation -> dense / conv with bias and activation attributes"),
    "fuse-parallel-matmul": ("fuse_parallel_matmul", "FuseParallelMatmul",
                             "matmuls sharing an input -> one matmul on concatenated kernels + split"),
    "convert-layout": ("convert_layout", "ConvertLayout",
                       "rewrite layout-sensitive ops to one data_format, moving transposes to the edges"),
    "cancel-transposes": ("cancel_transposes", "CancelTransposes",
                          "fold chains of transposes and drop identity ones"),
    "mixed-precision": ("mixed_precision", "MixedPrecision",
                        "run matmul/conv in bfloat16 or float16: casts around them, float32 elsewhere"),
}
_USER: dict[str, type] = {}


def available(include_user: bool = True) -> dict[str, str]:
    """``{pass name: one-line description}`` for built-in and (``include_user``) registered passes.

    Imports no pass module.
    """
    out = {name: desc for name, (_, _, desc) in _BUILTIN.items()}
    if include_user:
        for name, cls in _USER.items():
            out[name] = (cls.__doc__ or "").strip().split("\n")[0]
    return dict(sorted(out.items()))


def get_pass_class(name: str) -> type:
    """The Pass class registered under ``name`` (importing its module on first use).

    Raises:
      PassOptionError: unknown name, with the closest registered one.
    """
    if name in _USER:
        return _USER[name]
    if name in _BUILTIN:
        module, cls, _ = _BUILTIN[name]
        return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    close = difflib.get_close_matches(name, list(available()), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise PassOptionError(f"unknown pass {name!r}{hint} (see kxla.passes.available())", pass_name=name)


def register(name: str, description: str | None = None):
    """Class or function decorator: make a pass available under ``name`` in pipelines.

    On a class (a ``Pass`` subclass, turned into a frozen dataclass if it is
    not one), sets ``name`` and registers it. On a function
    ``fn(graph, rw) -> bool``, wraps it in an option-less Pass class.

    Example::

        @kxla.passes.register("drop-identity-casts")
        class DropIdentityCasts(kxla.passes.Pass):
            '''Remove casts to the dtype their input already has.'''
            def run(self, graph, rw):
                for node in rw.walk():
                    if node.op == "cast" and node.inputs[0].type == node.result.type:
                        rw.replace_node(node, node.inputs)
                return rw.changed
    """
    if name in _BUILTIN:
        raise ValueError(f"pass name {name!r} is taken by a built-in pass")

    def wrap(obj):
        if isinstance(obj, type):
            if not issubclass(obj, Pass):
                raise TypeError(f"@register({name!r}) expects a subclass of kxla.passes.Pass, got {obj!r}")
            cls = obj
            cls.name = name
            if "__dataclass_fields__" not in cls.__dict__:
                cls = dataclasses.dataclass(frozen=True)(cls)
        elif callable(obj):
            fn = obj

            def run(self, graph, rw):
                return fn(graph, rw)

            cls = dataclasses.dataclass(frozen=True)(type(
                fn.__name__, (Pass,), {"name": name, "run": run, "__doc__": fn.__doc__,
                                       "__module__": fn.__module__, "__qualname__": fn.__qualname__}))
            cls.function = staticmethod(fn)
        else:
            raise TypeError(f"@register({name!r}) decorates a Pass class or a function")
        if description is not None:
            cls.__doc__ = description
        _USER[name] = cls
        return cls if isinstance(obj, type) else cls
    return wrap


def unregister(name: str) -> None:
    """Remove a user pass registered with ``register`` (for tests and notebooks)."""
    _USER.pop(name, None)


def __getattr__(attr: str):
    """Lazy access to built-in pass classes by class name: ``kxla.passes.DeadCodeElimination``."""
    for module, cls, _ in _BUILTIN.values():
        if cls == attr:
            return getattr(importlib.import_module(f"{__name__}.{module}"), cls)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
