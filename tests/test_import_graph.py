"""No import cycles between kxla's packages (issue #12, item 3).

The graph is derived from the source with ``ast``: every ``import`` and
``from ... import`` anywhere in a module (module level, inside functions and
methods; relative and absolute; ``kxla.X`` attribute chains after a bare
``import kxla``; ``importlib.import_module("kxla.x")`` with a literal name),
except those under ``if TYPE_CHECKING:``. A node is one of
kxla's subpackages (``kxla.layers`` holds ``kxla.layers.core.dense``) or a
top-level module (``kxla/activations.py`` is ``kxla.activations``);
``passes/`` is ``kxla.passes``. The package ``kxla`` itself (its lazy name
table) is not a node. Imports go one way (README, "Layout of the code"): ir and
the leaves (naming, object_registration, seeding, console) <- ops <- activations,
losses, metrics, optimizers ... <- layers; callbacks <- training <- models <-
saving's file formats, utils, applications. The name registry
(``kxla.object_registration``) and the config entries built on it
(``kxla.serialization``) are below layers and models, which register into them;
``Model.save`` reaches ``kxla.saving`` through hooks it binds
(``kxla.serialization.hooks``).

    python tests/test_import_graph.py          # prints the graph's edges with the importing files
"""
from __future__ import annotations

import ast
import functools
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _modules():
    """``(module name, is_package, path)`` for every source file of kxla (and passes/ as kxla.passes)."""
    for base, prefix in ((ROOT / "kxla", "kxla"), (ROOT / "passes", "kxla.passes")):
        for path in sorted(base.rglob("*.py")):
            rel = path.relative_to(base).with_suffix("").parts
            if prefix == "kxla" and rel and rel[0] == "passes":
                continue                                # the kxla/passes link to passes/
            is_pkg = rel[-1] == "__init__"
            parts = rel[:-1] if is_pkg else rel
            yield ".".join((prefix,) + parts), is_pkg, path


def _node(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "kxla" and len(parts) >= 2 else None


def _type_checking(test) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree, module: str, is_pkg: bool):
    """Absolute names of the modules (or module attributes) that ``module`` imports: ``[(name, line)]``."""
    package = module if is_pkg else module.rpartition(".")[0]
    out, kxla_bound = [], False

    def visit(node):
        nonlocal kxla_bound
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append((alias.name, node.lineno))
                kxla_bound |= alias.name.split(".")[0] == "kxla" and alias.asname is None
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == \
                "import_module" and node.args and isinstance(node.args[0], ast.Constant) and \
                isinstance(node.args[0].value, str) and node.args[0].value.startswith("kxla."):
            out.append((node.args[0].value, node.lineno))             # importlib.import_module("kxla.x")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:
                out.append((f"{source}.{alias.name}", node.lineno))      # a submodule or an attribute
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    if kxla_bound:          # ``import kxla`` then ``kxla.layers.Dense``: the attribute chain names the package
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "kxla":
                out.append((f"kxla.{node.attr}", node.lineno))
    return out


@functools.lru_cache(maxsize=1)
def import_graph() -> dict:
    """``{node: {imported node: [(file, line), ...]}}`` between kxla's packages and top-level modules."""
    known = {}
    for module, is_pkg, path in _modules():
        known.setdefault(_node(module), set()).add(module)
    graph = {}
    for module, is_pkg, path in _modules():
        src = _node(module)
        if src is None:
            continue
        edges = graph.setdefault(src, {})
        for name, line in _imports(ast.parse(path.read_text(), str(path)), module, is_pkg):
            dst = _node(name)
            if dst is None or dst == src or dst not in known:
                continue                 # outside kxla, inside the same package, or an attribute of kxla itself
            edges.setdefault(dst, []).append((str(path.relative_to(ROOT)), line))
    return graph


