"""The kxla command, run as ``python -m kxla`` in subprocesses (started together to keep the wall time low)."""
import os
import subprocess
import sys

import pytest

import kxla
from kxla import layers


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    model = kxla.Sequential([layers.Input((6, 6, 1)), layers.Conv2D(2, 3, name="conv"),
                             layers.BatchNormalization(name="bn"), layers.Flatten(),
                             layers.Dense(3, activation="softmax", name="out")], name="climodel")
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.save(folder / "m.kxla")
    (folder / "corrupt.kxla").write_bytes((folder / "m.kxla").read_bytes()[:-10])
    (folder / "g.kxlair").write_text(str(model.to_ir()))
    (folder / "bad.kxlair").write_text("graph @g(%x: f32[2]) {\n  %0 = relu(%nope) : f32[2]\n  return %0\n}\n")
    return folder


# run as real processes (python -m kxla): the commands a user types most, and the error paths
SUBPROCESS = {
    "passes": ["passes"],
    "dump_passes": ["dump", "{d}/m.kxla", "--passes", "fold-batchnorm,fuse-bias-activation,dce", "--print-after-all"],
    "inspect": ["inspect", "{d}/m.kxla", "--batch-size", "8"],
    "missing": ["dump", "{d}/nope.kxla"],
    "corrupt": ["inspect", "{d}/corrupt.kxla"],
}
# the rest through kxla.cli.main in this process (same code path after argument parsing)
IN_PROCESS = {
    "dump": ["dump", "{d}/m.kxla"],
    "dump_dot": ["dump", "{d}/m.kxla", "--format", "dot"],
    "dump_training": ["dump", "{d}/m.kxla", "--training"],
    "opt": ["opt", "{d}/g.kxlair", "--passes", "fuse-bias-activation,dce"],
    "bad_pipeline": ["dump", "{d}/m.kxla", "--passes", "dce,no-such-pass"],
    "bad_ir": ["opt", "{d}/bad.kxlair", "--passes", "dce"],
    "not_a_model": ["dump", "{d}/g.kxlair"],
}


@pytest.fixture(scope="module")
def results(files):
    import contextlib
    import io
    from kxla.cli import main
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    env.pop("KXLA_DEBUG", None)
    procs = {name: subprocess.Popen([sys.executable, "-m", "kxla"] + [a.format(d=files) for a in argv],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for name, argv in SUBPROCESS.items()}
    out = {}
    for name, argv in IN_PROCESS.items():
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = main([a.format(d=files) for a in argv])
        out[name] = (rc, stdout.getvalue(), stderr.getvalue())
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        out[name] = (proc.returncode, stdout, stderr)
    return out


def test_passes_lists_registered_passes(results):
    rc, out, err = results["passes"]
    assert rc == 0 and err == ""
    assert any(line.startswith("dce ") and "remove nodes" in line for line in out.splitlines())
    assert "fold-batchnorm" in out and "convert-layout" in out


def test_dump_prints_stored_ir(results):
    rc, out, _ = results["dump"]
    assert rc == 0
    graph = kxla.ir.parse(out)
    assert graph.name == "climodel" and [n.op for n in graph.nodes][:2] == ["conv", "bias_add"]
    assert "batch_norm" in out


def test_dump_with_passes_and_print_after_all(results):
    rc, out, err = results["dump_passes"]
    assert rc == 0
    assert "batch_norm" not in out and "= conv(" in out and "bias_add" not in out
    assert err.count("// -----// IR after") == 3
    rc, out, _ = results["dump_dot"]
    assert rc == 0 and out.startswith("digraph")
    rc, out, _ = results["dump_training"]
    assert rc == 0 and "update %bn.moving_mean" in out


def test_opt_text_in_text_out(results):
    rc, out, _ = results["opt"]
    assert rc == 0 and "= conv(" in out and "bias_add" not in out and kxla.ir.parse(out).name == "climodel"


def test_inspect_reports_everything(results):
    rc, out, err = results["inspect"]
    assert rc == 0, err
    assert "format: kxla.model version 1" in out
    assert "parameters: 127 total" in out and "123 trainable, 4 non-trainable" in out
    assert "conv (Conv2D)" in out and "FLOPs" in out
    assert "optimizer: SGD" in out and "compile: loss='sparse_categorical_crossentropy'" in out
    assert "compiled step memory (XLA memory_analysis, batch 8)" in out
    assert "predict  arguments" in out and "train    arguments" in out


@pytest.mark.parametrize("case, words", [("missing", "no such file"), ("corrupt", "truncated: the header declares"),
                                         ("bad_pipeline", "unknown pass 'no-such-pass'"),
                                         ("bad_ir", "%nope"), ("not_a_model", "not a kxla file")])
def test_errors_are_one_line_without_traceback(results, case, words):
    rc, out, err = results[case]
    assert rc == 1 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("kxla ") and words in err


def test_main_in_process(files, capsys):
    from kxla.cli import main
    assert main(["opt", str(files / "g.kxlair"), "--passes", "dce", "-o", str(files / "out.kxlair")]) == 0
    assert kxla.ir.parse((files / "out.kxlair").read_text()).name == "climodel"
    assert main(["dump", str(files / "nope.kxla")]) == 1
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["dump", "{d}/m.kxla", "--passes", ",,,"], "empty pass name"),
    (["opt", "{d}/g.kxlair", "--passes", "dce,,cse"], "empty pass name"),
    (["opt", "{d}/g.kxlair", "--passes", " "], "empty pass name"),
    (["inspect", "{d}/m.kxla", "--batch-size", "0"], "expected a positive integer, got 0"),
    (["inspect", "{d}/m.kxla", "--batch-size", "-5"], "expected a positive integer, got -5"),
    (["inspect", "{d}/m.kxla", "--batch-size", "x"], "expected a positive integer, got 'x'"),
])
def test_bad_arguments_exit_nonzero_with_a_message(files, capsys, argv, words):
    from kxla.cli import main
    with pytest.raises(SystemExit) as info:
        main([a.format(d=files) for a in argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_pipeline_options_with_commas_still_parse(files, capsys):
    from kxla.cli import main
    assert main(["opt", str(files / "g.kxlair"), "--passes", "convert-layout{to=channels_first},dce"]) == 0
    assert "graph @climodel" in capsys.readouterr().out


def test_dump_and_inspect_refuse_a_file_whose_ir_is_not_what_runs(files, tmp_path, capsys):
    from kxla.cli import main
    from kxla.saving import format as fmt
    from kxla.saving.model_io import read_model_file
    payload = read_model_file(files / "m.kxla")
    payload["ir"] = payload["ir"].replace("softmax(", "log_softmax(")
    bad = tmp_path / "edited.kxla"
    bad.write_bytes(fmt.pack_file(fmt.MODEL_FORMAT, {k: v for k, v in payload.items() if k != "__version__"}))
    for argv in (["dump", str(bad)], ["inspect", str(bad), "--no-compile"]):
        assert main(argv) == 1
        captured = capsys.readouterr()
        assert "the stored IR is not the IR of the model" in captured.err and "log_softmax" not in captured.out
