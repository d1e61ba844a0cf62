"""``PassManager``: runs a pipeline of passes on a copy of a graph, verifying and instrumenting.

    pm = PassManager("shape-inference,fold-batchnorm,convert-layout{to=channels_last},cse,dce")
    optimized = pm.run(graph)          # graph itself is left untouched
    print(pm.report())                 # per-pass time and nodes inserted/removed/replaced

One hook sits between passes: ``callback(previous, graph, next, stats)`` is
called before the first pass (``previous`` None), after each pass, and after
the last (``next`` None). ``print_after_all``/``print_after`` and ``timing``
are callbacks installed on that hook.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from kxla.ir import Graph, VerificationError, verify

from .base import Pass, PassError, PassOptionError
from .rewriter import Rewriter

__all__ = ["PassManager", "PassStatistics", "PassVerificationError", "parse_pipeline", "pipeline_text"]


class PassVerificationError(PassError, VerificationError):
    """The IR failed ``verify()`` right after a pass; the message names the pass."""


@dataclass
class PassStatistics:
    """What one pass run did.

    Attributes:
      name: pass name; ``text`` the pass with its options (pipeline text).
      seconds: wall time of ``run`` (excluding verification).
      inserted / removed / replaced / modified: node counts from the Rewriter.
      changed: what the pass returned (or, if it returned None, whether it mutated anything).
      counters: pass-specific counts (``transposes_inserted``, ...).
      nodes_before / nodes_after: graph size around the pass.
    """

    name: str
    text: str = ""
    seconds: float = 0.0
    inserted: int = 0
    removed: int = 0
    replaced: int = 0
    modified: int = 0
    changed: bool = False
    counters: dict = field(default_factory=dict)
    nodes_before: int = 0
    nodes_after: int = 0

    def __getitem__(self, key: str):
        """``stats["removed"]`` or ``stats["transposes_inserted"]`` (0 for a counter never touched)."""
        if key in self.counters:
            return self.counters[key]
        if key in ("seconds", "inserted", "removed", "replaced", "modified", "changed",
                   "nodes_before", "nodes_after"):
            return getattr(self, key)
        return 0

    def as_dict(self) -> dict:
        out = {k: getattr(self, k) for k in ("name", "text", "seconds", "inserted", "removed", "replaced",
                                              "modified", "changed", "nodes_before", "nodes_after")}
        out.update(self.counters)
        return out


# -- pipeline text -------------------------------------------------------------
def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth < 0:
                raise PassOptionError(f"unbalanced '{ch}' in pipeline text {text!r}")
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth != 0:
        raise PassOptionError(f"unbalanced braces in pipeline text {text!r}")
    parts.append("".join(cur))
    return parts


def parse_pipeline(pipeline) -> list[Pass]:
    """Pipeline text (``"a,b{opt=1},c"``) or a list of passes/pass texts -> list of Pass objects.

    Raises:
      PassOptionError: naming an unknown pass or option, with the closest valid name.
    """
    from . import get_pass_class
    if isinstance(pipeline, Pass):
        return [pipeline]
    if isinstance(pipeline, str):
        items = [t for t in (s.strip() for s in _split_top(pipeline, ",")) if t]
    else:
        items = list(pipeline)
    passes = []
    for item in items:
        if isinstance(item, Pass):
            passes.append(item)
            continue
        if isinstance(item, type) and issubclass(item, Pass):
            passes.append(item())
            continue
        if not isinstance(item, str):
            raise PassOptionError(f"pipeline entries must be passes or pass text, got {item!r}")
        item = item.strip()
        name, options = item, {}
        if "{" in item:
            if not item.endswith("}"):
                raise PassOptionError(f"malformed pass text {item!r}: options go in braces at the end")
            name, body = item[:item.index("{")].strip(), item[item.index("{") + 1:-1]
            for opt in _split_top(body, ","):
                if not opt.strip():
                    continue
                if "=" not in opt:
                    raise PassOptionError(f"pass {name!r}: option {opt.strip()!r} needs a value (name=value)",
                                          pass_name=name)
                key, value = opt.split("=", 1)
                options[key.strip()] = value.strip()
        passes.append(get_pass_class(name).from_options(options))
    return passes


def pipeline_text(passes: Iterable[Pass]) -> str:
    """The inverse of ``parse_pipeline``: ``"a,b{opt=1},c"``."""
    return ",".join(str(p) for p in passes)


# -- callbacks built on the hook ------------------------------------------------
def _printer(stream, names: set | None):
    def callback(previous, graph, next_, stats):
        if previous is None:
            return
        if names is None or previous.name in names or str(previous) in names:
            print(f"// -----// IR after {previous} //----- //", file=stream)
            print(graph, file=stream)
    return callback


def _timer(stream, clock: list):
    def callback(previous, graph, next_, stats):
        now = time.perf_counter()
        if previous is not None:
            print(f"// timing: {previous} {1e3 * (now - clock[0]):.3f} ms "
                  f"(+{stats.inserted} -{stats.removed} ~{stats.replaced})", file=stream)
        clock[0] = now
    return callback


def _run_on_regions(p, graph) -> bool:
    """Run pass ``p`` on every region of ``graph``'s nodes, recursively; returns whether any changed."""
    changed = False
    for _, _, region in graph.regions():
        changed = bool(p.run(region, Rewriter(region))) or changed
        changed = _run_on_regions(p, region) or changed
    return changed


