"""Keras's ``Progbar`` (``kxla.utils.Progbar``; ``ProgbarLogger`` draws with it): the same text as Keras.

``update`` / ``add``, verbose 0/1/2; at verbose=1 the bar is redrawn in place
at most every ``interval`` seconds (on every stream, as Keras on POSIX).

Metrics are averaged over the steps seen unless named in ``stateful_metrics``
(or, with ``stateless_metrics``, averaged only when named there). The text goes
through ``io_utils.print_msg``: stdout, or ``logging`` with interactive logging off.
"""
from __future__ import annotations

import math
import time

import numpy as np

from ..console import print_msg


class Progbar:
    """Displays a progress bar of ``target`` steps (None: unknown)."""

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided. `stateful_metrics` is "
                "used to make metrics stateless by default (with an exclusion list), while `stateless_metrics` "
                "is used to make metrics stateful by default (with an exclusion list).")
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self.stateful_metrics = (None if stateless_metrics is not None
                                 else set(stateful_metrics) if stateful_metrics is not None else set())
        # Keras's test is always true on POSIX ("posix" is in sys.modules): redraw in place.
        self._dynamic_display = True
        self._seen_so_far = 0
        self._values, self._values_order = {}, []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def update(self, current, values=None, finalize=None):
        """Show step ``current``; ``values`` is a list of ``(name, value_for_last_step)``."""
        if finalize is None:
            finalize = False if self.target is None else current >= self.target
        self._accumulate(current, values or [], finalize)
        self._show(current, time.time(), finalize)

    def due(self, now: float) -> bool:
        """Whether an update at time ``now`` (``time.time()``) would redraw the verbose=1 bar."""
        return self.verbose == 1 and now - self._last_update >= self.interval

    def _show(self, current, now, finalize):
        per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._print_bar(current, now, per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            info = f"%{digits}d/%d" % (current, self.target) + f" - {now - self._start:.0f}s"
            info += " -" + self._format_time(per_unit, self.unit_name)
            for k in self._values_order:
                total, count = self._values[k]
                avg = (total if isinstance(total, float) else np.mean(total)) / max(1, count)
                info += f" - {k}:" + (f" {avg:.4f}" if avg > 1e-3 else f" {avg:.4e}")
            print_msg(info + "\n", line_break=False)
        self._last_update = now

    def add(self, n, values=None):
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _accumulate(self, current, values, finalize):
        for k, v in values:
            if k not in self._values_order:
                self._values_order.append(k)
            stateless = (k not in self.stateful_metrics if self.stateful_metrics is not None
                         else k in self.stateless_metrics)
            if stateless and not finalize:
                base = max(current - self._seen_so_far, 1)
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
            else:
                self._values[k] = [v, 1]
        self._seen_so_far = current

    def _print_bar(self, current, now, per_unit, finalize):
        message = "\b" * self._prev_total_width + "\r"
        special = 0
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            bar = "\x1b[1m" + f"%{digits}d/%d" % (current, self.target) + "\x1b[0m "
            filled = int(self.width * float(current) / self.target)
            special += 8
            if filled > 0:
                bar += f"\33[32m{'━' * filled}\x1b[0m"
                special += 9
            bar += f"\33[37m{'━' * (self.width - filled)}\x1b[0m"
            special += 9
        else:
            bar = "%7d/Unknown" % current
        if self.target is not None and self.target > 0 and not finalize:
            info = f" \x1b[1m{_eta(per_unit * (self.target - current))}\x1b[0m"
        else:
            info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
        special += 8
        info += self._format_time(per_unit, self.unit_name)
        for k in self._values_order:
            total, count = self._values[k]
            avg = (total if isinstance(total, float) else np.mean(total)) / max(1, count)
            info += f" - {k}:" + (f" {avg:.4f}" if abs(avg) > 1e-3 else f" {avg:.4e}")
        width = len(bar) + len(info) - special
        message += bar + info
        if self._prev_total_width > width:
            message += " " * (self._prev_total_width - width)
        if finalize:
            message += "\n"
        print_msg(message, line_break=False)
        self._prev_total_width = width

    @staticmethod
    def _format_time(time_per_unit, unit_name):
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1000.0:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1000000.0:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current, now):
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit


def _eta(eta: float) -> str:
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta
