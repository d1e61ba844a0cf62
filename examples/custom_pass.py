"""Write a graph pass, register it, run it in a pipeline and look at the IR before and after.

    python examples/custom_pass.py

The pass rewrites ``x * x`` into ``square(x)`` with a one-row rule table.
Every IR change goes through the Rewriter, which counts it; the pass manager
works on a copy, verifies the graph after each pass and reports statistics.
"""
from dataclasses import dataclass

import kxla.passes
from kxla.ir import parse
from kxla.passes.pattern import P, V, apply_rules

X = V("x")

# One row per identity: (pattern, replacement). Names bound by the pattern
# (x) arrive as arguments; `b` inserts new nodes before the matched one.
RULES = [
    (P("multiply", X, X), lambda b, x: b.square(x)),          # x * x -> square(x)
]


@kxla.passes.register("multiply-to-square")
@dataclass(frozen=True)
class MultiplyToSquare(kxla.passes.Pass):
    """Rewrite x * x as square(x)."""

    def run(self, graph, rw) -> bool:
        n = apply_rules(rw, RULES)
        rw.count("squares", n)
        return n > 0


GRAPH = """
graph @model(%x: f32[?,4]) params(%k: f32[4,3]) {
  %0 = matmul(%x, %k) : f32[?,3]  // dense
  %1 = multiply(%0, %0) : f32[?,3]  // energy
  %2 = mean(%1) {axis=[1], keepdims=false} : f32[?]  // energy
  %3 = tanh(%0) : f32[?,3]  // unused
  return %2
}
"""


def main():
    graph = parse(GRAPH)
    print("before:\n" + str(graph))
    pm = kxla.passes.PassManager("multiply-to-square,dce")
    optimized = pm.run(graph)                 # works on a copy; `graph` is unchanged
    print("\nafter:\n" + str(optimized))
    print("\n" + pm.report())
    stats = pm.statistics[0]
    assert stats.replaced == 1 and stats.inserted == 1 and stats["squares"] == 1

    # the kit for tests: same outputs (and gradients) on random inputs and parameters
    from kxla.testing import assert_semantics_preserved
    assert_semantics_preserved("multiply-to-square", graph, n=2)
    print("\nsemantics preserved")


if __name__ == "__main__":
    main()
