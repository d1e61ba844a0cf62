"""The op table the IR is checked against: each op's attribute schema, shape rule and layout.

This module holds metadata only (no jax). ``kxla.ops`` fills it: each op is
defined once there with ``kxla.ops.defop``, which also attaches the JAX
lowering rule to the same ``OpDef``. The verifier and the passes read this
table; they never import jax.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .graph import Graph
from .types import TensorType

REQUIRED = object()

# How an op reacts to a change of data layout (see passes/convert_layout.py):
#   "agnostic"  - elementwise: the result has the layout of its inputs.
#   "axis"      - carries axis attributes; ``remap_axes(attrs, perm)`` rewrites them.
#   "sensitive" - carries a ``data_format`` attribute; the layout pass sets it.
#   "opaque"    - fixed meaning of dimensions (reshape, matmul, ...): a layout barrier.
LAYOUTS = ("agnostic", "axis", "sensitive", "opaque")

# Facts about an op that passes, the trainer and the debugger ask (``"commutative" in op.traits``)
# instead of keeping lists of op names.
TRAITS = frozenset({
    "elementwise",      # result[i] depends on input[i] only (after broadcasting)
    "commutative",      # binary op with f(a, b) == f(b, a)
    "random",           # draws from the RNG: never CSE'd, never folded
    "compute_heavy",    # matmul / convolution class: kept in the compute dtype by mixed precision
    "activation",       # a pointwise activation that fusion may fold into a producer
    "convolution",      # a convolution: takes an optional bias input and an ``activation`` attribute
    "pooling",          # a pooling window (max / average)
    "window",           # slides a window over spatial dims (convolution, pooling): XLA:CPU runs it
                        # 6-10x slower inside a loop body (lax.scan) than in straight-line code
    "reduction",        # reduces over axes
    "data_movement",    # moves or reinterprets elements without arithmetic (reshape, transpose, ...)
    "data_dependent_shape",  # output shape depends on values (nonzero, unique): not traceable
})

_ATTR_KINDS = {
    "int": (int,), "float": (int, float), "bool": (bool,), "str": (str,),
    "ints": (list,), "floats": (list,), "any": (object,), "optional_int": (int, type(None)),
    "optional_ints": (list, type(None)), "optional_str": (str, type(None)),
    "optional_float": (int, float, type(None)), "array": (list, int, float, bool),
    "region": (Graph,),     # a sub-graph (an op's body, e.g. scan's): see kxla.ir.graph's module doc
}


@dataclass(frozen=True)
class Attr:
    """One attribute in an op schema: its kind (see ``_ATTR_KINDS``), default and allowed values."""

    kind: str
    default: Any = REQUIRED
    choices: tuple | None = None

    def check(self, op: str, name: str, value) -> None:
        allowed = _ATTR_KINDS[self.kind]
        if isinstance(value, bool) and self.kind not in ("bool", "any", "array"):
            raise TypeError(f"{op}: attribute {name!r} expects {self.kind}, got bool {value!r}")
        if not isinstance(value, allowed):
            raise TypeError(f"{op}: attribute {name!r} expects {self.kind}, got {value!r}")
        if self.kind in ("ints",) and not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise TypeError(f"{op}: attribute {name!r} expects a list of ints, got {value!r}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"{op}: attribute {name!r} must be one of {self.choices}, got {value!r}")


@dataclass
class OpDef:
    """Everything kxla knows about one op.

    Attributes:
      name: op name as written in IR text.
      attrs: ordered attribute schema (the printer keeps this order).
      infer: shape/dtype rule ``infer(input_types, attrs) -> list[TensorType]``.
      layout: one of ``LAYOUTS``.
      arity: number of inputs, or None for variadic.
      lower: JAX lowering rule ``lower(ctx, *arrays, **attrs)`` (attached by kxla.ops).
      remap_axes: for layout "axis": ``remap_axes(attrs, perm, input_types) -> attrs``.
      effect: None for pure ops; "random" for ops that draw from the RNG (never CSE'd).
      doc: one line.
      traits: facts passes and the trainer ask instead of name lists, from ``TRAITS``.
      cost: ``cost(input_types, output_types, attrs) -> {"flops": int, "bytes": int}`` (None: unknown).
      reference: numpy reference ``reference(*np_arrays, **attrs)`` used by constant folding and
        tests (None: the op cannot be folded).
      public: the public function's dotted name (``"kxla.ops.relu"``), None for internal ops.
      aliases: older names of this op (``"conv2d"`` for ``"conv"``); IR text and saved models
        that use them load as this op (see ``canonical_op_name``).
      extra: op-specific facts other code may ask, e.g. ``"activation_forms"`` (see
        ``activation_forms``) or ``"kernel_out_axis"`` (the kernel axis of the output channels).
    """

    name: str
    attrs: dict
    infer: Callable[[list, dict], list]
    layout: str
    arity: int | None = 1
    lower: Callable | None = None
    remap_axes: Callable | None = None
    effect: str | None = None
    doc: str = ""
    traits: frozenset = frozenset()
    cost: Callable | None = None
    reference: Callable | None = None
    public: str | None = None
    aliases: tuple = ()
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.traits = frozenset(self.traits)
        unknown = self.traits - TRAITS
        if unknown:
            raise ValueError(f"op {self.name!r}: unknown trait(s) {sorted(unknown)}; known: {sorted(TRAITS)}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"op {self.name!r}: layout must be declared as one of {LAYOUTS}, got {self.layout!r}")
        if self.layout == "axis" and self.remap_axes is None:
            raise ValueError(f"op {self.name!r}: layout 'axis' needs a remap_axes rule")

    def normalize_attrs(self, attrs: dict) -> dict:
        """Fill defaults, check kinds and unknown names; return attrs in schema order."""
        unknown = set(attrs) - set(self.attrs)
        if unknown:
            raise ValueError(f"{self.name}: unknown attribute(s) {sorted(unknown)}; "
                             f"schema has {list(self.attrs)}")
        out = {}
        for key, spec in self.attrs.items():
            if key in attrs:
                value = attrs[key]
            elif spec.default is REQUIRED:
                raise ValueError(f"{self.name}: missing required attribute {key!r}")
            else:
                value = spec.default
            if isinstance(value, tuple):
                value = list(value)
            spec.check(self.name, key, value)
            out[key] = value
        return out

    def infer_types(self, input_types: list[TensorType], attrs: dict) -> list[TensorType]:
        if self.arity is not None and len(input_types) != self.arity:
            raise ValueError(f"{self.name} takes {self.arity} input(s), got {len(input_types)}")
        return list(self.infer(list(input_types), attrs))


_REGISTRY: dict[str, OpDef] = {}
_ALIASES: dict[str, str] = {}          # derived from OpDef.aliases by register_op
_FORMS: list = []                      # activation_forms() cache, emptied by register_op


def register_op(opdef: OpDef) -> OpDef:
    for name in (opdef.name, *opdef.aliases):
        if name in _REGISTRY or name in _ALIASES:
            raise ValueError(f"op {name!r} is already registered")
    _REGISTRY[opdef.name] = opdef
    for alias in opdef.aliases:
        _ALIASES[alias] = opdef.name
    _FORMS.clear()
    return opdef


def canonical_op_name(name: str) -> str:
    """The current name of op ``name`` (an older name listed in some ``OpDef.aliases`` maps to it)."""
    return _ALIASES.get(name, name)


def get_op(name: str) -> OpDef:
    try:
        return _REGISTRY[_ALIASES.get(name, name)]
    except KeyError:
        import difflib
        close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown op {name!r}{hint}") from None


def has_op(name: str) -> bool:
    return name in _REGISTRY or name in _ALIASES


def activation_forms() -> dict:
    """``{form: (op name, attrs)}`` for every op with the "activation" trait, plus ``"linear"``.

    A form is the value of an ``activation`` attribute (fused convolutions and
    dense, recurrent ops). An activation op lists its forms in
    ``extra["activation_forms"]`` (``{"gelu": {"approximate": True}, ...}``);
    without that entry its one form is its own name with default attributes.
    """
    if _FORMS:
        return dict(_FORMS[0])
    forms = {"linear": (None, {})}
    for op in _REGISTRY.values():
        if "activation" in op.traits:
            for form, attrs in op.extra.get("activation_forms", {op.name: {}}).items():
                try:
                    forms[form] = (op.name, op.normalize_attrs(attrs))
                except (TypeError, ValueError):
                    continue                  # an attribute without a default: no attribute-free form
    _FORMS.append(forms)
    return dict(forms)


def activation_form(op: str, attrs: dict) -> str | None:
    """The form name equivalent to an activation node ``op{attrs}``, or None (not fusable)."""
    opdef = _REGISTRY.get(canonical_op_name(op))
    if opdef is None or "activation" not in opdef.traits:
        return None
    full = opdef.normalize_attrs(attrs)
    activation_forms()
    for form, (op_name, form_attrs) in _FORMS[0].items():
        if op_name == opdef.name and form_attrs == full:
            return form
    return None


def all_ops() -> dict[str, OpDef]:
    return dict(_REGISTRY)
