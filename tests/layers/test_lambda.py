"""Lambda: traced into ordinary IR nodes, arguments/training/mask, output_shape, config by function name."""
import numpy as np
import pytest

from kxla import ops
from kxla.layers import Lambda
from kxla.saving import register_serializable
from layer_check import check_against_keras, rand, run_traced


def scaled_relu(x, alpha=1.0):
    return ops.relu(x) * alpha


def test_function_becomes_ir_nodes():
    x = rand(3, 4)
    out, _, graph = run_traced(Lambda(scaled_relu, arguments={"alpha": 3.0}), x)
    assert [n.op for n in graph.nodes if n.op != "constant"] == ["relu", "multiply"]
    assert all(n.layer.startswith("lambda") for n in graph.nodes)
    np.testing.assert_allclose(out, np.maximum(x, 0) * 3.0, rtol=1e-6)
    np.testing.assert_allclose(Lambda(scaled_relu)(x), np.maximum(x, 0), rtol=1e-6)      # eager


def test_matches_keras_lambda(keras):
    x = rand(2, 3, 5)
    out, _ = check_against_keras(keras, Lambda(lambda t: ops.softmax(t, axis=1)), "Lambda",
                                 dict(function=lambda t: keras.ops.softmax(t, axis=1)), x, rtol=1e-6)
    assert out.shape == x.shape


def test_training_and_mask_arguments():
    seen = {}

    def fn(x, training=None, mask=None):
        seen["training"], seen["mask"] = training, mask
        return x * 2.0

    layer = Lambda(fn, mask=lambda inputs, mask: "the mask")
    run_traced(layer, rand(2, 3), training=True)
    assert seen == {"training": True, "mask": None}
    assert layer.supports_masking and layer.compute_mask(None, None) == "the mask"
    assert not Lambda(scaled_relu).supports_masking


def test_output_shape():
    assert Lambda(lambda x: ops.sum(x, axis=1)).compute_output_shape((None, 3, 4)) == (None, 4)
    assert Lambda(scaled_relu, output_shape=(7,)).compute_output_shape((5, 3)) == (5, 7)
    assert Lambda(scaled_relu, output_shape=lambda s: s[:1] + (1,)).compute_output_shape((5, 3)) == (5, 1)


def test_config_stores_the_function_name_and_reloads():
    config = Lambda(scaled_relu, output_shape=(4,), arguments={"alpha": 2.0}, name="lam").get_config()
    assert config["function"] == "scaled_relu" and config["arguments"] == {"alpha": 2.0}
    assert config["output_shape"] == [4]
    again = Lambda.from_config(config, custom_objects={"scaled_relu": scaled_relu})
    assert again.function is scaled_relu and again.get_config() == config
    assert Lambda.from_config({"function": "relu"}).function is ops.relu           # kxla.ops by name
    registered = register_serializable("lambda_test")(lambda x: x + 1.0)
    config = Lambda(registered).get_config()
    assert config["function"] == "lambda_test><lambda>"
    assert Lambda.from_config(config).function is registered
    with pytest.raises(ValueError, match="a Python lambda has no usable name"):
        Lambda.from_config(Lambda(lambda x: x).get_config())
    with pytest.raises(ValueError, match="register_serializable"):
        Lambda.from_config({"function": "no_such_function"})


def test_in_a_functional_model():
    from kxla.layers import Input
    from kxla.models import Model
    inp = Input((3,))
    model = Model(inp, Lambda(scaled_relu, arguments={"alpha": 2.0})(inp))
    x = rand(4, 3)
    np.testing.assert_allclose(np.asarray(model.predict(x, verbose=0)), np.maximum(x, 0) * 2.0, rtol=1e-6)


def test_not_callable():
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)
