"""The examples run to the end and print a test accuracy (each in its own subprocess).

The default run covers a fast subset with few epochs/steps; ``pytest -m slow`` runs the rest.
"""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _run(code: str, timeout: int = 120) -> str:
    env = {**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLES, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _run_main(name: str, **kwargs) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    code = (f"import sys; sys.path.insert(0, {str(EXAMPLES)!r}); import {name}; "
            f"acc = {name}.main({args}); print('RETURNED', acc)")
    out = _run(code)
    assert "test accuracy" in out.lower(), out[-2000:]
    assert "RETURNED" in out
    return out


def _returned_accuracy(out: str) -> float:
    return float(out.split("RETURNED", 1)[1].split()[0])


def test_custom_training_loop():
    out = _run_main("custom_training_loop", steps=60)
    assert "step    0" in out


def test_custom_layer():
    out = _run_main("custom_layer", epochs=2)
    assert "my_dense" in out and "matmul" in out          # summary + IR print


def test_mnist_mlp():
    assert _returned_accuracy(_run_main("mnist_mlp", epochs=2)) > 0.5     # 10 classes: chance is 0.1


@pytest.mark.slow
def test_subclassed_resnet():
    out = _run_main("subclassed_resnet", epochs=2)
    assert 'Model: "resnet_block"' in out


@pytest.mark.slow
def test_functional_cnn():
    assert _returned_accuracy(_run_main("functional_cnn", epochs=2)) > 0.5


@pytest.mark.slow
def test_quickstart():
    # quickstart.py is a script without main(): run it whole
    out = _run(f"import runpy; runpy.run_path({str(EXAMPLES / 'quickstart.py')!r}, run_name='__main__')")
    assert "test accuracy" in out.lower()


def test_layer_catalogue_lists_every_layer():
    import inspect

    import kxla
    text = (EXAMPLES.parent / "docs" / "layers.md").read_text()
    names = [n for n in dir(kxla.layers) if not n.startswith("_") and inspect.isclass(getattr(kxla.layers, n))
             and issubclass(getattr(kxla.layers, n), kxla.layers.Layer)]
    missing = [n for n in names if f"| `{n}` |" not in text]
    assert not missing, f"docs/layers.md catalogue lacks {missing}"
