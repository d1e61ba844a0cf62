"""Permutation arithmetic shared by the layout passes (numpy ``transpose`` conventions).

``x.transpose(p)`` has axis ``i`` = axis ``p[i]`` of ``x``. A value's layout is
described by the permutation ``P`` with ``physical = logical.transpose(P)``.
"""
from __future__ import annotations

from kxla.ir import TensorType


def identity(rank: int) -> tuple:
    return tuple(range(rank))


def is_identity(perm) -> bool:
    return all(i == p for i, p in enumerate(perm))


def inverse(perm) -> tuple:
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


def compose(p1, p2) -> tuple:
    """``x.transpose(p1).transpose(p2) == x.transpose(compose(p1, p2))``."""
    return tuple(p1[j] for j in p2)


def permute_type(t: TensorType, perm) -> TensorType:
    """The type of ``x.transpose(perm)`` for ``x`` of type ``t``."""
    return TensorType(tuple(t.shape[p] for p in perm), t.dtype)


def to_channels_last(rank: int) -> tuple:
    """NC... -> N...C: ``(0, 2, ..., rank-1, 1)``."""
    return (0,) + tuple(range(2, rank)) + (1,)


def to_channels_first(rank: int) -> tuple:
    """N...C -> NC...: ``(0, rank-1, 1, ..., rank-2)``."""
    return (0, rank - 1) + tuple(range(1, rank - 1))


def format_change(src: str, dst: str, rank: int) -> tuple:
    """The permutation turning a ``src``-format tensor of ``rank`` into ``dst`` format."""
    if src == dst or rank < 3:
        return identity(rank)
    return to_channels_last(rank) if dst == "channels_last" else to_channels_first(rank)