def find_cycle(graph: dict) -> list | None:
    """One cycle ``[a, b, ..., a]`` of ``graph`` (a dict of dicts), or None."""
    state, stack = {}, []

    def dfs(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if state.get(nxt) is None:
                found = dfs(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = dfs(node)
            if found:
                return found
    return None


def describe(graph: dict, cycle: list) -> str:
    lines = [" -> ".join(cycle)]
    for a, b in zip(cycle, cycle[1:]):
        where = ", ".join(f"{f}:{n}" for f, n in graph[a][b][:4])
        more = len(graph[a][b]) - 4
        lines.append(f"  {a} -> {b}: {where}" + (f" (+{more} more)" if more > 0 else ""))
    return "\n".join(lines)


# What the compiler core may import (docs/DESIGN: the IR knows nothing of kxla; passes know the IR and the
# op table, nothing of layers, models or lowering).
ALLOWED = {"kxla.ir": set(), "kxla.passes": {"kxla.ir", "kxla.ops"}, "kxla.naming": set(),
           "kxla.object_registration": set(), "kxla.seeding": set(), "kxla.console": {"kxla.config"}}


def test_no_import_cycle_between_packages():
    graph = import_graph()
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle between kxla's packages:\n" + describe(graph, cycle)


def test_serialization_registry_is_below_layers_and_models():
    """Layers and models register into kxla.serialization; it imports neither, nor the file formats."""
    graph = import_graph()
    below = _reachable(graph, "kxla.serialization")
    assert not below & {"kxla.layers", "kxla.models", "kxla.saving", "kxla.training"}, sorted(below)
    for upper in ("kxla.layers", "kxla.models"):
        assert "kxla.saving" not in _reachable(graph, upper), f"{upper} reaches kxla.saving"
    assert {"kxla.models", "kxla.serialization"} <= set(graph["kxla.saving"])      # saving sits above models


def _reachable(graph: dict, start: str) -> set:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), {}):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_each_package_imports_first_in_a_fresh_interpreter():
    """The runtime side of the graph: any of these imported first (no other kxla package loaded) works, so no
    module relies on an import order a cycle used to give it."""
    import subprocess
    first = ("kxla.serialization.keras_entries", "kxla.layers", "kxla.models", "kxla.saving.model_io",
             "kxla.saving.keras_archive", "kxla.training")
    procs = {m: subprocess.Popen([sys.executable, "-c", f"import {m}"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for m in first}
    failed = {m: p.communicate()[1].strip().splitlines()[-1:] for m, p in procs.items() if p.wait() != 0}
    assert not failed, failed


def test_core_packages_import_only_what_they_may():
    graph = import_graph()
    for node, allowed in ALLOWED.items():
        extra = {dst: where[:3] for dst, where in graph.get(node, {}).items() if dst not in allowed}
        assert not extra, f"{node} may import only {sorted(allowed)}; it imports {extra}"


def test_graph_sees_function_level_and_relative_imports(tmp_path):
    src = ("from ..ops import core\nimport kxla\n"
           "def f():\n    from kxla.models import Model\n    return kxla.saving.load_model\n"
           "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kxla.training import Trainer\n")
    names = {n for n, _ in _imports(ast.parse(src), "kxla.layers.dense", False)}
    assert {"kxla.ops.core", "kxla.models.Model", "kxla.saving"} <= names
    call = "import importlib\nm = importlib.import_module('kxla.callbacks')\n"
    assert "kxla.callbacks" in {n for n, _ in _imports(ast.parse(call), "kxla.ops.core", False)}
    assert not any(n.startswith("kxla.training") for n in names)
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": []}, "b": {}}) is None


if __name__ == "__main__":
    g = import_graph()
    for a in sorted(g):
        for b in sorted(g[a]):
            print(f"{a} -> {b}  ({len(g[a][b])}: {g[a][b][0][0]}:{g[a][b][0][1]})")
    c = find_cycle(g)
    print(describe(g, c) if c else "no cycle", file=sys.stderr)
    sys.exit(1 if c else 0)
