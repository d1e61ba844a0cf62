"""The container: magic, checksum, field validation, fuzzing, hostile payloads, atomic writes."""
import os
import pickle
import random
import time

import msgpack
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.saving import FormatError, UnknownObjectError
from kxla.saving import files, format as fmt
from kxla.saving.model_io import read_model_file


def _small_model():
    return kxla.Sequential([layers.Input((6,)), layers.Dense(5, activation="relu", name="hidden"),
                            layers.Dense(3, activation="softmax", name="out")], name="small")


@pytest.fixture(scope="module")
def trained_bytes(tmp_path_factory):
    """One trained, compiled model saved once for the module (compiling the train step is the slow part)."""
    model = _small_model()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).random((16, 6), dtype="float32")
    model.fit(x, np.arange(16) % 3, epochs=1, batch_size=8, verbose=0)
    path = tmp_path_factory.mktemp("trained") / "small.kxla"
    model.save(path)
    return path.read_bytes()


@pytest.fixture
def model_file(tmp_path, trained_bytes):
    """A fresh (uncompiled) model of the same architecture, and a copy of the trained file."""
    path = tmp_path / "small.kxla"
    path.write_bytes(trained_bytes)
    return _small_model(), path


def _repack(path, payload, out):
    payload = {k: v for k, v in payload.items() if k != "__version__"}
    out.write_bytes(fmt.pack_file(fmt.MODEL_FORMAT, payload))
    return out


def test_file_is_one_msgpack_map_with_magic_and_version(model_file):
    _, path = model_file
    data = path.read_bytes()
    outer = msgpack.unpackb(data)
    assert list(outer) == ["format", "version", "sha256", "payload"]
    assert outer["format"] == "kxla.model" and outer["version"] == fmt.FORMAT_VERSION == 1
    payload = msgpack.unpackb(outer["payload"])
    assert set(payload) == {"kxla_version", "ir", "ir_training", "model", "weights", "optimizer", "compile"}
    assert payload["ir"].startswith("graph @small(")
    kernel = next(w for w in payload["weights"] if w["path"] == "hidden/kernel")
    assert kernel["dtype"] == "float32" and kernel["shape"] == [6, 5] and len(kernel["data"]) == 6 * 5 * 4
    assert payload["model"]["kind"] == "sequential"
    assert [e["key"] for e in payload["optimizer"]["state"]][0] == ["iterations"]
    assert payload["compile"]["loss"] == "sparse_categorical_crossentropy"


def test_tensor_round_trip_all_dtypes():
    for dtype in ("float16", "bfloat16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool"):
        arr = (np.arange(12).reshape(3, 4) % 2).astype(fmt.tensor_dtype(dtype))
        back = fmt.decode_tensor(msgpack.unpackb(msgpack.packb(fmt.encode_tensor(arr))), "t")
        assert back.dtype == arr.dtype and back.shape == (3, 4)
        assert back.tobytes() == arr.tobytes()
    big_endian = np.arange(4, dtype=">f4")
    assert fmt.decode_tensor(fmt.encode_tensor(big_endian), "t").tolist() == [0, 1, 2, 3]


def test_fuzz_truncations_and_byte_flips_raise_format_error(model_file, tmp_path):
    _, path = model_file
    data = path.read_bytes()
    rng = random.Random(1234)
    bad = tmp_path / "bad.kxla"
    start = time.perf_counter()
    for i in range(200):
        if i % 2:
            mutated = data[:rng.randrange(len(data))]
        else:
            buf = bytearray(data)
            pos = rng.randrange(len(buf))
            buf[pos] ^= rng.randrange(1, 256)
            mutated = bytes(buf)
        bad.write_bytes(mutated)
        with pytest.raises(FormatError):
            kxla.models.load_model(bad)
        if i < 10:
            with pytest.raises(FormatError):
                _small_model().load_weights(bad)
    assert time.perf_counter() - start < 20


def test_pickle_and_foreign_files_raise_format_error(tmp_path, model_file):
    model, _ = model_file
    p = tmp_path / "evil.kxla"
    p.write_bytes(pickle.dumps({"weights": [np.zeros(3)]}))
    with pytest.raises(FormatError, match="not a kxla file"):
        kxla.models.load_model(p)
    with pytest.raises(FormatError):
        model.load_weights(p)
    p.write_bytes(b"")
    with pytest.raises(FormatError):
        kxla.models.load_model(p)
    # a pickle where the payload should be, with a valid header
    body = pickle.dumps(object())
    import hashlib
    p.write_bytes(msgpack.packb({"format": "kxla.model", "version": 1, "sha256": hashlib.sha256(body).digest(),
                                 "payload": body}))
    with pytest.raises(FormatError):
        kxla.models.load_model(p)
    # a weights file is refused by load_model with a clear message
    model.save_weights(tmp_path / "w.weights.kxla")
    with pytest.raises(FormatError, match="kxla.weights"):
        kxla.models.load_model(tmp_path / "w.weights.kxla")


