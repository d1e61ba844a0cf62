"""Model.intermediate_outputs: each top-level layer's activation, checked against numpy."""
import numpy as np
import pytest

import kxla
from kxla import layers


def _mlp():
    return kxla.Sequential([layers.Input((5,)), layers.Dense(7, activation="relu", name="hidden"),
                            layers.Dropout(0.3, name="drop"), layers.Dense(3, activation="softmax", name="probs")])


def test_two_layer_mlp_matches_numpy():
    model = _mlp()
    x = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")
    k1, b1 = model.get_layer("hidden").get_weights()
    k2, b2 = model.get_layer("probs").get_weights()
    hidden = np.maximum(x @ k1 + b1, 0)
    logits = hidden @ k2 + b2
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    out = model.intermediate_outputs(x)
    assert list(out) == ["hidden", "probs"]                # Dropout adds no inference node
    assert all(isinstance(v, np.ndarray) for v in out.values())
    np.testing.assert_allclose(out["hidden"], hidden, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["probs"], probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["probs"], model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_restrict_to_layers_and_errors():
    model = _mlp()
    x = np.ones((2, 5), "float32")
    assert list(model.intermediate_outputs(x, layers=["probs"])) == ["probs"]
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.intermediate_outputs(x, layers=["nope"])
    with pytest.raises(ValueError, match="add no node"):
        model.intermediate_outputs(x, layers=["drop"])


def test_nested_model_counts_as_one_layer():
    inp = kxla.Input((4,), name="x")
    block = kxla.Sequential([layers.Dense(3, name="a"), layers.Dense(2, name="b")], name="block")
    model = kxla.Model(inp, layers.Dense(1, name="head")(block(inp)))
    x = np.random.default_rng(1).normal(size=(3, 4)).astype("float32")
    out = model.intermediate_outputs(x)
    assert list(out) == ["x", "block", "head"]
    np.testing.assert_array_equal(out["x"], x)
    ka, ba = block.get_layer("a").get_weights()
    kb, bb = block.get_layer("b").get_weights()
    np.testing.assert_allclose(out["block"], (x @ ka + ba) @ kb + bb, rtol=1e-5, atol=1e-6)
