"""BatchNormalization against Keras 3 (inference and training), moving-statistic updates against numpy."""
import numpy as np
import pytest

from kxla.layers.normalization import BatchNormalization
from layer_check import check_against_keras, rand, run_traced


def _randomize(layer, seed=0):
    """Non-trivial gamma, beta and moving statistics (variance > 0)."""
    weights = []
    for i, w in enumerate(layer.weights):
        value = rand(*w.shape, seed=seed + i)
        weights.append(np.abs(value) + 0.5 if w.name == "moving_variance" else value)
    layer.set_weights(weights)


@pytest.mark.parametrize("axis,shape", [(-1, (4, 5, 6, 3)), (1, (4, 3, 5, 6)), (-1, (8, 5))])
@pytest.mark.parametrize("training", [False, True])
def test_forward_matches_keras(keras, axis, shape, training):
    x = rand(*shape, seed=1) * 2 + 1
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-2)
    layer(x)
    _randomize(layer)
    check_against_keras(keras, layer, "BatchNormalization", dict(axis=axis, momentum=0.9, epsilon=1e-2), x,
                        training=training, rtol=1e-4, atol=1e-4)


def test_moving_statistics_update_matches_numpy_and_keras(keras):
    x = rand(6, 4, 4, 3, seed=2) * 3 - 1
    layer = BatchNormalization(momentum=0.8)
    layer(x)
    _randomize(layer, seed=5)
    gamma, beta, mean0, var0 = layer.get_weights()
    out, new_state, graph = run_traced(layer, x, training=True)
    batch_mean = x.mean(axis=(0, 1, 2))
    batch_var = x.var(axis=(0, 1, 2))                    # biased, as Keras
    want_mean = mean0 * 0.8 + batch_mean * 0.2
    want_var = var0 * 0.8 + batch_var * 0.2
    np.testing.assert_allclose(new_state[layer.moving_mean.ir_name], want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_state[layer.moving_variance.ir_name], want_var, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out, (x - batch_mean) / np.sqrt(batch_var + 1e-3) * gamma + beta,
                               rtol=1e-4, atol=1e-4)
    assert {s.name for s, _ in graph.updates} == {layer.moving_mean.ir_name, layer.moving_variance.ir_name}
    twin = keras.layers.BatchNormalization(momentum=0.8)
    twin(x)
    twin.set_weights(layer.get_weights())
    twin(x, training=True)
    np.testing.assert_allclose(twin.moving_mean.numpy(), want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(twin.moving_variance.numpy(), want_var, rtol=1e-5, atol=1e-6)


def test_inference_graph_reads_moving_stats_without_updates():
    layer = BatchNormalization()
    x = rand(3, 4, seed=3)
    out, new_state, graph = run_traced(layer, x, training=False)
    assert graph.updates == []
    assert [n.op for n in graph.nodes] == ["batch_norm"]
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5, atol=1e-6)


def test_eager_training_call_updates_variables():
    layer = BatchNormalization(momentum=0.5)
    x = rand(10, 3, seed=4) + 2
    layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(0) * 0.5, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.5 + x.var(0) * 0.5, rtol=1e-5)


def test_frozen_layer_uses_moving_stats_in_training():
    layer = BatchNormalization()
    x = rand(5, 3, seed=6)
    layer(x)
    layer.trainable = False
    out, _, graph = run_traced(layer, x, training=True)
    assert graph.updates == []
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5, atol=1e-6)


def test_weights_order_and_kinds():
    layer = BatchNormalization(axis=1)
    layer(rand(2, 3, 4, 4))
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.weights] == [(3,)] * 4
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    assert [w.kind for w in layer.weights] == ["param", "param", "state", "state"]
    assert layer.input_spec.axes == {1: 3}
    plain = BatchNormalization(center=False, scale=False)
    plain(rand(2, 3))
    assert [w.name for w in plain.weights] == ["moving_mean", "moving_variance"]
    np.testing.assert_allclose(run_traced(plain, rand(2, 3))[0], rand(2, 3) / np.sqrt(1 + 1e-3), rtol=1e-5)


def test_config_and_errors(keras):
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False, name="bn")
    config = layer.get_config()
    ref = keras.layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False,
                                          name="bn").get_config()
    for key in ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                "moving_mean_initializer", "moving_variance_initializer", "name", "synchronized", "renorm"):
        ours, theirs = config[key], ref[key]
        if isinstance(theirs, dict):            # Keras: {"class_name": "Zeros", ...}
            theirs = theirs["class_name"].lower()
            ours = ours if isinstance(ours, str) else ours["class_name"].lower()
        assert ours == theirs, key
    assert BatchNormalization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="out of bounds"):
        BatchNormalization(axis=3)(rand(2, 3))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        bn = BatchNormalization()
        bn(rand(2, 3))
        bn(rand(2, 4))
    with pytest.raises(ValueError, match="synchronized"):
        BatchNormalization(synchronized=True)
