"""Conv2D against Keras 3 (both data formats), weights, config, errors and a gradient check."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from kxla.layers.convolutional import Conv2D
from kxla.lowering import lower
from layer_check import check_against_keras, rand, run_traced

CASES = [
    dict(filters=4, kernel_size=3),
    dict(filters=6, kernel_size=(3, 2), strides=(2, 1), padding="same", activation="relu"),
    dict(filters=4, kernel_size=3, padding="same", dilation_rate=2, use_bias=False),
    dict(filters=6, kernel_size=1, groups=2, activation="tanh"),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("kwargs", CASES)
def test_forward_matches_keras(keras, data_format, kwargs):
    kwargs = {**kwargs, "data_format": data_format}
    x = rand(2, 7, 8, 4, seed=1)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = Conv2D(**kwargs, bias_initializer="random_normal")
    out, _ = check_against_keras(keras, layer, "Conv2D", kwargs, x, rtol=1e-4, atol=1e-4)
    twin_shape = keras.layers.Conv2D(**kwargs).compute_output_shape(x.shape)
    assert out.shape == tuple(twin_shape)
    assert layer.compute_output_shape((None,) + x.shape[1:]) == (None,) + tuple(twin_shape)[1:]


def test_weights_and_input_spec():
    layer = Conv2D(8, 3, groups=2, data_format="channels_first")
    layer(rand(1, 4, 6, 6))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.shape for w in layer.weights] == [(3, 3, 2, 8), (8,)]
    assert [w.ir_name for w in layer.weights] == [f"{layer.name}.kernel", f"{layer.name}.bias"]
    assert layer.count_params() == 3 * 3 * 2 * 8 + 8
    assert layer.input_spec.ndim == 4 and layer.input_spec.axes == {1: 4}
    with pytest.raises(ValueError, match="expected axis 1 of input shape to have value 4"):
        layer(rand(1, 3, 6, 6))
    with pytest.raises(ValueError, match="expected ndim=4"):
        Conv2D(2, 3)(rand(1, 6, 6))


def test_config_round_trip_and_matches_keras(keras):
    layer = Conv2D(5, (3, 1), strides=2, padding="SAME", activation="relu", name="c")
    config = layer.get_config()
    ref = keras.layers.Conv2D(5, (3, 1), strides=2, padding="same", activation="relu", name="c").get_config()
    for key in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
                "activation", "use_bias", "name", "trainable"):
        assert config[key] == ref[key], key
    clone = Conv2D.from_config(config)
    assert clone.get_config() == config


def test_bias_add_uses_channel_axis_in_graph():
    layer = Conv2D(3, 3, data_format="channels_first")
    out, _, graph = run_traced(layer, rand(2, 2, 5, 5))
    ops_ = [n.op for n in graph.nodes]
    assert ops_ == ["conv", "bias_add"]
    assert graph.nodes[0].attrs["data_format"] == "channels_first"
    assert graph.nodes[1].attrs["axis"] == 1
    assert out.shape == (2, 3, 3, 3)


@pytest.mark.parametrize("kwargs,match", [
    (dict(filters=0, kernel_size=3), "filters"),
    (dict(filters=4, kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(filters=5, kernel_size=3, groups=2), "divisible by the number of groups"),
    (dict(filters=4, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate"),
    (dict(filters=4, kernel_size=3, padding="causal"), "padding"),
    (dict(filters=4, kernel_size=3, data_format="NHWC"), "data_format"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_build_errors():
    with pytest.raises(ValueError, match="groups"):
        Conv2D(4, 3, groups=2)(rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D(4, 5)(rand(1, 3, 3, 1))


def test_kernel_gradient_matches_finite_differences():
    layer = Conv2D(3, 3, strides=2, padding="same", activation="tanh")
    x = rand(2, 6, 5, 2, seed=2)
    _, _, graph = run_traced(layer, x)
    fn = lower(graph)
    params = {w.ir_name: jnp.asarray(w.value) for w in layer.weights}
    name = layer.kernel.ir_name

    def loss(kernel):
        outs, _ = fn({**params, name: kernel}, {}, [x])
        return jnp.sum(outs[0] ** 2)

    kernel = np.asarray(params[name], dtype=np.float64)
    grad = np.asarray(jax.grad(loss)(jnp.asarray(kernel, jnp.float32)))
    eps = 1e-2
    for index in [(0, 0, 0, 0), (1, 2, 1, 2), (2, 1, 0, 1), (1, 1, 1, 0)]:
        up, down = kernel.copy(), kernel.copy()
        up[index] += eps
        down[index] -= eps
        numeric = (float(loss(jnp.asarray(up, jnp.float32))) -
                   float(loss(jnp.asarray(down, jnp.float32)))) / (2 * eps)
        np.testing.assert_allclose(grad[index], numeric, rtol=2e-2, atol=2e-3)
