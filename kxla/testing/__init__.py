"""kxla.testing — the kit for pass authors (and anyone checking IR).

  graph_from_text(text)                     IR text -> verified Graph
  run_pass(pass_or_name, graph)             -> (new graph, PassStatistics)
  assert_ir_equal(a, b)                     equal up to value renaming and independent node order
  check_ir(graph, "CHECK: ...")             FileCheck-style line checks
  assert_semantics_preserved(pipeline, g)   lower both graphs, compare outputs (and gradients)
  strategies.graphs()                       hypothesis strategy: random valid graphs

``graph_from_text``, ``run_pass``, ``assert_ir_equal`` and ``check_ir`` use
no jax; ``assert_semantics_preserved`` lowers through ``kxla.lowering``.
"""
from .ir import assert_ir_equal, canonical_text, check_ir, graph_from_text, run_pass
from .numerics import assert_semantics_preserved, random_arguments, evaluate

__all__ = ["graph_from_text", "run_pass", "assert_ir_equal", "canonical_text", "check_ir",
           "assert_semantics_preserved", "random_arguments", "evaluate"]
from .compiles import assert_max_compiles, TooManyCompilesError  # noqa: E402

__all__ += ["assert_max_compiles", "TooManyCompilesError"]
