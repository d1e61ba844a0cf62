"""Functional models with direct op calls between layers (``ops.add(a, b)``, ``x * 2``) as Keras 3 writes them."""
import importlib
import inspect
import json
import zipfile

import numpy as np
import pytest

import kxla
from kxla.saving import keras_ops

pytest.importorskip("h5py")
keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
XS = [RNG.normal(size=(3, 4)).astype("float32") for _ in range(2)]


def _ops_model(lib):
    ops, L = lib.ops, lib.layers
    a, b = lib.Input((4,), name="a"), lib.Input((4,), name="b")
    x = L.Dense(6, name="d")(ops.add(a, b) * 2)
    x = ops.sum(ops.reshape(x, (-1, 2, 3)), axis=1)
    y = ops.concatenate([x, a[:, :3], ops.expand_dims(b[:, 1], -1)], axis=-1)
    y = ops.tanh(y) - 1.5
    y = ops.transpose(ops.stack([y, ops.softmax(y)], axis=1), (0, 2, 1))
    z = ops.where(ops.greater(y, 0.0), ops.square(y), ops.maximum(y, -0.5))
    return lib.Model([a, b], [ops.mean(z, axis=-1), ops.cast(ops.argmax(y, axis=1), "float32"),
                              ops.einsum("bi,bj->bij", a, b)])


def _outputs(model):
    return [np.asarray(t) for t in model(XS)]


def _close(got, expected):
    assert len(got) == len(expected)
    for u, v in zip(got, expected):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-6)


def test_keras_writes_ops_between_layers_kxla_reads(tmp_path):
    km = _ops_model(keras)
    km.save(tmp_path / "k.keras")
    m = kxla.models.load_model(tmp_path / "k.keras")
    _close(_outputs(m), _outputs(km))
    assert [l.name for l in m.layers] == ["a", "b", "d"]          # operations are not layers, as in Keras


def test_kxla_writes_ops_between_layers_keras_reads(tmp_path):
    m = _ops_model(kxla)
    m.save(tmp_path / "m.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))["config"]
    entries = {e["name"]: e for e in config["layers"]}
    assert entries["add"]["module"] == "keras.src.ops.numpy" and entries["add"]["registered_name"] == "Add"
    assert entries["multiply"]["inbound_nodes"][0]["args"][1] == 2            # the constant, as Keras writes it
    assert entries["reshape"]["config"] == {"name": "reshape", "newshape": [-1, 2, 3]}
    assert entries["get_item"]["inbound_nodes"][0]["args"][1][1] == {
        "class_name": "__slice__", "config": {"start": None, "stop": 3, "step": None}}
    km = keras.saving.load_model(tmp_path / "m.keras")
    _close(_outputs(km), _outputs(m))
    m2 = kxla.models.load_model(tmp_path / "m.keras")            # and back into kxla
    _close(_outputs(m2), _outputs(m))


def _many_ops_model(lib):
    ops = lib.ops
    a = lib.Input((4,), name="a")
    outs = [a[:, 1], a[..., None], ops.split(a, 2, axis=-1)[1], ops.pad(a, [[0, 0], [1, 2]]),
            ops.take(a, np.array([0, 2]), axis=1), ops.clip(a, -0.5, 0.5), a ** 2, -a, abs(a),
            ops.one_hot(ops.cast(ops.abs(a) * 2, "int32"), 3), ops.max(a, axis=-1), ops.logsumexp(a, axis=-1),
            ops.leaky_relu(a, 0.1), ops.gelu(a), ops.tile(a, (1, 2)), ops.repeat(a, 2, axis=1), ops.flip(a, axis=1),
            ops.cumsum(a, axis=1), ops.zeros_like(a) + 1.0, ops.moveaxis(ops.expand_dims(a, 1), 1, 2),
            ops.round(a), ops.minimum(a, 0.1), a / 3, a // 1, a % 2.0]
    return lib.Model(a, outs)


@pytest.mark.parametrize("writer", ["keras", "kxla"])
def test_many_ops_both_ways(writer, tmp_path):
    x = RNG.normal(size=(3, 4)).astype("float32")
    m = _many_ops_model(keras if writer == "keras" else kxla)
    m.save(tmp_path / "m.keras")
    loaded = kxla.models.load_model(tmp_path / "m.keras") if writer == "keras" else \
        keras.saving.load_model(tmp_path / "m.keras")
    _close([np.asarray(t) for t in loaded(x)], [np.asarray(t) for t in m(x)])


def test_keras_operation_table_matches_keras():
    """Every op kxla writes names a Keras operation class whose __init__ takes the config kxla writes,
    and reads back as the kxla.ops function of the same name."""
    for op, (module, _, specs) in keras_ops._TABLE.items():
        cls_name = keras_ops._keras_class(op)
        mod = importlib.import_module(f"keras.src.ops.{module}")
        cls = getattr(mod, cls_name, None)
        assert isinstance(cls, type), f"{op}: keras.src.ops.{module}.{cls_name} does not exist"
        params = set(inspect.signature(cls.__init__).parameters) - {"self"}
        keys = {s.split("<")[0].split("=")[0] for s in specs}
        assert keys <= params, f"{op}: {keys - params} not arguments of Keras's {cls_name}"
        call = keras_ops.op_from_entry({"module": f"keras.src.ops.{module}", "class_name": cls_name}, op)
        assert call.fn is getattr(kxla.ops, call.fn_name)


def test_op_without_keras_form_is_a_clear_error_and_kxla_format_keeps_it(tmp_path):
    a = kxla.Input((4,))
    m = kxla.Model(a, kxla.layers.Dense(2)(kxla.ops.sort(a)))
    with pytest.raises(ValueError, match="'sort'.*model.kxla"):
        m.save(tmp_path / "m.keras")
    m.save(tmp_path / "m.kxla")
    x = RNG.normal(size=(2, 4)).astype("float32")
    np.testing.assert_allclose(np.asarray(kxla.models.load_model(tmp_path / "m.kxla")(x)), np.asarray(m(x)),
                               rtol=1e-6)


def test_unknown_keras_operation_is_named():
    entry = {"module": "keras.src.ops.numpy", "class_name": "NoSuchOp", "config": {"name": "x"}}
    with pytest.raises(ValueError, match="NoSuchOp"):
        keras_ops.op_from_entry(entry, "config")
    for sneaky in ("__Import__", "_Private", "Ops"):
        with pytest.raises(ValueError):
            keras_ops.op_from_entry({**entry, "class_name": sneaky}, "config")


def _masked(lib):
    L = lib.layers
    i = lib.Input((5,), dtype="int32")
    return lib.Model(i, L.Dense(2)(L.SimpleRNN(3)(L.Embedding(7, 4, mask_zero=True)(i))))


def test_masked_sequence_model_writes_no_mask_tensors():
    """The mask between layers travels implicitly, as in Keras's config (it is recomputed on loading)."""
    config = _masked(kxla).get_config()
    rnn = next(e for e in config["layers"] if e["class_name"] == "SimpleRNN")
    assert rnn["inbound_nodes"][0]["kwargs"] in ({}, {"mask": None})
    assert [e["class_name"] for e in config["layers"]] == ["InputLayer", "Embedding", "SimpleRNN", "Dense"]


@pytest.mark.slow
def test_masked_sequence_model_loads_in_keras(tmp_path):
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], "int32")
    m = _masked(kxla)
    m.save(tmp_path / "m.keras")
    km = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(km(x)), np.asarray(m(x)), rtol=1e-5, atol=1e-6)
