"""The compiler core loads no jax (issue #12, item 2): checked in a fresh interpreter through ``sys.modules``.

``import kxla``, ``kxla.ir``, ``kxla.passes``, the op table (``kxla.ops``:
attributes, shape/dtype rules, traits, cost, numpy reference) and the
``kxla`` command's ``--help``, ``passes`` and ``opt`` (every built-in pass)
run without importing jax or jaxlib; lowering imports jax when it runs.
"""
import json
import subprocess
import sys

import pytest

_REPORT = ("\nimport json, sys\n"
           "print('\\n' + json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib'))))")

_IR = """graph @g(%x: f32[?,8,8,3]) params(%k: f32[3,3,3,4], %b: f32[4], %g: f32[4], %be: f32[4], %w: f32[4,2], \
%c: f32[2]) state(%mm: f32[4], %mv: f32[4]) {
  %0 = conv(%x, %k) {strides=[1,1], padding="same", data_format="channels_last", dilation_rate=[1,1], groups=1, \
activation="linear"} : f32[?,8,8,4]
  %1 = bias_add(%0, %b) {axis=-1} : f32[?,8,8,4]
  %2 = batch_norm(%1, %mm, %mv, %g, %be) {axis=-1, epsilon=0.001} : f32[?,8,8,4]
  %3 = relu(%2) : f32[?,8,8,4]
  %4 = mean(%3) {axis=[1,2], keepdims=false} : f32[?,4]
  %5 = matmul(%4, %w) : f32[?,2]
  %6 = bias_add(%5, %c) {axis=-1} : f32[?,2]
  %7 = softmax(%6) {axis=-1} : f32[?,2]
  return %7
}
""".replace("\\\n", "")

_ALL_PASSES = ("shape-inference,canonicalize,constant-folding,cse,fold-batchnorm,fuse-bias-activation,"
               "fuse-parallel-matmul,convert-layout{to=channels_first},cancel-transposes,"
               "mixed-precision,specialize{batch=4},dce")


def _run(code: str, stdin: str = "") -> tuple[list, str]:
    """The jax modules loaded after ``code`` ran in a fresh interpreter, and what it printed."""
    out = subprocess.run([sys.executable, "-c", code + _REPORT], input=stdin, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    *printed, report = out.stdout.strip().splitlines()
    return json.loads(report), "\n".join(printed)


def _jax_modules(code: str, stdin: str = "") -> list:
    return _run(code, stdin)[0]


@pytest.mark.parametrize("code", [
    "import kxla",
    "import kxla.ir",
    "import kxla.passes",
    "import kxla.ops; from kxla.ir import get_op, all_ops; op = get_op('conv'); "
    "assert 'convolution' in op.traits and op.cost and len(all_ops()) > 200",
    "import kxla; kxla.__version__; kxla.version(); dir(kxla)",
    "from kxla.cli import main\ntry: main(['--help'])\nexcept SystemExit as e: assert e.code == 0",
    "from kxla.cli import main; assert main(['passes']) == 0",
])
def test_loads_no_jax(code):
    assert _jax_modules(code) == []


def test_kxla_opt_runs_every_pass_without_jax(tmp_path):
    src = tmp_path / "g.kxlair"
    src.write_text(_IR)
    code = (f"from kxla.cli import main; assert main(['opt', {str(src)!r}, '--passes', {_ALL_PASSES!r}, "
            f"'-o', {str(tmp_path / 'out.kxlair')!r}]) == 0")
    assert _jax_modules(code) == []
    text = (tmp_path / "out.kxlair").read_text()
    assert "f32[4,2]" in text and "data_format=\"channels_first\"" in text


def test_opt_from_stdin_and_numpy_constant_folding_without_jax():
    ir = ("graph @c(%x: f32[2]) {\n  %0 = constant() {value=[1.0, 2.0], shape=[2], dtype=\"float32\"} : f32[2]\n"
          "  %1 = exp(%0) : f32[2]\n  %2 = add(%x, %1) : f32[2]\n  return %2\n}\n")
    code = "from kxla.cli import main; assert main(['opt', '-', '--passes', 'constant-folding,dce']) == 0"
    jax_modules, printed = _run(code, stdin=ir)
    assert jax_modules == [] and "exp(" not in printed and "2.71828" in printed, printed


def test_lowering_imports_jax_when_it_runs():
    code = ("import sys, numpy as np, kxla.ops as ops\n"
            "assert not any(m.startswith('jax') for m in sys.modules)\n"
            "y = ops.relu(np.array([-1.0, 2.0], 'float32'))\n"
            "assert np.asarray(y).tolist() == [0.0, 2.0] and type(y).__module__.startswith('jax')")
    assert "jax" in _jax_modules(code)


def test_names_resolve_lazily_and_completely():
    code = ("import kxla, sys\nassert 'kxla.layers' not in sys.modules\n"
            "from kxla import Model, Sequential, Input, Layer, layers, saving\n"
            "assert kxla.layers.Dense is layers.Dense and kxla.Model is Model\n"
            "missing = [n for n in kxla.__all__ if not hasattr(kxla, n)]\nassert not missing, missing\n"
            "assert set(kxla.__all__) <= set(dir(kxla))")
    assert "jax" in _jax_modules(code)
