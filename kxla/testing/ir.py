"""IR-text helpers for tests: build graphs from text, run one pass, compare IR, FileCheck-style checks."""
from __future__ import annotations

import difflib
import re
import textwrap

from ..ir import Graph, parse, print_graph

__all__ = ["graph_from_text", "run_pass", "assert_ir_equal", "canonical_text", "check_ir"]


def _ensure_ops() -> None:
    import kxla.ops  # noqa: F401  (registers the ops)
    import kxla.ops.fused  # noqa: F401


def graph_from_text(text: str, verify: bool = True, infer: bool = False) -> Graph:
    """Parse IR text (indentation is ignored) into a Graph.

    Arguments:
      text: IR as printed by ``kxla.ir.print_graph``.
      verify: run ``graph.verify()`` on the result.
      infer: run shape inference first, so result types and default
        attributes in ``text`` may be placeholders / omitted.

    Returns:
      The Graph.
    """
    _ensure_ops()
    graph = parse(textwrap.dedent(text).strip())
    if infer:
        from kxla.passes import PassManager
        graph = PassManager("shape-inference", verify=False).run(graph)
    if verify:
        graph.verify()
    return graph


def _as_graph(g, verify: bool = True) -> Graph:
    return graph_from_text(g, verify=verify) if isinstance(g, str) else g


def run_pass(pass_or_name, graph, verify: bool = True):
    """Run one pass (a Pass object, a name, or pass text like ``"convert-layout{to=channels_first}"``).

    Arguments:
      pass_or_name: what to run; pipeline text with several passes is accepted too
        (the statistics are then those of the last pass).
      graph: a Graph or IR text.
      verify: verify the result.

    Returns:
      ``(new_graph, stats)``: the input is untouched; ``stats`` is a
      ``kxla.passes.PassStatistics`` (``stats.inserted``, ``stats["folded"]``, ...).
    """
    _ensure_ops()
    from kxla.passes import PassManager
    pm = PassManager(pass_or_name if not isinstance(pass_or_name, str) or "," in pass_or_name
                     else [pass_or_name], verify=verify)
    out = pm.run(_as_graph(graph))
    return out, pm.statistics[-1] if pm.statistics else None


def canonical_text(graph, ignore_layers: bool = True, rename_args: bool = True) -> str:
    """IR text that is the same for graphs equal up to value names and independent node order.

    Graph arguments are renamed by position (``%in0``, ``%p0``, ``%s0``),
    nodes are ordered depth-first from the outputs, the graph is named
    ``@g`` and (by default) layer comments are dropped.
    """
    from ..ir.printer import format_attrs
    g = _as_graph(graph, verify=False)
    names: dict[int, str] = {}
    head = []
    for prefix, values in (("in", g.inputs), ("p", g.params), ("s", g.state)):
        parts = []
        for i, v in enumerate(values):
            names[id(v)] = f"%{prefix}{i}" if rename_args else f"%{v.name}"
            attrs = format_attrs(v.attrs)
            parts.append(f"{names[id(v)]}: {v.type}" + (f" {attrs}" if attrs else ""))
        head.append(", ".join(parts))
    lines = [f"graph @g({head[0]}) params({head[1]}) state({head[2]}) {{"]
    counter = 0
    order = g.topological_order()
    for node in order:
        for r in node.results:
            names[id(r)] = f"%{counter}"
            counter += 1
    for node in order:
        line = (f"  {', '.join(names[id(r)] for r in node.results)} = {node.op}("
                + ", ".join(names.get(id(v), "%<undefined>") for v in node.inputs) + ")")
        attrs = format_attrs(node.attrs)
        line += (f" {attrs}" if attrs else "") + " : " + ", ".join(str(r.type) for r in node.results)
        if node.layer and not ignore_layers:
            line += f"  // {node.layer}"
        lines.append(line)
    lines.append("  return " + ", ".join(names.get(id(v), "%<undefined>") for v in g.outputs))
    for state, new in g.updates:
        lines.append(f"  update {names.get(id(state))} = {names.get(id(new), '%<undefined>')}")
    lines.append("}")
    return "\n".join(lines)


