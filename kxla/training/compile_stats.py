"""Counting traces and XLA compilations per model and mode, from JAX's own monitoring events.

``with stats.collect("train"):`` around a call of a jitted function attributes
every JAX trace / lowering / backend-compile event fired on this thread to
that model and mode. ``kxla.testing.assert_max_compiles`` builds on the same
listeners.
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


def _collectors() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


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
        monitoring.register_event_duration_secs_listener(_on_duration)
        monitoring.register_event_listener(_on_event)
        _installed = True


class _Counter:
    def __init__(self, sink):
        self.sink = sink

    def add(self, kind, seconds):
        self.sink[kind]["count"] += 1
        self.sink[kind]["seconds"] += seconds


@contextlib.contextmanager
def counting():
    """Count every trace/lower/compile on this thread inside the block: yields the counts dict."""
    _install()
    counts = defaultdict(lambda: {"count": 0, "seconds": 0.0})
    counter = _Counter(counts)
    _collectors().append(counter)
    try:
        yield counts
    finally:
        _collectors().remove(counter)


class CompileStats:
    """Per-mode counts and seconds of traces, lowerings and XLA compilations of one model."""

    def __init__(self):
        self.modes: dict = defaultdict(lambda: defaultdict(lambda: {"count": 0, "seconds": 0.0}))

    @contextlib.contextmanager
    def collect(self, mode: str):
        _install()
        counter = _Counter(self.modes[mode])
        _collectors().append(counter)
        try:
            yield
        finally:
            _collectors().remove(counter)

    def as_dict(self) -> dict:
        out = {}
        for mode, kinds in self.modes.items():
            out[mode] = {f"{kind}s" if not kind.startswith("cache") else kind: v["count"]
                         for kind, v in kinds.items()}
            out[mode].update({f"{kind}_seconds": round(v["seconds"], 6) for kind, v in kinds.items()
                              if not kind.startswith("cache")})
        return out
