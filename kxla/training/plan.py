"""The execution plan of ``steps_per_execution``: one ``lax.scan`` dispatch of K steps, or K single steps.

``execution_plan(...)`` is the rule (per backend and model) behind
``compile(execution="auto")``; ``units`` turns an epoch's batches into the
dispatches the loop runs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import jax

from ..ir import get_op
from . import data as data_mod



@dataclass(frozen=True)
class ExecutionPlan:
    """How fit runs ``steps_per_execution`` steps: ``mode`` "single", "scan" (one dispatch of ``k``
    stacked steps) or "loop" (``k`` single-step dispatches per callback); ``reason`` says why;
    ``stacked_bytes`` estimates the host/device bytes of batches in flight."""

    mode: str
    k: int
    reason: str
    stacked_bytes: int = 0


def execution_plan(mode: str, k: int, graph, batch_bytes: int, prefetch: int) -> ExecutionPlan:
    """Scan ``k`` steps in one dispatch, or loop over single steps? (see ``ExecutionPlan``).

    Rule for ``execution="auto"``, per backend and model:

    * ``k == 1``: single steps.
    * XLA:CPU: loop. There the "device" is the host's cores and a dispatch costs
      about what an iteration of XLA's ``while`` loop (what ``lax.scan`` becomes)
      costs: on mlp_small, 8 scanned steps ran at 0.15 ms/step against 0.13-0.17
      for single dispatches, and a whole epoch under ``lax.scan`` at 0.16-0.20; and
      convolution/pooling inside a ``while`` body runs 6-10x slower (cnn: 117 vs
      15-20 ms/step). Scan never paid on XLA:CPU (figures in benchmarks/README.md).
    * GPU/TPU: scan, where a dispatch costs far more than a loop iteration, with
      ``k`` lowered until the stacked batches (``k`` x batch bytes, times the groups
      in flight) fit in 1/16 of the device memory; below two steps it loops.
    """
    per_group = batch_bytes * (prefetch + 2)         # groups in flight: queue + producing + running
    if k == 1:
        return ExecutionPlan("single", 1, "steps_per_execution=1", batch_bytes)
    if mode == "loop":
        return ExecutionPlan("loop", k, "execution='loop'", batch_bytes)
    if mode == "scan":
        return ExecutionPlan("scan", k, "execution='scan'", k * per_group)
    platform = jax.default_backend()
    if platform == "cpu":
        slow = sorted({n.op for n in graph.nodes if "window" in get_op(n.op).traits})   # slow in loops
        why = (f"XLA:CPU runs {', '.join(slow)} 6-10x slower inside a scan body" if slow else
               "on XLA:CPU a scan iteration costs about what a dispatch costs")
        return ExecutionPlan("loop", k, why, batch_bytes)
    budget = _stacked_budget()
    if k * per_group > budget:
        fit = int(budget // per_group)
        if fit < 2:
            return ExecutionPlan("loop", k, f"{k} stacked batches ({_mib(k * per_group)}) exceed the "
                                 f"{_mib(budget)} budget", batch_bytes)
        return ExecutionPlan("scan", fit, f"k lowered from {k} to {fit}: stacked batches within the "
                             f"{_mib(budget)} budget", fit * per_group)
    return ExecutionPlan("scan", k, f"{platform}: scan of {k} steps per dispatch", k * per_group)


def units(batches: list, k: int, scan: bool, coupled: bool, batch_size: int, n: int) -> list:
    """An epoch's dispatches: ("scan", up to k batches) or ("single", [one batch])."""
    if not scan:
        return [("single", [b]) for b in batches]
    units = []
    for i in range(0, len(batches), k):
        group = batches[i:i + k]
        if coupled and any(data_mod.Batcher._size(b, n) != batch_size for b in group):
            units.extend(("single", [b]) for b in group)     # a short batch of a coupled graph runs alone
        else:
            units.append(("scan", group))
    return units




def _stacked_budget() -> int:
    """Bytes of stacked batches ``lax.scan`` may hold: 1/16 of device memory (CPU: of RAM, <= 512 MiB)."""
    try:
        limit = (jax.devices()[0].memory_stats() or {}).get("bytes_limit")
    except Exception:                                  # noqa: BLE001 - backends without memory stats
        limit = None
    if limit:
        return int(limit) // 16
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return min(512 << 20, ram // 16)


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.0f} MiB"
