"""Download limits against a local server on 127.0.0.1: deadline, Content-Length, path= checks, re-extraction.

The server's handlers are bounded (a trickle stops after 20 s or when the
client goes away) and the server is shut down by the fixture.
"""
import hashlib
import http.server
import io
import os
import tarfile
import threading
import time

import pytest

from kxla.datasets import _download, mnist

BODY = b"0123456789" * 100


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if name == "trickle.bin":                     # one byte every 0.2 s, at most 20 s
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            stop = time.monotonic() + 20
            try:
                for b in BODY:
                    if time.monotonic() > stop:
                        break
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
            return
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        announced = len(body) + 50 if name == "short.bin" else len(body)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _tar(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.files = {"short.bin": BODY, "ok.bin": BODY}
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}/"
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def test_overall_deadline(server, tmp_path, monkeypatch):
    monkeypatch.setattr(_download, "DEADLINE", 1.0)
    monkeypatch.setattr(_download, "TIMEOUT", 5.0)
    start = time.monotonic()
    with pytest.raises(_download.DatasetDownloadError, match="took longer than 1 s"):
        _download.get_file("trickle.bin", server + "trickle.bin", cache_dir=tmp_path)
    assert time.monotonic() - start < 10
    assert os.listdir(tmp_path) == []                      # no .part file left


def test_content_length_is_checked_without_a_hash(server, tmp_path):
    with pytest.raises(_download.DatasetDownloadError, match="incomplete download .* announced 1050 bytes"):
        _download.get_file("short.bin", server + "short.bin", cache_dir=tmp_path)
    assert os.listdir(tmp_path) == []
    path = _download.get_file("ok.bin", server + "ok.bin", cache_dir=tmp_path)
    assert open(path, "rb").read() == BODY


@pytest.mark.parametrize("bad", ["", ".", "..", "sub/", "/x.npz", "../escape.npz", "a/../../escape.npz"])
def test_path_must_name_a_file_inside_the_cache(server, tmp_path, bad):
    with pytest.raises(ValueError, match="path"):
        _download.get_file(bad, server + "ok.bin", cache_dir=tmp_path / "cache")
    with pytest.raises(ValueError, match="path"):
        mnist.load_data(path=bad, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "escape.npz").exists()


def test_sub_folders_and_absolute_paths_inside_the_cache(server, tmp_path):
    cache = tmp_path / "cache"
    path = _download.get_file("mine/ok.bin", server + "ok.bin", cache_dir=cache)
    assert path == str(cache / "mine" / "ok.bin") and open(path, "rb").read() == BODY
    again = _download.get_file(str(cache / "mine" / "ok.bin"), server + "missing.bin", cache_dir=cache)
    assert again == path                                   # cached: no request needed


def test_damaged_extraction_is_extracted_again(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tar({"folder/one": b"1" * 100, "folder/two": b"2" * 50}))
    dest = tmp_path / "out"
    target = _download.extract_tar(str(archive), str(dest), "folder")
    assert sorted(os.listdir(target)) == ["one", "two"]
    os.unlink(os.path.join(target, "two"))                         # a file lost
    _download.extract_tar(str(archive), str(dest), "folder")
    assert open(os.path.join(target, "two"), "rb").read() == b"2" * 50
    with open(os.path.join(target, "one"), "r+b") as f:            # a file truncated
        f.truncate(10)
    _download.extract_tar(str(archive), str(dest), "folder")
    assert open(os.path.join(target, "one"), "rb").read() == b"1" * 100
    with open(os.path.join(target, "one"), "r+b") as f:            # same size, flipped byte
        f.write(b"X")
    _download.extract_tar(str(archive), str(dest), "folder")
    assert hashlib.sha256(open(os.path.join(target, "one"), "rb").read()).hexdigest() == \
        hashlib.sha256(b"1" * 100).hexdigest()
    mtime = os.stat(os.path.join(target, "one")).st_mtime_ns
    _download.extract_tar(str(archive), str(dest), "folder")       # intact: reused, not extracted again
    assert os.stat(os.path.join(target, "one")).st_mtime_ns == mtime
