"""boston_housing, california_housing, cifar100 and reuters against Keras 3's own loaders on the same fixture files.

Both libraries' ``get_file`` are replaced by a lookup into tiny files made here (no network); the
loaders' shuffling, splitting, encoding and layouts are compared exactly.
"""
import io
import json
import os
import pickle
import tarfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")
from keras.src.datasets import boston_housing as k_boston  # noqa: E402
from keras.src.datasets import california_housing as k_california  # noqa: E402
from keras.src.datasets import cifar100 as k_cifar100  # noqa: E402
from keras.src.datasets import reuters as k_reuters  # noqa: E402

import kxla  # noqa: E402
from kxla.datasets import _download, boston_housing, california_housing, cifar100, reuters  # noqa: E402


def _ragged(seqs):
    out = np.empty(len(seqs), dtype=object)
    out[:] = seqs
    return out


@pytest.fixture
def files(tmp_path):
    """Fixture files by name, in ``tmp_path``; cifar100 also extracted (Keras's get_file returns the folder)."""
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "boston_housing.npz", x=rng.normal(size=(23, 13)), y=rng.normal(size=(23,)))
    np.savez(tmp_path / "california_housing.npz", x=rng.normal(size=(700, 8)), y=rng.normal(size=(700,)))
    seqs = [list(rng.integers(0, 40, rng.integers(1, 12))) for _ in range(17)]
    np.savez(tmp_path / "reuters.npz", x=_ragged([[int(w) for w in s] for s in seqs]),
             y=rng.integers(0, 46, 17))
    (tmp_path / "reuters_word_index.json").write_text(json.dumps({"the": 1, "of": 2}))
    with tarfile.open(tmp_path / "cifar-100-python.tar.gz", "w:gz") as tar:
        for name, n in (("train", 5), ("test", 3)):
            payload = pickle.dumps({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                    b"fine_labels": [int(v) for v in rng.integers(0, 100, n)],
                                    b"coarse_labels": [int(v) for v in rng.integers(0, 20, n)]})
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    with tarfile.open(tmp_path / "cifar-100-python.tar.gz") as tar:
        tar.extractall(tmp_path / "keras_extracted", filter="data")
    return tmp_path


@pytest.fixture
def patched(files, monkeypatch):
    def kxla_get_file(fname, origin, file_hash=None, cache_dir=None, **_):
        return str(files / os.path.basename(origin))

    def keras_get_file(fname=None, origin=None, **kwargs):
        if kwargs.get("extract"):
            return str(files / "keras_extracted")
        return str(files / os.path.basename(origin))

    monkeypatch.setattr(_download, "get_file", kxla_get_file)
    for module in (k_boston, k_california, k_cifar100, k_reuters):
        monkeypatch.setattr(module, "get_file", keras_get_file)
    monkeypatch.setenv("KXLA_DATASETS_DIR", str(files / "cache"))
    return files


def _assert_same(ours, theirs):
    for (xo, yo), (xt, yt) in zip(ours, theirs):
        assert xo.dtype == xt.dtype and yo.dtype == yt.dtype and xo.shape == xt.shape
        if xo.dtype == object:
            assert [list(s) for s in xo] == [list(s) for s in xt]
        else:
            np.testing.assert_array_equal(xo, xt)
        np.testing.assert_array_equal(yo, yt)


def test_hashes_are_keras_ones():
    import inspect
    for ours, theirs in ((boston_housing, k_boston), (california_housing, k_california),
                         (cifar100, k_cifar100), (reuters, k_reuters)):
        assert ours.FILE_HASH in inspect.getsource(theirs)
    assert reuters.WORD_INDEX_HASH in inspect.getsource(k_reuters)


@pytest.mark.parametrize("kwargs", [{}, {"test_split": 0.5, "seed": 7}])
def test_boston_housing(patched, kwargs):
    _assert_same(boston_housing.load_data(**kwargs), k_boston.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [{}, {"version": "small", "test_split": 0.1, "seed": 3}])
def test_california_housing(patched, kwargs):
    _assert_same(california_housing.load_data(**kwargs), k_california.load_data(**kwargs))


@pytest.mark.parametrize("loader", [boston_housing.load_data, california_housing.load_data])
def test_bad_test_split_and_version(patched, loader):
    with pytest.raises(ValueError, match="test_split"):
        loader(test_split=1.0)
    with pytest.raises(ValueError, match="version"):
        california_housing.load_data(version="medium")


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cifar100(patched, label_mode, data_format, monkeypatch):
    monkeypatch.setattr(kxla.config, "image_data_format", lambda: data_format)
    monkeypatch.setattr(k_cifar100.backend, "image_data_format", lambda: data_format)
    _assert_same(cifar100.load_data(label_mode), k_cifar100.load_data(label_mode))
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium")


@pytest.mark.parametrize("kwargs", [{}, {"num_words": 20, "skip_top": 2, "maxlen": 9},
                                    {"start_char": None, "oov_char": None, "index_from": 0, "test_split": 0.3}])
def test_reuters(patched, kwargs):
    _assert_same(reuters.load_data(**kwargs), k_reuters.load_data(**kwargs))


def test_reuters_word_index_and_labels(patched):
    assert reuters.get_word_index() == k_reuters.get_word_index()
    assert reuters.get_label_names() == k_reuters.get_label_names()
