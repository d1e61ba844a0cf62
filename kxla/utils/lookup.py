"""Resolving string identifiers (optimizers, losses, activations, ...) with 'did you mean' errors."""
from __future__ import annotations

import difflib
import re


def snake_case(name: str) -> str:
    """``MaxPooling2D`` -> ``max_pooling2d`` (Keras's rule for default layer names)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def resolve(kind: str, identifier: str, table: dict):
    """Return ``table[identifier]`` or raise ValueError listing valid names and the closest match."""
    try:
        return table[identifier]
    except KeyError:
        pass
    lowered = {k.lower(): v for k, v in table.items()}
    if identifier.lower() in lowered:
        return lowered[identifier.lower()]
    close = difflib.get_close_matches(identifier, list(table), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"Unknown {kind} {identifier!r}.{hint} Valid names: {', '.join(sorted(table))}")
