"""ReLU, Rescaling and Normalization against Keras 3: values, weights, adapt, configs, argument checks."""
import numpy as np
import pytest

from kxla.layers import Normalization, ReLU, Rescaling
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("kwargs", [{}, dict(max_value=6.0), dict(negative_slope=0.1),
                                    dict(threshold=0.5), dict(max_value=1.0, negative_slope=0.2, threshold=0.3),
                                    dict(negative_slope=0.3, threshold=0.2), dict(max_value=6.0, threshold=0.1)])
def test_relu_matches_keras(keras, kwargs):
    x = rand(3, 7) * 4.0
    check_against_keras(keras, ReLU(**kwargs), "ReLU", kwargs, x)
    ours, theirs = ReLU(**kwargs).get_config(), keras.layers.ReLU(**kwargs).get_config()
    assert {k: v for k, v in ours.items() if k not in ("name", "dtype")} == \
        {k: v for k, v in theirs.items() if k not in ("name", "dtype")}


def test_relu6_graph_and_errors():
    _, _, graph = run_traced(ReLU(max_value=6.0), rand(2, 3))
    assert [n.op for n in graph.nodes][0] == "relu"
    for bad in (dict(max_value=-1.0), dict(negative_slope=-0.1), dict(threshold=-1.0)):
        with pytest.raises(ValueError, match="cannot be a negative value"):
            ReLU(**bad)


@pytest.mark.parametrize("kwargs", [dict(scale=1 / 255.0), dict(scale=1 / 127.5, offset=-1.0),
                                    dict(scale=[0.5, 2.0, 1.0], offset=[0.1, 0.2, 0.3])])
def test_rescaling_matches_keras(keras, kwargs):
    x = rand(2, 4, 4, 3) * 100
    out, _ = check_against_keras(keras, Rescaling(**kwargs), "Rescaling", kwargs, x)
    np.testing.assert_allclose(out, x * np.asarray(kwargs["scale"]) + np.asarray(kwargs.get("offset", 0.0)),
                               rtol=1e-5)
    assert Rescaling.from_config(Rescaling(**kwargs).get_config()).get_config()["scale"] == \
        pytest.approx(kwargs["scale"])


def test_rescaling_integer_input_gives_floats():
    out, _, _ = run_traced(Rescaling(0.5), np.arange(6, dtype="int32").reshape(2, 3))
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]


@pytest.mark.parametrize("axis", [-1, (1, 2), None])
def test_normalization_adapt_matches_keras(keras, axis):
    data = rand(20, 3, 4, seed=1) * 3 + 2
    ours, theirs = Normalization(axis=axis), keras.layers.Normalization(axis=axis)
    ours.adapt(data)
    theirs.adapt(data)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == ["mean", "variance", "count"]
    for a, b in zip(ours.get_weights()[:2], theirs.get_weights()[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    x = rand(5, 3, 4, seed=2)
    out, _, _ = run_traced(ours, x)
    np.testing.assert_allclose(out, np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)


def test_normalization_adapt_over_batches_and_invert(keras):
    data = rand(30, 4, seed=3) * 2 + 1
    ours = Normalization()
    ours.adapt([data[:10], data[10:25], data[25:]])        # streamed: Keras's running update, exact moments
    np.testing.assert_allclose(ours.get_weights()[0], data.mean(0), rtol=1e-5)
    np.testing.assert_allclose(ours.get_weights()[1], data.var(0), rtol=1e-5)
    inv = Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[4.0, 1.0, 0.25, 9.0], invert=True)
    twin = keras.layers.Normalization(mean=[1.0, 2.0, 3.0, 4.0], variance=[4.0, 1.0, 0.25, 9.0], invert=True)
    x = rand(3, 4)
    out, _, _ = run_traced(inv, x)
    np.testing.assert_allclose(out, np.asarray(twin(x)), rtol=1e-6)
    assert inv.weights == []
    cfg = inv.get_config()
    assert {k: cfg[k] for k in ("axis", "invert", "mean", "variance")} == \
        {k: twin.get_config()[k] for k in ("axis", "invert", "mean", "variance")} | {"axis": [-1]}


def test_normalization_argument_checks():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="range"):
        run_traced(Normalization(axis=3), rand(2, 3))