def assert_ir_equal(actual, expected, ignore_layers: bool = True, rename_args: bool = True) -> None:
    """Assert two graphs (or IR texts) are equal up to value renaming; the error shows a diff.

    Arguments:
      actual, expected: Graphs or IR text.
      ignore_layers: ignore ``// layer`` comments.
      rename_args: also ignore the names of graph inputs, params and state (positions still count).
    """
    a = canonical_text(actual, ignore_layers, rename_args)
    b = canonical_text(expected, ignore_layers, rename_args)
    if a != b:
        diff = "\n".join(difflib.unified_diff(b.splitlines(), a.splitlines(), "expected", "actual", lineterm=""))
        raise AssertionError(f"IR differs:\n{diff}\n\nactual:\n{print_graph(_as_graph(actual, verify=False))}")


_DIRECTIVE = re.compile(r"^\s*(?://\s*)?CHECK(-NEXT|-NOT|-SAME|-COUNT-(\d+)|-LABEL)?:\s?(.*)$")


def _pattern(text: str) -> re.Pattern:
    """FileCheck pattern: literal text with ``{{regex}}`` blocks."""
    parts, pos = [], 0
    for m in re.finditer(r"\{\{(.*?)\}\}", text):
        parts.append(re.escape(text[pos:m.start()]))
        parts.append(f"(?:{m.group(1)})")
        pos = m.end()
    parts.append(re.escape(text[pos:]))
    return re.compile("".join(parts).strip())


def check_ir(graph_or_text, checks: str) -> None:
    """FileCheck-style assertions on printed IR.

    Directives, one per line (a leading ``//`` is allowed):
      ``CHECK: text``        the next match at or after the current line;
      ``CHECK-NEXT: text``   on the line right after the previous match;
      ``CHECK-SAME: text``   on the same line as the previous match, after it;
      ``CHECK-NOT: text``    no match between the previous match and the next one;
      ``CHECK-COUNT-n: text`` exactly n matching lines in the whole text;
      ``CHECK-LABEL: text``  like CHECK.
    Text matches literally except ``{{regex}}`` blocks.
    """
    text = graph_or_text if isinstance(graph_or_text, str) else print_graph(graph_or_text)
    lines = text.splitlines()
    directives = []
    for raw in checks.strip().splitlines():
        m = _DIRECTIVE.match(raw)
        if not m:
            if raw.strip():
                raise ValueError(f"check_ir: not a CHECK directive: {raw!r}")
            continue
        kind = m.group(1) or ""
        if kind.startswith("-COUNT-"):
            kind = "-COUNT"
        directives.append((kind, int(m.group(2) or 0), m.group(3), raw.strip()))

    def fail(msg):
        raise AssertionError(f"check_ir: {msg}\n--- IR ---\n{text}")

    line, col = 0, 0          # position after the previous match
    nots: list = []
    for kind, count, body, raw in directives:
        pat = _pattern(body)
        if kind == "-NOT":
            nots.append((pat, raw))
            continue
        if kind == "-COUNT":
            n = sum(1 for ln in lines if pat.search(ln))
            if n != count:
                fail(f"{raw}: expected {count} matching line(s), found {n}")
            continue
        if kind == "-SAME":
            if line == 0:
                fail(f"{raw}: CHECK-SAME with no previous match")
            m = pat.search(lines[line - 1], col)
            if not m:
                fail(f"{raw}: not found on line {line}: {lines[line - 1]!r}")
            found, col = line - 1, m.end()
        elif kind == "-NEXT":
            if line >= len(lines) or not pat.search(lines[line]):
                got = lines[line] if line < len(lines) else "<end>"
                fail(f"{raw}: line {line + 1} is {got!r}")
            found = line
            col = pat.search(lines[line]).end()
        else:
            found = next((i for i in range(line, len(lines)) if pat.search(lines[i])), None)
            if found is None:
                fail(f"{raw}: no match after line {line}")
            col = pat.search(lines[found]).end()
        for npat, nraw in nots:
            for i in range(line, found):
                if npat.search(lines[i]):
                    fail(f"{nraw}: found on line {i + 1}: {lines[i]!r}")
        nots = []
        line = found + 1
    for npat, nraw in nots:
        for i in range(line, len(lines)):
            if npat.search(lines[i]):
                fail(f"{nraw}: found on line {i + 1}: {lines[i]!r}")
