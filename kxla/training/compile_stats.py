"""Counting traces and XLA compilations per model and mode, from JAX's own monitoring events.

``with stats.collect("train"):`` around a call of a jitted function attributes
every JAX trace / lowering / backend-compile event fired on this thread to
that model and mode. ``kxla.testing.assert_max_compiles`` builds on the same
listeners.

With the persistent compilation cache on (``kxla.config.enable_compilation_cache``)
JAX still fires its backend-compile event when it *loads* an executable from
the cache; such an event follows a ``cache_hits`` event and is counted as a
``cache_load``, not as a compilation.
"""
from __future__ import annotations

import contextlib
import threading
from collections import defaultdict

from jax import monitoring

_local = threading.local()
_EVENTS = {
    "/jax/core/compile/jaxpr_trace_duration": "trace",
    "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
    "/jax/core/compile/backend_compile_duration": "compile",
}
_CACHE_EVENTS = {
    "/jax/compilation_cache/cache_hits": "cache_hits",
    "/jax/compilation_cache/cache_misses": "cache_misses",
}
_installed = False
_install_lock = threading.Lock()


def _collectors() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def _on_duration(event: str, duration: float, **kwargs):
    kind = _EVENTS.get(event)
    if kind:
        for collector in _collectors():
            collector.add(kind, duration)


def _on_event(event: str, **kwargs):
    kind = _CACHE_EVENTS.get(event)
    if kind:
        for collector in _collectors():
            collector.add(kind, 0.0)


def _install():
    global _installed
    if not _installed:
        with _install_lock:
            if not _installed:
                monitoring.register_event_duration_secs_listener(_on_duration)
                monitoring.register_event_listener(_on_event)
                _installed = True


class _Counter:
    """Adds events to ``sink[kind] = {"count", "seconds"}``; a compile right after a cache hit is a load."""

    __slots__ = ("sink", "pending_hits")

    def __init__(self, sink):
        self.sink = sink
        self.pending_hits = 0

    def add(self, kind, seconds):
        if kind == "cache_hits":
            self.pending_hits += 1
        elif kind == "compile" and self.pending_hits:
            self.pending_hits -= 1
            kind = "cache_load"
        entry = self.sink[kind]
        entry["count"] += 1
        entry["seconds"] += seconds


class _Collect:
    """A cheap reusable context manager (fit enters one per step)."""

    __slots__ = ("counter",)

    def __init__(self, counter):
        self.counter = counter

    def __enter__(self):
        _collectors().append(self.counter)
        return self

    def __exit__(self, *exc):
        stack = _collectors()
        if stack and stack[-1] is self.counter:
            stack.pop()
        else:
            stack.remove(self.counter)
        return False


def _counts():
    return defaultdict(lambda: {"count": 0, "seconds": 0.0})


@contextlib.contextmanager
def counting():
    """Count every trace/lower/compile on this thread inside the block: yields the counts dict.

    ``counts["compile"]`` counts real XLA compilations only; loads from the
    persistent cache are under ``counts["cache_load"]``.
    """
    _install()
    counts = _counts()
    counter = _Counter(counts)
    _collectors().append(counter)
    try:
        yield counts
    finally:
        _collectors().remove(counter)


class CompileStats:
    """Per-mode counts and seconds of traces, lowerings, XLA compilations and cache use of one model."""

    def __init__(self):
        self.modes: dict = defaultdict(_counts)
        self._collectors: dict = {}

    def collect(self, mode: str) -> _Collect:
        """Context manager attributing this thread's compile events inside it to ``mode``."""
        c = self._collectors.get(mode)
        if c is None:
            _install()
            c = self._collectors[mode] = _Collect(_Counter(self.modes[mode]))
        return c

    def as_dict(self) -> dict:
        """``{mode: {"traces", "lowers", "compiles", "cache_hits", "cache_misses",
        "trace_seconds", "lower_seconds", "compile_seconds", "cache_load_seconds"}}``."""
        out = {}
        for mode, kinds in self.modes.items():
            entry = {"traces": 0, "lowers": 0, "compiles": 0, "cache_hits": 0, "cache_misses": 0}
            for kind, v in kinds.items():
                if kind.startswith("cache_") and kind != "cache_load":
                    entry[kind] = v["count"]
                elif kind != "cache_load":
                    entry[f"{kind}s"] = v["count"]
            for kind in ("trace", "lower", "compile", "cache_load"):
                entry[f"{kind}_seconds"] = round(kinds[kind]["seconds"], 6) if kind in kinds else 0.0
            out[mode] = entry
        return out

    def summary(self, mode: str, since: dict | None = None) -> str:
        """One line for fit's verbose output: counts, the trace/lower/compile split, cache hits/misses.

        Arguments:
          mode: "train", "evaluate" or "predict".
          since: an earlier ``as_dict()``; the line then describes only what happened after it.
        """
        d = self.as_dict().get(mode)
        if d is None:
            return f"{mode}: nothing compiled"
        if since and mode in since:
            d = {k: v - since[mode].get(k, 0) for k, v in d.items()}
        return format_line(mode, d)


def format_line(mode: str, d: dict) -> str:
    """``train: 1 XLA compilation (trace 0.31s, lower 0.09s, compile 2.10s); persistent cache: ...``."""
    line = (f"{mode}: {d['compiles']} XLA compilation{'s' if d['compiles'] != 1 else ''} "
            f"(trace {d['trace_seconds']:.2f}s, lower {d['lower_seconds']:.2f}s, "
            f"compile {d['compile_seconds']:.2f}s)")
    if d["cache_hits"] or d["cache_misses"]:
        line += (f"; persistent cache: {d['cache_hits']} hit{'s' if d['cache_hits'] != 1 else ''} "
                 f"({d['cache_load_seconds']:.2f}s loading), {d['cache_misses']} miss"
                 f"{'es' if d['cache_misses'] != 1 else ''}")
    return line
