"""kxla.datasets download-and-cache, against tiny fixture files served from 127.0.0.1 (never the real network)."""
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import socket
import tarfile
import threading

import numpy as np
import pytest

from kxla.datasets import _download, cifar10, fashion_mnist, imdb, mnist


def _sha(b):
    return hashlib.sha256(b).hexdigest()


def _npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _gz(b):
    return gzip.compress(b)


def _idx(kind, arr):
    header = b"\x00" * (8 if kind == "labels" else 16)
    return header + arr.astype(np.uint8).tobytes()


def _make_files():
    rng = np.random.default_rng(0)
    files = {}
    # mnist.npz
    m = dict(x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), y_train=np.arange(5, dtype=np.uint8),
             x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), y_test=np.arange(3, dtype=np.uint8))
    files["mnist.npz"] = _npz_bytes(**m)
    # fashion-mnist idx gz
    f = dict(x_train=rng.integers(0, 256, (4, 28, 28), dtype=np.uint8), y_train=np.array([9, 1, 0, 3], np.uint8),
             x_test=rng.integers(0, 256, (2, 28, 28), dtype=np.uint8), y_test=np.array([7, 8], np.uint8))
    files["train-labels-idx1-ubyte.gz"] = _gz(_idx("labels", f["y_train"]))
    files["train-images-idx3-ubyte.gz"] = _gz(_idx("images", f["x_train"]))
    files["t10k-labels-idx1-ubyte.gz"] = _gz(_idx("labels", f["y_test"]))
    files["t10k-images-idx3-ubyte.gz"] = _gz(_idx("images", f["x_test"]))
    # cifar-10 tar.gz with pickled batches (bytes keys, as the real ones)
    c_batches = {}
    tbuf = io.BytesIO()
    with tarfile.open(fileobj=tbuf, mode="w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            data = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
            labels = [int(v) for v in rng.integers(0, 10, 2)]
            c_batches[name] = (data, labels)
            payload = pickle.dumps({b"data": data, b"labels": labels, b"batch_label": b"x"})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    files["cifar-10-python.tar.gz"] = tbuf.getvalue()
    # imdb.npz: ragged object arrays of lists
    def ragged(seqs):
        a = np.empty(len(seqs), dtype=object)
        a[:] = seqs
        return a
    i_train = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11, 1], [2, 2, 2, 2]]
    i_test = [[5, 4], [1, 2, 3, 4, 5, 6], [7]]
    files["imdb.npz"] = _npz_bytes(x_train=ragged(i_train), y_train=np.array([0, 1, 1, 0]),
                                   x_test=ragged(i_test), y_test=np.array([1, 0, 1]))
    files["imdb_word_index.json"] = json.dumps({"the": 1, "and": 2, "a": 3}).encode()
    truth = dict(mnist=m, fashion=f, cifar=c_batches, imdb=(i_train, i_test))
    return files, truth


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict = {}
    requests: list = []

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        type(self).requests.append(name)
        body = self.files.get(name)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served():
    files, truth = _make_files()
    handler = type("H", (_Handler,), {"files": files, "requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/datasets/", handler, files, truth
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def env(served, tmp_path, monkeypatch):
    url, handler, files, truth = served
    handler.requests.clear()
    monkeypatch.setenv("KXLA_DATASETS_BASE_URL", url)
    monkeypatch.setenv("KXLA_DATASETS_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_download, "TIMEOUT", 5.0)
    monkeypatch.setattr(mnist, "FILE_HASH", _sha(files["mnist.npz"]))
    monkeypatch.setattr(imdb, "FILE_HASH", _sha(files["imdb.npz"]))
    monkeypatch.setattr(imdb, "WORD_INDEX_HASH", hashlib.md5(files["imdb_word_index.json"]).hexdigest())
    monkeypatch.setattr(cifar10, "FILE_HASH", _sha(files["cifar-10-python.tar.gz"]))
    monkeypatch.setattr(fashion_mnist, "FILE_HASHES", {n: _sha(files[n]) for n in fashion_mnist.FILES})
    return url, handler, files, truth, tmp_path / "cache"


def test_official_hashes_are_keras_ones():
    assert mnist.FILE_HASH == "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
    assert cifar10.FILE_HASH == "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
    assert imdb.FILE_HASH == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert _download.DEFAULT_BASE_URL == "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def test_cache_root_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("KXLA_DATASETS_DIR", raising=False)
    assert _download.cache_root() == os.path.join(os.path.expanduser("~"), ".kxla", "datasets")
    monkeypatch.setenv("KXLA_DATASETS_DIR", str(tmp_path / "a"))
    assert _download.cache_root() == str(tmp_path / "a")
    assert _download.cache_root(tmp_path / "b") == str(tmp_path / "b")


def test_mnist_download_then_cache_hit(env):
    url, handler, files, truth, cache = env
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert handler.requests == ["mnist.npz"]
    assert (cache / "mnist.npz").exists()
    assert x_train.dtype == np.uint8 and x_train.shape == (5, 28, 28) and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test, truth["mnist"]["x_test"])
    np.testing.assert_array_equal(y_train, truth["mnist"]["y_train"])
    # second load: served from the cache, no request
    (x2, _), _ = mnist.load_data()
    assert handler.requests == ["mnist.npz"]
    np.testing.assert_array_equal(x2, x_train)
    # no temp files left behind
    assert sorted(p.name for p in cache.iterdir()) == ["mnist.npz"]


def test_cache_dir_argument(env, tmp_path):
    url, handler, *_ = env
    mnist.load_data(cache_dir=tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "mnist.npz").exists()


def test_module_attribute_base_url(env, monkeypatch):
    url, handler, *_ = env
    monkeypatch.setenv("KXLA_DATASETS_BASE_URL", "http://127.0.0.1:1/nothing/")
    monkeypatch.setattr(_download, "BASE_URL", url)
    mnist.load_data()
    assert handler.requests == ["mnist.npz"]


def test_fashion_mnist(env):
    url, handler, files, truth, cache = env
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    assert x_train.shape == (4, 28, 28) and x_test.shape == (2, 28, 28)
    assert x_train.dtype == y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, truth["fashion"]["x_train"])
    np.testing.assert_array_equal(y_test, truth["fashion"]["y_test"])
    assert (cache / "fashion-mnist" / "t10k-images-idx3-ubyte.gz").exists()
    fashion_mnist.load_data()
    assert len(handler.requests) == 4


def test_cifar10(env):
    url, handler, files, truth, cache = env
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    data, labels = truth["cifar"]["data_batch_2"]
    np.testing.assert_array_equal(x_train[2:4], data.reshape(2, 3, 32, 32).transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train[2:4, 0], labels)
    data, labels = truth["cifar"]["test_batch"]
    np.testing.assert_array_equal(x_test, data.reshape(2, 3, 32, 32).transpose(0, 2, 3, 1))
    cifar10.load_data()
    assert handler.requests == ["cifar-10-python.tar.gz"]


def test_cifar10_channels_first(env):
    import kxla
    old = kxla.config.image_data_format()
    kxla.config.set_image_data_format("channels_first")
    try:
        (x_train, _), _ = cifar10.load_data()
    finally:
        kxla.config.set_image_data_format(old)
    assert x_train.shape == (10, 3, 32, 32)


def _keras_imdb_reference(seqs_train, seqs_test, y_train, y_test, num_words=None, skip_top=0, maxlen=None,
                          seed=113, start_char=1, oov_char=2, index_from=3):
    """Keras 3's imdb.load_data algorithm (transcribed in the test, as the oracle)."""
    xt = np.empty(len(seqs_train), object); xt[:] = seqs_train
    xv = np.empty(len(seqs_test), object); xv[:] = seqs_test
    rng = np.random.RandomState(seed)
    i = np.arange(len(xt)); rng.shuffle(i); xt, yt = xt[i], np.asarray(y_train)[i]
    i = np.arange(len(xv)); rng.shuffle(i); xv, yv = xv[i], np.asarray(y_test)[i]
    xt = [[start_char] + [w + index_from for w in x] for x in xt]
    xv = [[start_char] + [w + index_from for w in x] for x in xv]
    if maxlen:
        keep = [k for k, x in enumerate(xt) if len(x) < maxlen]; xt = [xt[k] for k in keep]; yt = yt[keep]
        keep = [k for k, x in enumerate(xv) if len(x) < maxlen]; xv = [xv[k] for k in keep]; yv = yv[keep]
    xs = xt + xv
    nw = num_words or max(max(x) for x in xs)
    xs = [[w if skip_top <= w < nw else oov_char for w in x] for x in xs]
    return xs[:len(xt)], yt, xs[len(xt):], yv


@pytest.mark.parametrize("kw", [{}, dict(num_words=8), dict(num_words=10, skip_top=5), dict(maxlen=6)])
def test_imdb(env, kw):
    url, handler, files, truth, cache = env
    i_train, i_test = truth["imdb"]
    (x_train, y_train), (x_test, y_test) = imdb.load_data(**kw)
    ref = _keras_imdb_reference(i_train, i_test, [0, 1, 1, 0], [1, 0, 1], **kw)
    assert x_train.dtype == object and x_train.ndim == 1
    assert [list(x) for x in x_train] == ref[0]
    np.testing.assert_array_equal(y_train, ref[1])
    assert [list(x) for x in x_test] == ref[2]
    np.testing.assert_array_equal(y_test, ref[3])
    if not kw.get("skip_top"):
        assert all(x[0] == 1 for x in x_train)  # start_char


def test_imdb_word_index(env):
    assert imdb.get_word_index() == {"the": 1, "and": 2, "a": 3}


def test_imdb_refuses_malicious_pickle(env, tmp_path, monkeypatch):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))
    a = np.empty(1, object); a[0] = Evil()
    path = tmp_path / "evil.npz"
    np.savez(path, x_train=a)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _download.load_npz(str(path))


