"""The op catalogue's one-line definitions: ``op(...)`` turns a table row into one OpDef and its public function.

A row names the op, Keras's signature (argument names and defaults, as a
string), the JAX lowering, the numpy reference, a shape family and a dtype
family (``kxla.ops.families``), traits and the keras.ops namespace it belongs
to. ``op`` registers the OpDef (lowering, reference and cost included) with
``defop`` and builds the public function: arguments named in ``tensors`` (or
lists of tensors named in ``lists``) become the node's inputs, every other
argument an attribute. Results are cast to the inferred dtype, so eager,
traced and declared dtypes agree by construction; Python scalars among the
tensor arguments follow Keras's weak typing (``int_tensor + 0.5`` is float32).

``public(ns)`` returns the functions of one namespace ("numpy", "nn",
"linalg", "image" or "core" for top-level kxla.ops only).
"""
from __future__ import annotations

import inspect

import numpy as np

from ..ir import TensorType, canonical_dtype, get_op, is_floating
from . import families as F
from .core import apply, defop
from .rules import remap_axis_attr
from .tracing import KerasTensor, Variable, current_builder

_PUBLIC: dict[str, dict] = {"numpy": {}, "nn": {}, "linalg": {}, "image": {}, "core": {}}


def public(ns: str) -> dict:
    return dict(_PUBLIC[ns])


def _attr_value(name, value):
    if name == "dtype" and value is not None:
        return canonical_dtype(value)
    if isinstance(value, (tuple, list)):
        return [_attr_value("", v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def _weak(value, like):
    """A Python scalar argument as a 0-d array, with Keras's weak-type rule."""
    if like is None:
        return value
    if isinstance(value, bool):
        return np.asarray(value, dtype="bool" if like == "bool" else like)
    if isinstance(value, int):
        return np.asarray(value, dtype="int32" if like == "bool" else like)
    if isinstance(value, float):
        return np.asarray(value, dtype=like if is_floating(like) else F.FLOATX)
    return value


def _dtype_of(x):
    if isinstance(x, (KerasTensor, Variable)):
        return x.dtype
    if hasattr(x, "dtype") and hasattr(x, "shape") and np.ndim(x) > 0 or isinstance(x, np.ndarray):
        return canonical_dtype(x.dtype) if str(x.dtype) not in ("float64", "int64") else \
            {"float64": "float32", "int64": "int32"}[str(x.dtype)]
    return None


def _symbolic(ins) -> bool:
    return any(isinstance(x, KerasTensor) for x in ins) or \
        (current_builder() is not None and any(isinstance(x, Variable) for x in ins))


def _make_public(name, opname, sig_text, tensors, lists, prepare, data_dependent, doc, rename):
    sig = inspect.signature(eval(f"lambda {sig_text}: None"))     # noqa: S307 (constant strings of this module)

    def fn(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        ins, attrs = [], {}
        for key, value in bound.arguments.items():
            if key in tensors:
                ins.append(value)
            elif key in lists:
                ins.extend(value)
            else:
                attrs[rename.get(key, key)] = _attr_value(key, value)
        if prepare is not None:
            ins, attrs = prepare(ins, attrs)
        if data_dependent and _symbolic(ins):
            raise ValueError(f"ops.{name}: the output shape depends on the input's values, so it cannot "
                             "be computed on a symbolic tensor (inside a model or jit); call it on arrays")
        like = next((d for d in map(_dtype_of, ins) if d is not None), None)
        ins = [_weak(x, like) for x in ins]
        return apply(opname, *ins, **attrs)

    fn.__name__ = fn.__qualname__ = name
    fn.__signature__ = sig
    fn.__doc__ = doc
    fn.op_name = opname          # the IR op this function records
    return fn


def _cast_wrap(opname, fn, cast_in):
    """Run ``fn`` with inputs cast as the row asks and outputs cast to the inferred dtypes."""
    def run(*arrays, **attrs):
        out_types = get_op(opname).infer_types([TensorType(np.shape(a), canonical_dtype(a.dtype))
                                                for a in arrays], attrs)
        if cast_in == "result":
            arrays = [a.astype(out_types[0].dtype) for a in arrays]
        elif cast_in == "promote" and arrays:
            common = F.promote_all([canonical_dtype(a.dtype) for a in arrays], attrs)
            arrays = [a.astype(common) for a in arrays]
        out = fn(*arrays, **attrs)
        if isinstance(out, (tuple, list)):
            return tuple(o.astype(t.dtype) for o, t in zip(out, out_types))
        return out.astype(out_types[0].dtype)
    return run


def op(name, sig, lower, reference, *, shape, dtype, ns="numpy", tensors=None, lists=(), traits=(),
       layout=None, cost=None, cast_in=None, prepare=None, doc="", ir_name=None, attrs_kinds=None, rename=None,
       extra_attrs=None):
    """Define op ``name`` (see module doc); returns its public function.

    ``rename`` maps an argument name to its attribute name where the IR text cannot spell it
    (``nan``, ``inf``: the parser reads them as numbers). ``extra_attrs``: attributes that are not
    arguments (``{name: Attr}``), which ``prepare`` fills (e.g. the configured epsilon).
    """
    rename = rename or {}
    from ..ir import Attr
    params = inspect.signature(eval(f"lambda {sig}: None")).parameters    # noqa: S307
    if tensors is None:
        tensors = tuple(k for k, p in params.items() if p.default is inspect.Parameter.empty and k not in lists)
    opname = ir_name or name
    attr_schema = {rename.get(k, k): (attrs_kinds or {}).get(k, Attr("any", None if p.default is inspect.Parameter.empty
                                                      else _attr_value(k, p.default)))
                   for k, p in params.items() if k not in tensors and k not in lists}
    attr_schema.update(extra_attrs or {})
    data_dependent = "data_dependent_shape" in traits
    shape_rule = F.by_reference(reference) if shape == "ref" else \
        F.by_reference(reference, eye=True) if shape == "ref_matrix" else shape
    if layout is None:
        layout = "agnostic" if "elementwise" in traits else "axis" if shape is F.reduce else "opaque"
    n_in = None if lists else len(tensors)
    defop(opname, infer=F.infer_rule(shape_rule, dtype), layout=layout, attrs=attr_schema, arity=n_in,
          remap_axes=remap_axis_attr("axis") if layout == "axis" else None, doc=doc or name,
          traits=traits, cost=cost or (F.per_output() if "elementwise" in traits else
                                       F.per_input() if shape is F.reduce else F.movement),
          reference=_cast_wrap(opname, reference, cast_in) if reference is not None else None,
          public=None if ns is None else f"kxla.ops.{'' if ns == 'core' else ns + '.'}{name}")(
        (lambda run: lambda ctx, *a, **k: run(*a, **k))(_cast_wrap(opname, lower, cast_in)))
    fn = _make_public(name, opname, sig, tensors, lists, prepare, data_dependent, doc or name, rename)
    if ns is not None:
        _PUBLIC[ns][name] = fn
    return fn


def alias(name, fn, ns="numpy"):
    """Publish an existing public function under another Keras name."""
    _PUBLIC[ns][name] = fn
    return fn
