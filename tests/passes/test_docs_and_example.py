"""The pass example in docs/passes.md and examples/custom_pass.py run as written."""
import pathlib
import re
import runpy

import kxla.passes as kp

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_examples_custom_pass_runs(capsys):
    try:
        runpy.run_path(str(ROOT / "examples" / "custom_pass.py"), run_name="__main__")
    finally:
        kp.unregister("multiply-to-square")
    out = capsys.readouterr().out
    assert "square(%0)" in out and "semantics preserved" in out


def test_docs_pass_and_its_unit_test_run():
    text = (ROOT / "docs" / "passes.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    writing = next(b for b in blocks if "drop-identity-casts" in b and "@kxla.passes.register" in b)
    testing = next(b for b in blocks if "def test_drop_identity_casts" in b)
    ns: dict = {}
    try:
        exec(writing, ns)
        assert "drop-identity-casts" in kp.available()          # the documented pass registered itself
        exec(testing, ns)
        ns["test_drop_identity_casts"]()
        ns["test_keeps_real_casts"]()
    finally:
        kp.unregister("drop-identity-casts")
