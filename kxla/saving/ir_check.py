"""Checks at load: the IR stored in a model file is the IR of the model rebuilt from it, and it fits a device.

``kxla dump`` and ``kxla inspect`` show the stored IR text; ``check_stored_ir``
makes sure that text is what runs. Both texts (stored, and printed from the
rebuilt model) are normalized through the parser: argument names and layer
attributions, which depend on auto-generated layer names, are compared by
position; ops, attributes, types, initializers, wiring and outputs are
compared exactly. A graph holding a value larger than ``MAX_SAMPLE_BYTES``
for one sample is refused before anything runs (no device could allocate it).
"""
from __future__ import annotations

import math

from . import format as fmt

__all__ = ["check_stored_ir", "MAX_SAMPLE_BYTES"]


def _ir_text(text: str, where: str) -> str:
    """``text`` parsed and printed again with argument names and layer attributions made positional.

    Auto-generated layer names (``dense_10`` / ``dense_14``) depend on what
    else the process built, so they are not compared: ops, attributes, types,
    weights' types and initializers, the wiring and the outputs are.
    """
    import kxla.ops  # noqa: F401  (registers the ops a stored graph names)
    from ..ir import ParseError, parse
    try:
        graph = parse(text)
    except ParseError as e:
        raise fmt.FormatError(f"{where}: {e}") from None
    for prefix, values in (("x", graph.inputs), ("p", graph.params), ("s", graph.state)):
        for i, v in enumerate(values):
            v.name = f"{prefix}{i}"
    for node in graph.nodes:
        node.layer = None
    return str(graph)


MAX_SAMPLE_BYTES = 1 << 40   # one value of one sample larger than 1 TiB: no machine can run it


def _check_sizes(graph, where: str) -> None:
    """Refuse graphs with a value that needs more than ``MAX_SAMPLE_BYTES`` for one sample (batch 1)."""
    from .format import tensor_dtype
    values = list(graph.inputs) + list(graph.params) + list(graph.state)
    values += [r for node in graph.nodes for r in node.results]
    for v in values:
        size = math.prod(1 if d is None else int(d) for d in v.type.shape) * tensor_dtype(v.type.dtype).itemsize
        if size > MAX_SAMPLE_BYTES:
            node = v.producer
            what = f"%{v.name}" if node is None else f"the result of {node.op}" + (
                f" (layer {node.layer!r})" if node.layer else "")
            raise fmt.FormatError(f"{where}: {what} of type {v.type} needs {size:,} bytes "
                                  f"for one sample, more than the {MAX_SAMPLE_BYTES:,} any device can hold")


def check_stored_ir(model, payload: dict, path: str) -> None:
    """The IR text stored in the file must be the IR of the model rebuilt from it (FormatError otherwise).

    ``kxla dump`` and ``kxla inspect`` show the stored text; this makes sure it
    is what runs. Both texts are normalized through the parser first (so op
    names an older kxla wrote compare under their current names; see
    ``_ir_text`` for what is compared). A graph
    with a value too large to allocate for even one sample is refused here,
    before anything runs.
    """
    for key, training in (("ir", False), ("ir_training", True)):
        stored = payload.get(key)
        if stored is None:
            continue
        where = f"{path}: {key}"
        try:
            graph = model.to_ir(training=training)
        except Exception as e:
            raise fmt.FormatError(f"{where}: the rebuilt model cannot be traced to compare with the stored IR: "
                                  f"{type(e).__name__}: {e}") from e
        _check_sizes(graph, where)
        rebuilt, normalized = _ir_text(str(graph), where), _ir_text(stored, where)
        if normalized != rebuilt:
            raise fmt.FormatError(f"{where}: the stored IR is not the IR of the model the file describes "
                                  f"(first difference: {_first_difference(normalized, rebuilt)}); "
                                  "the file was edited or is corrupted")


def _first_difference(a: str, b: str) -> str:
    for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if x != y:
            return f"line {i}: stored {x.strip()[:80]!r}, rebuilt {y.strip()[:80]!r}"
    return "the number of lines differs"
