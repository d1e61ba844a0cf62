"""Keras's progress display: the bar at verbose=1, one line per epoch at verbose=2."""
from __future__ import annotations

import sys
import time

from ..console import print_msg


def format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)))


def _format_time(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


class Progbar:
    """Progress of one epoch (or evaluate/predict run) of ``target`` steps."""

    def __init__(self, target: int | None, verbose: int = 1, width: int = 20, stream=None,
                 interval: float = 0.05):
        self.target, self.verbose, self.width = target, verbose, width
        self.stream = stream or sys.stdout
        self.interval = interval
        self.start = time.perf_counter()
        self._last = 0.0
        self._dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()

    def wants_update(self, finalize: bool = False) -> bool:
        """Whether ``update`` would print now (so callers can skip fetching metrics)."""
        if self.verbose == 0:
            return False
        if finalize:
            return True
        return self.verbose == 1 and self._dynamic and time.perf_counter() - self._last >= self.interval

    def update(self, current: int, logs: dict | None = None, finalize: bool = False):
        if not self.wants_update(finalize):
            return
        self._last = time.perf_counter()
        elapsed = self._last - self.start
        metrics = format_logs(logs or {})
        if self.verbose == 2:
            line = f"{current}/{self.target} - {_format_time(elapsed)} - {_per_step(elapsed, current)}"
            print_msg(line + (f" - {metrics}" if metrics else ""), stream=self.stream)
        else:
            target = self.target or current
            filled = int(self.width * min(current, target) / max(target, 1))
            bar = "━" * filled + " " * (self.width - filled) if not finalize else "━" * self.width
            digits = len(str(target))
            line = f"{current:>{digits}}/{target} {bar} {_format_time(elapsed)} {_per_step(elapsed, current)}"
            if metrics:
                line += f" - {metrics}"
            print_msg(("\r" if self._dynamic else "") + line + ("\n" if finalize else ""), False, self.stream)