def test_checksum_mismatch_is_a_clear_error(env, monkeypatch):
    url, handler, files, truth, cache = env
    monkeypatch.setattr(mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(_download.DatasetDownloadError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert "checksum mismatch" in msg and url + "mnist.npz" in msg and "0" * 64 in msg
    assert not (cache / "mnist.npz").exists()
    assert [p.name for p in cache.iterdir()] == []  # the temp file is gone too


def test_corrupt_cached_file_is_redownloaded(env):
    url, handler, files, truth, cache = env
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"garbage")
    (x_train, _), _ = mnist.load_data()
    assert handler.requests == ["mnist.npz"]
    assert x_train.shape == (5, 28, 28)


def _closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_offline_error_names_url_and_cache_path(env, monkeypatch):
    url, handler, files, truth, cache = env
    dead = f"http://127.0.0.1:{_closed_port()}/d/"
    monkeypatch.setenv("KXLA_DATASETS_BASE_URL", dead)
    with pytest.raises(_download.DatasetDownloadError) as e:
        mnist.load_data()
    msg = str(e.value)
    assert dead + "mnist.npz" in msg
    assert str(cache / "mnist.npz") in msg
    assert not (cache / "mnist.npz").exists()
    with pytest.raises(_download.DatasetDownloadError, match="cifar-10-python.tar.gz"):
        cifar10.load_data()


def test_offline_but_cached_needs_no_network(env, monkeypatch):
    url, handler, files, truth, cache = env
    mnist.load_data()
    monkeypatch.setenv("KXLA_DATASETS_BASE_URL", f"http://127.0.0.1:{_closed_port()}/d/")
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (5, 28, 28)
