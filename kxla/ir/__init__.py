"""kxla.ir — the typed SSA intermediate representation (no jax, nothing else of kxla).

Public: ``TensorType``, ``Value``, ``Node``, ``Graph``, ``parse``,
``print_graph``, ``verify``, ``VerificationError``, ``ParseError`` (alias ``IRSyntaxError``) and the
op-metadata table (``OpDef``, ``Attr``, ``register_op``, ``get_op``).
"""
from .types import TensorType, canonical_dtype, is_floating, DTYPE_SHORT
from .graph import Value, Node, Graph, merge_layers
from .registry import Attr, OpDef, REQUIRED, LAYOUTS, TRAITS, register_op, get_op, has_op, all_ops
from .registry import canonical_op_name, activation_forms, activation_form
from .printer import print_graph, to_dot, format_attr
from .parser import parse, IRSyntaxError, ParseError
from .verifier import verify, VerificationError

__all__ = [
    "TensorType", "canonical_dtype", "is_floating", "DTYPE_SHORT", "Value", "Node", "Graph", "merge_layers",
    "Attr", "OpDef", "REQUIRED", "LAYOUTS", "TRAITS", "register_op", "get_op", "has_op", "all_ops",
    "canonical_op_name", "activation_forms", "activation_form",
    "print_graph", "to_dot", "format_attr", "parse", "IRSyntaxError", "ParseError", "verify", "VerificationError",
]
