"""How much of Keras 3's public API kxla has: every public name of each Keras namespace, checked.

    python -m kxla.testing.keras_coverage            # print the coverage table
    python -m kxla.testing.keras_coverage --write    # regenerate docs/keras_compatibility.md's
                                                     # generated sections and tests/keras_api_missing.txt
    python -m kxla.testing.keras_coverage --check    # exit 1 when those committed files are stale

A Keras name ``keras.NS.NAME`` is *present* when ``kxla.NS`` has ``NAME``,
*excluded* when the exclusion table of docs/keras_compatibility.md lists it with
a reason, and *missing* otherwise. Needs Keras 3 installed (the oracle); the
figures depend on its version, which the page records.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

NAMESPACES = ("", "layers", "ops", "ops.nn", "ops.numpy", "ops.linalg", "ops.image", "activations",
              "losses", "metrics", "optimizers", "optimizers.schedules", "callbacks", "initializers",
              "regularizers", "constraints", "random", "models", "saving", "utils", "datasets",
              "mixed_precision", "distribution", "config", "backend", "tree", "dtype_policies",
              "quantizers", "visualization", "export", "preprocessing", "wrappers")

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "keras_compatibility.md"
MISSING_FILE = ROOT / "tests" / "keras_api_missing.txt"
_BEGIN = "<!-- BEGIN GENERATED {} (python -m kxla.testing.keras_coverage --write) -->"
_END = "<!-- END GENERATED {} -->"


def qualified(ns: str, name: str) -> str:
    return "keras." + (ns + "." if ns else "") + name


def kind_of(obj) -> str:
    """"module", "class", "callable" or "value": what a kxla name must match."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    return "callable" if callable(obj) else "value"


def _import(prefix: str, ns: str):
    try:
        return importlib.import_module(prefix + ("." + ns if ns else ""))
    except ImportError:
        return None


def public_names(module) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


@dataclass
class Namespace:
    """Status of one Keras namespace: its names split into present / excluded / missing."""

    ns: str
    present: list = field(default_factory=list)
    excluded: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    wrong_kind: list = field(default_factory=list)   # in kxla, but not the kind of object Keras has (counted missing)
    name: str | None = None             # label override (the total row)

    @property
    def total(self) -> int:
        return len(self.present) + len(self.excluded) + len(self.missing)

    @property
    def label(self) -> str:
        return self.name or "keras" + ("." + self.ns if self.ns else "")


def read_exclusions(page: Path = PAGE) -> dict[str, str]:
    """The exclusion table of the page: ``{"keras.NS.NAME": reason}`` (rows of the ``Exclusions`` section)."""
    if not page.exists():
        return {}
    text = page.read_text()
    section = text.split("## Exclusions", 1)[1] if "## Exclusions" in text else ""
    section = section.split("\n## ", 1)[0]
    out = {}
    for m in re.finditer(r"^\|\s*`(keras[\w.]*)`\s*\|(.*)\|\s*$", section, re.M):
        out[m.group(1)] = m.group(2).strip()
    return out


def survey(exclusions: dict[str, str] | None = None) -> list[Namespace]:
    """Walk every namespace of ``NAMESPACES`` in Keras and kxla."""
    exclusions = read_exclusions() if exclusions is None else exclusions
    out = []
    for ns in NAMESPACES:
        keras_mod, kxla_mod = _import("keras", ns), _import("kxla", ns)
        row = Namespace(ns)
        for name in public_names(keras_mod):
            full = qualified(ns, name)
            ours = getattr(kxla_mod, name, None) if kxla_mod is not None else None
            if ours is not None and kind_of(ours) == kind_of(getattr(keras_mod, name)):
                row.present.append(name)
            elif ours is not None and full not in exclusions:
                row.missing.append(name)
                row.wrong_kind.append(name)
            elif full in exclusions:
                row.excluded.append(name)
            else:
                row.missing.append(name)
        out.append(row)
    return out


def coverage_table(rows: list[Namespace]) -> str:
    import keras
    lines = [f"Keras {keras.__version__}: every public name of each namespace.", "",
             "| namespace | Keras names | in kxla | excluded | missing | in kxla % |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows + [_total(rows)]:
        pct = 100.0 * len(r.present) / r.total if r.total else 100.0
        lines.append(f"| `{r.label}` | {r.total} | {len(r.present)} | {len(r.excluded)} | "
                     f"{len(r.missing)} | {pct:.1f} |")
    return "\n".join(lines)


def _total(rows: list[Namespace]) -> Namespace:
    t = Namespace("", name="all")
    for r in rows:
        t.present += r.present
        t.excluded += r.excluded
        t.missing += r.missing
    return t


def missing_list(rows: list[Namespace]) -> str:
    lines = []
    for r in rows:
        if r.missing:
            lines.append(f"- `{r.label}` ({len(r.missing)}): " + ", ".join(
                f"`{n}` (a {_kind_in_kxla(r.ns, n)} in kxla)" if n in r.wrong_kind else f"`{n}`"
                for n in r.missing))
    return "\n".join(lines) or "None."


def _kind_in_kxla(ns: str, name: str) -> str:
    return kind_of(getattr(_import("kxla", ns), name))


def page_counts(page: Path = PAGE) -> dict[str, int]:
    """``{namespace label: names in kxla}`` as the committed page's coverage table states them."""
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"^\| `([\w.]+)` \| \d+ \| (\d+) \|", page.read_text(), re.M)}


def missing_names(rows: list[Namespace]) -> list[str]:
    return sorted(qualified(r.ns, n) for r in rows for n in r.missing)


def _replace_section(text: str, tag: str, body: str) -> str:
    begin, end = _BEGIN.format(tag), _END.format(tag)
    if begin not in text or end not in text:
        raise ValueError(f"{PAGE} lacks the markers {begin!r} ... {end!r}")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + body + "\n" + end + rest.split(end, 1)[1]


def render(rows: list[Namespace], page_text: str) -> tuple[str, str]:
    """(new page text, new known-missing file text) for ``rows``."""
    text = _replace_section(page_text, "coverage", coverage_table(rows))
    text = _replace_section(text, "missing", missing_list(rows))
    header = ("# Keras names kxla lacks (generated by python -m kxla.testing.keras_coverage --write).\n"
              "# tests/test_keras_api_coverage.py fails when a name outside this list goes missing.\n")
    return text, header + "".join(n + "\n" for n in missing_names(rows))


def read_known_missing(path: Path = MISSING_FILE) -> set[str]:
    if not path.exists():
        return set()
    return {ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")}


def main(argv=None) -> int:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="regenerate the page and the missing list")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed files are stale")
    args = parser.parse_args(argv)
    rows = survey()
    page, missing = render(rows, PAGE.read_text())
    if args.write:
        PAGE.write_text(page)
        MISSING_FILE.write_text(missing)
    elif args.check:
        stale = [str(p) for p, new in ((PAGE, page), (MISSING_FILE, missing))
                 if not p.exists() or p.read_text() != new]
        if stale:
            print("stale: " + ", ".join(stale) + "; run python -m kxla.testing.keras_coverage --write",
                  file=sys.stderr)
            return 1
        print("up to date")
        return 0
    print(coverage_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
