"""Resolving string identifiers (optimizers, losses, activations, ...) with 'did you mean' errors."""
from __future__ import annotations

import difflib
import re


def snake_case(name: str) -> str:
    """``MaxPooling2D`` -> ``max_pooling2d`` (Keras's rule for default layer names)."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count 1: 'adma' -> 'adam' is 1)."""
    prev2, prev = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def closest(name: str, candidates: list[str]) -> str | None:
    """The candidate nearest to ``name`` by edit distance (ties: difflib's similarity), or None."""
    if not candidates:
        return None
    lowered = name.lower()
    best = min(candidates, key=lambda c: (edit_distance(lowered, c.lower()), edit_distance(name, c),
                                          -difflib.SequenceMatcher(None, lowered, c.lower()).ratio()))
    return best if edit_distance(lowered, best.lower()) <= max(2, len(name) // 3) else None


def resolve(kind: str, identifier: str, table: dict):
    """Return ``table[identifier]`` or raise ValueError listing valid names and the closest match."""
    try:
        return table[identifier]
    except KeyError:
        pass
    lowered = {k.lower(): v for k, v in table.items()}
    if identifier.lower() in lowered:
        return lowered[identifier.lower()]
    hint = closest(identifier, list(table))
    hint = f" Did you mean {hint!r}?" if hint else ""
    raise ValueError(f"Unknown {kind} {identifier!r}.{hint} Valid names: {', '.join(sorted(table))}")
