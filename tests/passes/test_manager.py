"""PassManager: pipeline text, options, copies, verification, instrumentation, registry."""
import io
import subprocess
import sys
from dataclasses import dataclass

import pytest

import kxla.passes as kp
from kxla.passes import Pass, PassError, PassManager, PassOptionError, PassVerificationError
from kxla.testing import graph_from_text, run_pass

MLP = """
graph @mlp(%x: f32[?,4]) params(%k: f32[4,3], %b: f32[3]) {
  %0 = matmul(%x, %k) : f32[?,3]
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,3]
  %2 = relu(%1) : f32[?,3]
  %3 = negative(%2) : f32[?,3]
  %4 = negative(%3) : f32[?,3]
  %5 = tanh(%1) : f32[?,3]
  return %4
}
"""


def test_pipeline_text_parses_options_typed_from_fields():
    pm = PassManager("shape-inference{batch=8}, convert-layout{to=channels_first},cse,dce")
    assert [p.name for p in pm.passes] == ["shape-inference", "convert-layout", "cse", "dce"]
    assert pm.passes[0].batch == 8 and isinstance(pm.passes[0].batch, int)
    assert pm.passes[1].to == "channels_first"
    assert str(pm) == "shape-inference{batch=8},convert-layout{to=channels_first},cse,dce"
    assert str(PassManager(str(pm))) == str(pm)                   # text round trip


def test_unknown_pass_and_option_name_the_closest_valid_name():
    with pytest.raises(PassOptionError, match="unknown pass 'cs'.*did you mean 'cse'"):
        PassManager("canonicalize,cs")
    with pytest.raises(PassOptionError, match="no option 'too'.*did you mean 'to'"):
        PassManager("convert-layout{too=channels_last}")
    with pytest.raises(PassOptionError, match="did you mean 'channels_last'"):
        PassManager("convert-layout{to=channels_lst}")
    with pytest.raises(PassOptionError, match="expected an integer"):
        PassManager("specialize{batch=big}")


def test_run_works_on_a_copy():
    g = graph_from_text(MLP)
    before = str(g)
    out = PassManager("canonicalize,dce").run(g)
    assert str(g) == before
    assert out is not g and len(out.nodes) == 3


def test_statistics_and_report():
    pm = PassManager("canonicalize,dce")
    pm.run(graph_from_text(MLP))
    canon, dce = pm.statistics
    assert (canon.replaced, canon.removed, canon.inserted) == (1, 1, 0)   # -(-x): outer replaced, inner erased
    assert (dce.removed, dce.inserted, dce.replaced) == (1, 0, 0)         # the unused tanh
    assert canon.changed and dce.changed and canon.seconds >= 0
    assert canon["rewrites"] == 1 and dce["removed"] == 1 and dce["no-such-counter"] == 0
    report = pm.report()
    assert "canonicalize" in report and "dce" in report and "total" in report


def test_verify_failure_names_the_pass_and_history():
    @dataclass(frozen=True)
    class Breaker(Pass):
        name = "breaker"

        def run(self, graph, rw):
            node = next(n for n in rw.walk() if n.op == "relu")
            rw.set_attrs(node, {})
            node.results[0].type = node.results[0].type.with_dtype("float16")   # wrong type, on purpose
            return True

    with pytest.raises(PassVerificationError, match=r"after pass 'breaker'.*passes run before: cse"):
        PassManager(["cse", Breaker()]).run(graph_from_text(MLP))
    PassManager(["cse", Breaker()], verify=False).run(graph_from_text(MLP))   # no verification asked


def test_exception_inside_a_pass_names_it_and_the_passes_before():
    @dataclass(frozen=True)
    class Crash(Pass):
        name = "crash"

        def run(self, graph, rw):
            raise KeyError("boom")

    with pytest.raises(PassError, match=r"pass 'crash' failed: KeyError.*passes run before: cse, dce") as e:
        PassManager(["cse", "dce", Crash()]).run(graph_from_text(MLP))
    assert e.value.pass_name == "crash" and e.value.history == ("cse", "dce")


def test_print_after_all_and_print_after():
    s = io.StringIO()
    PassManager("cse,dce", print_after_all=True, stream=s).run(graph_from_text(MLP))
    text = s.getvalue()
    assert "IR after cse" in text and "IR after dce" in text and text.count("graph @mlp") == 2
    s = io.StringIO()
    PassManager("cse,dce", print_after=["dce"], stream=s).run(graph_from_text(MLP))
    assert "IR after dce" in s.getvalue() and "IR after cse" not in s.getvalue()


def test_timing_and_callback_hook():
    s, calls = io.StringIO(), []
    pm = PassManager("cse,dce", timing=True, stream=s,
                     callback=lambda prev, g, nxt, st: calls.append((prev and prev.name, nxt and nxt.name)))
    pm.run(graph_from_text(MLP))
    assert calls == [(None, "cse"), ("cse", "dce"), ("dce", None)]
    assert "timing: cse" in s.getvalue() and "total" in s.getvalue()


def test_available_lists_every_builtin_with_a_description():
    names = kp.available()
    for name in ["shape-inference", "specialize", "dce", "cse", "constant-folding", "canonicalize",
                 "fold-batchnorm", "fuse-bias-activation", "fuse-parallel-matmul", "convert-layout",
                 "cancel-transposes"]:
        assert names[name]
    for name in names:
        cls = kp.get_pass_class(name)
        assert cls.name == name and cls().description


def test_register_class_and_function_passes():
    @kp.register("test-drop-casts")
    class DropCasts(Pass):
        """Remove casts to the dtype their input already has."""
        factor: int = 1

        def run(self, graph, rw):
            for node in rw.walk():
                if node.op == "cast" and node.inputs[0].type == node.results[0].type:
                    rw.replace_node(node, node.inputs)
            return rw.changed

    @kp.register("test-count-nodes")
    def count_nodes(graph, rw):
        """Count nodes (no changes)."""
        rw.count("nodes", len(graph.nodes))
        return False

    try:
        assert kp.available()["test-drop-casts"].startswith("Remove casts")
        g = graph_from_text("""
            graph @g(%x: f32[2]) {
              %0 = cast(%x) {dtype="float32"} : f32[2]
              return %0
            }""")
        out, stats = run_pass("test-drop-casts{factor=2}", g)
        assert stats.replaced == 1 and len(out.nodes) == 0
        _, stats = run_pass("test-count-nodes", g)
        assert stats["nodes"] == 1 and not stats.changed
        with pytest.raises(ValueError, match="built-in"):
            kp.register("cse")(DropCasts)
    finally:
        kp.unregister("test-drop-casts")
        kp.unregister("test-count-nodes")


def test_importing_kxla_passes_imports_no_pass_module():
    code = ("import sys, kxla.passes as kp; kp.available(); "
            "mods = [m for m in sys.modules if m.startswith('kxla.passes.')]; "
            "assert not any(m.endswith(('dce', 'cse', 'convert_layout', 'fold_batchnorm')) for m in mods), mods; "
            "kp.PassManager('dce'); assert 'kxla.passes.dce' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
