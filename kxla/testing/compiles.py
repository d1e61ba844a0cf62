"""``assert_max_compiles``: fail when code compiles with XLA more often than allowed (a recompile guard)."""
from __future__ import annotations

import contextlib

from ..training.compile_stats import counting


class TooManyCompilesError(AssertionError):
    """The guarded block compiled more XLA programs than allowed."""


@contextlib.contextmanager
def assert_max_compiles(n: int):
    """Context manager: raise ``TooManyCompilesError`` if the block runs more than ``n`` XLA compilations.

    Arguments:
      n: the most backend compilations allowed inside the block (cache hits do not count).

    Returns:
      (yields) the live counts dict, e.g. ``counts["compile"]["count"]``.
    """
    with counting() as counts:
        yield counts
    compiled = counts["compile"]["count"] if "compile" in counts else 0
    if compiled > n:
        raise TooManyCompilesError(f"expected at most {n} XLA compilation(s), got {compiled} "
                                   f"({counts['compile']['seconds']:.2f}s compiling)")