class PassManager:
    """Runs a pipeline of passes on a copy of a graph.

    Arguments:
      pipeline: pipeline text (``"cse,convert-layout{to=channels_first},dce"``) or a
        list of Pass objects / pass texts.
      verify: run ``graph.verify()`` after every pass; a failure names the pass.
      print_after_all: print the IR to ``stream`` after every pass.
      print_after: names of passes after which to print the IR.
      stream: where printing and timing go (default ``sys.stderr``).
      timing: print each pass's wall time to ``stream`` as it finishes, and the report at the end.
      callback: ``callback(previous_pass, graph, next_pass, stats)`` between passes.

    Attributes:
      passes: the parsed pipeline.
      statistics: one ``PassStatistics`` per pass of the latest ``run``.
    """

    def __init__(self, pipeline, verify: bool = True, print_after_all: bool = False,
                 print_after: Iterable[str] = (), stream=None, timing: bool = False,
                 callback: Callable | None = None):
        self.passes: list[Pass] = parse_pipeline(pipeline)
        self.verify = verify
        self.stream = stream if stream is not None else sys.stderr
        self.timing = timing
        self.statistics: list[PassStatistics] = []
        self._callbacks: list[Callable] = []
        if print_after_all or print_after:
            self._callbacks.append(_printer(self.stream, None if print_after_all else set(print_after)))
        if timing:
            self._callbacks.append(_timer(self.stream, [0.0]))
        if callback is not None:
            self._callbacks.append(callback)

    def add_callback(self, callback: Callable) -> None:
        """Add ``callback(previous_pass, graph, next_pass, stats)`` to the between-passes hook."""
        self._callbacks.append(callback)

    def _hook(self, previous, graph, next_, stats) -> None:
        for cb in self._callbacks:
            cb(previous, graph, next_, stats)

    def run(self, graph: Graph) -> Graph:
        """Run the pipeline on a copy of ``graph`` and return the copy (``graph`` is not mutated).

        Raises:
          PassError: a pass raised; the message names it and the passes that ran before.
          PassVerificationError: the IR was invalid after a pass (only with ``verify=True``).
        """
        g = graph.clone()
        self.statistics = []
        history: list[str] = []
        self._hook(None, g, self.passes[0] if self.passes else None, None)
        for i, p in enumerate(self.passes):
            stats = PassStatistics(name=p.name, text=str(p), nodes_before=len(g.nodes))
            rw = Rewriter(g)
            t0 = time.perf_counter()
            try:
                changed = p.run(g, rw)
                if p.regions:
                    changed = _run_on_regions(p, g) or changed
            except PassError:
                raise
            except Exception as e:
                ran = ", ".join(history) or "none"
                raise PassError(f"pass {str(p)!r} failed: {type(e).__name__}: {e} "
                                f"(passes run before: {ran})", pass_name=p.name, history=history) from e
            stats.seconds = time.perf_counter() - t0
            stats.inserted, stats.removed, stats.replaced = rw.inserted, rw.removed, rw.replaced
            stats.modified = rw.modified
            stats.changed = bool(changed) if changed is not None else rw.changed
            stats.counters = dict(rw.counters)
            stats.nodes_after = len(g.nodes)
            self.statistics.append(stats)
            history.append(str(p))
            if self.verify:
                try:
                    verify(g)
                except VerificationError as e:
                    before = ", ".join(history[:-1]) or "none"
                    raise PassVerificationError(
                        f"IR is invalid after pass {str(p)!r}: {e} (passes run before: {before})",
                        pass_name=p.name, history=history[:-1]) from None
            self._hook(p, g, self.passes[i + 1] if i + 1 < len(self.passes) else None, stats)
        if self.timing:
            print(self.report(), file=self.stream)
        return g

    def __call__(self, graph: Graph) -> Graph:
        return self.run(graph)

    def __str__(self) -> str:
        return pipeline_text(self.passes)

    def __repr__(self) -> str:
        return f"PassManager({str(self)!r})"

    def report(self) -> str:
        """A table of the latest run: per pass, wall time, nodes inserted/removed/replaced/modified."""
        header = f"{'pass':<40} {'ms':>9} {'+ins':>6} {'-rem':>6} {'~rep':>6} {'mod':>6} {'nodes':>11}  other"
        lines = [header, "-" * len(header)]
        total = 0.0
        for s in self.statistics:
            total += s.seconds
            other = " ".join(f"{k}={v}" for k, v in sorted(s.counters.items()))
            lines.append(f"{s.text:<40} {1e3 * s.seconds:>9.3f} {s.inserted:>6} {s.removed:>6} "
                         f"{s.replaced:>6} {s.modified:>6} {s.nodes_before:>5}->{s.nodes_after:<5}  {other}")
        lines.append(f"{'total':<40} {1e3 * total:>9.3f}")
        return "\n".join(lines)
