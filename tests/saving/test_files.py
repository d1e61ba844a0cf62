"""Files on disk: non-regular paths are refused (read and write), reads are bounded, stale temp files go away."""
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, files
from kxla.saving import format as fmt
from kxla.saving.files import NotARegularFileError


def _model():
    return kxla.Sequential([layers.Input((3,)), layers.Dense(2, name="d")], name="tiny")


def _bounded(fn, timeout=20.0):
    """Run ``fn`` in a thread; fail (not hang) when it does not return within ``timeout`` seconds."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:           # noqa: BLE001  (handed back to the test)
            box["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn} did not return within {timeout} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


@pytest.fixture
def specials(tmp_path):
    """A FIFO, a directory and a UNIX socket, each where a model file could be."""
    fifo = tmp_path / "fifo.kxla"
    os.mkfifo(fifo)
    folder = tmp_path / "dir.kxla"
    folder.mkdir()
    sock_path = tmp_path / "sock.kxla"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    yield {"fifo": fifo, "dir": folder, "socket": sock_path}
    sock.close()


@pytest.mark.parametrize("kind", ["fifo", "dir", "socket"])
@pytest.mark.parametrize("how", ["save", "save_weights", "opt"])
def test_saving_onto_a_non_regular_path_is_refused_and_leaves_it(specials, kind, how):
    path = specials[kind]
    mode = os.lstat(path).st_mode
    model = _model()
    error = IsADirectoryError if kind == "dir" else NotARegularFileError
    with pytest.raises(error, match="regular file"):
        if how == "save":
            _bounded(lambda: model.save(path))
        elif how == "save_weights":
            _bounded(lambda: model.save_weights(path))
        else:
            files.write_atomic(path, b"graph text")
    assert os.lstat(path).st_mode == mode
    assert [n for n in os.listdir(path.parent) if n.endswith(".tmp")] == []


def test_character_device_destination_is_refused():
    if not os.path.exists("/dev/null") or not stat.S_ISCHR(os.stat("/dev/null").st_mode):
        pytest.skip("no /dev/null character device")
    with pytest.raises(NotARegularFileError, match="character device"):
        files.check_destination("/dev/null")        # the check alone: never risk /dev/null itself


def test_cli_opt_output_onto_fifo_fails(specials, tmp_path, capsys):
    from kxla.cli import main
    ir = tmp_path / "g.kxlair"
    ir.write_text(str(_model().to_ir()))
    assert _bounded(lambda: main(["opt", str(ir), "--passes", "dce", "-o", str(specials["fifo"])])) == 1
    assert "not a regular file" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(specials["fifo"]).st_mode)


@pytest.mark.parametrize("kind", ["fifo", "socket", "dir", "zero"])
def test_loading_from_a_non_regular_path_fails_fast(specials, kind, capsys):
    if kind == "zero":
        if not os.path.exists("/dev/zero"):
            pytest.skip("no /dev/zero")
        path = "/dev/zero"
    else:
        path = specials[kind]
    error = IsADirectoryError if kind == "dir" else NotARegularFileError
    model = _model()
    with pytest.raises(error):
        _bounded(lambda: kxla.models.load_model(path))
    with pytest.raises(error):
        _bounded(lambda: model.load_weights(path))
    from kxla.cli import main
    assert _bounded(lambda: main(["dump", str(path)])) == 1
    assert "regular file" in capsys.readouterr().err


def test_read_is_capped_by_the_declared_size(tmp_path):
    path = tmp_path / "m.kxla"
    model = _model()
    model.save(path)
    data = path.read_bytes()
    assert fmt.declared_size(data[:256]) == len(data)
    (tmp_path / "long.kxla").write_bytes(data + b"\0" * 100)
    with pytest.raises(FormatError, match="trailing data: the header declares"):
        kxla.models.load_model(tmp_path / "long.kxla")
    (tmp_path / "short.kxla").write_bytes(data[:-1])
    with pytest.raises(FormatError, match="truncated: the header declares"):
        kxla.models.load_model(tmp_path / "short.kxla")
    # a header claiming 4 GiB of payload: refused from the file size, nothing is read past the header
    at = data.index(b"payload") + len(b"payload")
    huge = data[:at] + b"\xc6\xff\xff\xff\xff" + data[at + 5:]
    (tmp_path / "huge.kxla").write_bytes(huge)
    with pytest.raises(FormatError, match="declares"):
        kxla.models.load_model(tmp_path / "huge.kxla")


_KILLED_SAVER = r"""
import sys, time
import kxla
from kxla.saving import files
def half_then_hang(f, data):
    f.write(data[:len(data) // 2]); f.flush()
    print("ready", flush=True)
    time.sleep(600)
files._write_chunks = half_then_hang
model = kxla.Sequential([kxla.layers.Input((3,)), kxla.layers.Dense(2)])
model.save(sys.argv[1])
"""


def test_temp_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "m.kxla"
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(target)], stdout=subprocess.PIPE, env=env,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    leftover = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(leftover) == 1 and leftover[0].startswith(".m.kxla.") and not target.exists()

    alive = tmp_path / files.temp_name(str(target))              # this process: alive, maybe writing
    alive.write_bytes(b"x")
    other = tmp_path / ".m.kxla.notours.tmp"                     # not our pattern
    other.write_bytes(b"x")
    other_target = tmp_path / f".n.kxla.{files._HOST}-{proc.pid}.0123456789ab.tmp"   # dead, another target
    other_target.write_bytes(b"x")
    old_style = tmp_path / ".m.kxla.0123456789ab.tmp"            # no pid: removed only when a day old
    old_style.write_bytes(b"x")
    stale_link = tmp_path / ".m.kxla.0123456789ac.tmp"
    os.symlink(other, stale_link)
    day_ago = time.time() - files.STALE_AGE_S - 10
    os.utime(old_style, (day_ago, day_ago))
    _model().save(target)
    left = sorted(n for n in os.listdir(tmp_path) if n.endswith(".tmp"))
    assert leftover[0] not in left and old_style.name not in left
    assert {alive.name, other.name, stale_link.name, other_target.name} <= set(left)
    kxla.models.load_model(target)


def test_temp_files_of_live_processes_and_other_hosts_stay(tmp_path):
    target = tmp_path / "w.kxla"
    name = os.path.basename(files.temp_name(str(target)))
    host_pid = name.split(".")[3]                                    # "<host>-<pid>"
    parent = tmp_path / name.replace(host_pid, f"{host_pid.split('-')[0]}-{os.getppid()}")
    foreign = tmp_path / name.replace(host_pid, "ffffffff-1")
    for p in (parent, foreign):
        p.write_bytes(b"x")
    assert files.clean_stale_temps(str(target)) == []
    day_ago = time.time() - files.STALE_AGE_S - 10
    os.utime(foreign, (day_ago, day_ago))
    assert files.clean_stale_temps(str(target)) == [str(foreign)]
    assert parent.exists()


def test_regular_destinations_still_work(tmp_path):
    target = tmp_path / "m.kxla"
    link = tmp_path / "link.kxla"
    model = _model()
    model.save(target)
    os.symlink(target, link)
    model.save(link)                                   # a symlink to a regular file: replaced as before
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(kxla.models.load_model(link).predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["m.keras", "m.weights.h5"])
def test_keras_formats_refuse_non_regular_paths_too(tmp_path, name):
    pytest.importorskip("h5py")
    fifo = tmp_path / name
    os.mkfifo(fifo)
    model = _model()
    with pytest.raises(NotARegularFileError):
        _bounded(lambda: model.save(fifo) if name.endswith(".keras") else model.save_weights(fifo))
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    with pytest.raises(NotARegularFileError):
        _bounded(lambda: kxla.models.load_model(fifo) if name.endswith(".keras") else model.load_weights(fifo))
    regular = tmp_path / ("r" + name)
    model.save(regular) if name.endswith(".keras") else model.save_weights(regular)
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp") or ".tmp" in n] == []
    x = np.ones((1, 3), "float32")
    loaded = kxla.models.load_model(regular) if name.endswith(".keras") else model
    if not name.endswith(".keras"):
        model.load_weights(regular)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