def test_hostile_payloads_raise_format_error(model_file, tmp_path):
    _, path = model_file
    good = read_model_file(path)
    out = tmp_path / "hostile.kxla"

    def variant(mutate):
        payload = {k: v for k, v in good.items()}
        payload["weights"] = [dict(w) for w in good["weights"]]
        mutate(payload)
        return _repack(path, payload, out)

    cases = {
        "absurd shape": lambda p: p["weights"][0].update(shape=[10 ** 9, 10 ** 9]),
        "negative dim": lambda p: p["weights"][0].update(shape=[-6, -5]),
        "wrong dtype": lambda p: p["weights"][0].update(dtype="object"),
        "data as str": lambda p: p["weights"][0].update(data="abc"),
        "pickled weight": lambda p: p["weights"][0].update(data=pickle.dumps(np.zeros((6, 5), "float32"))),
        "model not a map": lambda p: p.update(model=[1, 2, 3]),
        "weights not a list": lambda p: p.update(weights={"a": 1}),
        "ir not a string": lambda p: p.update(ir=12),
        "unknown kind": lambda p: p.update(model={**p["model"], "kind": "weird"}),
        "layer config wrong type": lambda p: p.update(model={**p["model"], "layers": [
            {"class_name": "Dense", "config": {"units": "many"}}]}),
        "huge units": lambda p: p.update(model={**p["model"], "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 6], "dtype": "float32", "name": "x"}},
            {"class_name": "Dense", "config": {"units": 10 ** 9, "name": "hidden"}}]}),
        "bool as int": lambda p: p["weights"][0].update(shape=[True, 5]),
        "deep nesting": lambda p: p.update(compile={"loss": _nested(200)}),
        "duplicate path": lambda p: p["weights"].append(dict(p["weights"][0])),
    }
    for name, mutate in cases.items():
        start = time.perf_counter()
        with pytest.raises(FormatError):
            kxla.models.load_model(variant(mutate))
        assert time.perf_counter() - start < 5, name
    # msgpack-level nesting bombs never reach Python recursion
    with pytest.raises(FormatError, match="nested"):
        fmt.unpack_file(_deep_file(100_000), fmt.MODEL_FORMAT)
    payload = dict(good)
    payload["model"] = {**good["model"], "class_name": "NoSuchLayerClass"}
    with pytest.raises(UnknownObjectError, match="NoSuchLayerClass"):
        kxla.models.load_model(_repack(path, payload, out))


def _nested(depth):
    value = "mse"
    for _ in range(depth):
        value = [value]
    return value


def _deep_file(depth):
    import hashlib
    body = b"\x91" * depth + b"\xc0"
    return msgpack.packb({"format": "kxla.model", "version": 1, "sha256": hashlib.sha256(body).digest(),
                          "payload": body})


def test_future_version_is_refused(model_file, tmp_path):
    _, path = model_file
    outer = msgpack.unpackb(path.read_bytes())
    outer["version"] = 99
    p = tmp_path / "future.kxla"
    p.write_bytes(msgpack.packb(outer))
    with pytest.raises(FormatError, match="version 99"):
        kxla.models.load_model(p)


def test_missing_path_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        kxla.models.load_model(tmp_path / "nope.kxla")


def test_crash_mid_write_keeps_previous_file(model_file, monkeypatch):
    model, path = model_file
    before = path.read_bytes()
    model.get_layer("hidden").kernel.assign(np.zeros((6, 5), "float32"))     # a different model state

    def half_then_crash(f, data):
        f.write(data[:len(data) // 2])
        raise OSError("disk on fire")

    monkeypatch.setattr(files, "_write_chunks", half_then_crash)
    with pytest.raises(OSError, match="disk on fire"):
        model.save(path)
    assert path.read_bytes() == before
    monkeypatch.undo()

    def failing_fsync(fd):
        raise OSError("fsync failed")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="fsync failed"):
        model.save_weights(path.parent / "w.weights.kxla")
    with pytest.raises(OSError, match="fsync failed"):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(path.parent)) == ["small.kxla"]        # no temp files left behind
    model.save(path)                                                  # and a normal save replaces it
    assert path.read_bytes() != before
    assert not kxla.models.load_model(path).get_layer("hidden").kernel.numpy().any()


def test_overwrite_false(model_file):
    model, path = model_file
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
