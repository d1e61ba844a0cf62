"""Functional models: several inputs and outputs, shared layers, direct ops, disconnected graphs."""
import numpy as np
import pytest

import kxla
from kxla import layers, ops


def two_headed():
    a, b = kxla.Input((4,), name="a"), kxla.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    z = ops.add(shared(a), shared(b))
    reg = layers.Dense(1, name="reg")(z)
    cls = layers.Dense(2, activation="softmax", name="cls")(z)
    return kxla.Model([a, b], [reg, cls])


def test_structure_and_weights():
    model = two_headed()
    assert [l.name for l in model.layers] == ["a", "b", "shared", "reg", "cls"]
    assert len(model.weights) == 6                       # the shared layer's weights appear once
    graph = model.to_ir()
    assert [v.name for v in graph.inputs] == ["a", "b"]
    assert [n.op for n in graph.nodes].count("matmul") == 4
    assert len(graph.outputs) == 2


def test_outputs_match_numpy():
    model = two_headed()
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 4)).astype("float32")
    ks, bs, kr, br, kc, bc = model.get_weights()
    z = (xa @ ks + bs) + (xb @ ks + bs)
    logits = z @ kc + bc
    soft = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    reg, cls = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(reg, z @ kr + br, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cls, soft, rtol=1e-5, atol=1e-6)
    as_dict = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_allclose(as_dict[1], cls, rtol=1e-6)


def test_multi_output_training_reports_per_output_logs():
    model = two_headed()
    model.compile("adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 1.0],
                  metrics=[["mae"], ["accuracy"]])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(64, 4)).astype("float32") for _ in range(2)]
    y = [rng.normal(size=(64, 1)).astype("float32"), rng.integers(0, 2, 64)]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"]
    assert logs["loss"] == pytest.approx(0.5 * logs["reg_loss"] + logs["cls_loss"], rel=1e-5)
    reg, cls = model.predict(x, verbose=0)
    assert logs["reg_loss"] == pytest.approx(np.mean((reg - y[0]) ** 2), rel=1e-5)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "reg_loss", "cls_loss", "reg_mae", "cls_accuracy"}


def test_training_flag_changes_the_graph():
    x = kxla.Input((8,))
    y = layers.Dropout(0.5)(layers.Dense(8)(x))
    model = kxla.Model(x, y)
    assert "dropout" not in [n.op for n in model.to_ir(training=False).nodes]
    assert "dropout" in [n.op for n in model.to_ir(training=True).nodes]


def test_disconnected_graph_is_an_error():
    a, b = kxla.Input((2,)), kxla.Input((2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        kxla.Model(a, out)


def test_layer_input_mismatch_names_layer():
    dense = layers.Dense(4, name="proj")
    dense(kxla.Input((3,)))
    with pytest.raises(ValueError, match="Input 0 of layer 'proj' is incompatible.*value 3.*\\(None, 5\\)"):
        dense(kxla.Input((5,)))


def test_nested_sequential_inside_functional():
    inner = kxla.Sequential([layers.Dense(3, activation="relu"), layers.Dense(2)], name="inner")
    x = kxla.Input((4,))
    model = kxla.Model(x, inner(x))
    graph = model.to_ir()
    assert {n.layer for n in graph.nodes} == {"inner/" + inner.layers[0].name, "inner/" + inner.layers[1].name}
    data = np.ones((2, 4), "float32")
    np.testing.assert_allclose(model.predict(data, verbose=0), inner.predict(data, verbose=0), rtol=1e-6)
