"""layer.quantize / model.quantize against Keras 3: variables (names, dtypes, shapes, order, values), outputs,
a training step, saving both ways, and the errors for what kxla does not run."""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import quantizers as q

RNG = np.random.RandomState(0)


def _pair(keras, make, shape):
    """The same layer built in Keras and kxla, with Keras's initial weights copied into kxla's."""
    theirs, ours = make(keras), make(kxla)
    theirs.build(shape)
    ours.build(shape)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    return ours, theirs


def _check_quantized(ours, theirs, x):
    assert [(w.name, tuple(w.shape), w.dtype, w.trainable) for w in ours.weights] == \
        [(w.name, tuple(w.shape), w.dtype, w.trainable) for w in theirs.weights]
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_array_equal(a.numpy(), np.asarray(b))
    assert ours.dtype_policy.name == theirs.dtype_policy.name and ours.quantization_mode == theirs.quantization_mode
    np.testing.assert_array_equal(np.asarray(ours(x)), np.asarray(theirs(x)))


def _config(module, kind):
    return {"int8": None, "int8-weights": module.quantizers.Int8QuantizationConfig(activation_quantizer=None),
            "int4": None, "int4-channel": module.quantizers.Int4QuantizationConfig(block_size=None),
            "int4-block8": module.quantizers.Int4QuantizationConfig(block_size=8)}[kind]


SLOW = pytest.mark.slow


@pytest.mark.parametrize("kind", ["int8", pytest.param("int4", marks=SLOW), pytest.param("int8-weights", marks=SLOW),
                                  pytest.param("int4-channel", marks=SLOW), pytest.param("int4-block8", marks=SLOW)])
def test_dense(keras, kind):
    ours, theirs = _pair(keras, lambda m: m.layers.Dense(5, activation="relu"), (None, 20))
    mode = kind.split("-")[0]
    ours.quantize(mode, config=_config(kxla, kind))
    theirs.quantize(mode, config=_config(keras, kind))
    _check_quantized(ours, theirs, RNG.randn(4, 20).astype("float32"))


@pytest.mark.parametrize("equation,output_shape,bias_axes,input_shape,kind", [
    ("abc,cde->abde", (3, 2, 4), "de", (None, 3, 5), "int8"),
    pytest.param("btnh,nhd->btd", (4, 5), "d", (None, 4, 2, 3), "int8", marks=SLOW),
    pytest.param("abc,cde->abde", (3, 2, 4), "de", (None, 3, 5), "int4", marks=SLOW),
    pytest.param("btnh,nhd->btd", (4, 5), "d", (None, 4, 2, 3), "int4-channel", marks=SLOW),
    pytest.param("btnh,nhd->btd", (4, 5), "d", (None, 4, 2, 3), "int4-block8", marks=SLOW)])
def test_einsum_dense(keras, equation, output_shape, bias_axes, input_shape, kind):
    ours, theirs = _pair(keras, lambda m: m.layers.EinsumDense(equation, output_shape, bias_axes=bias_axes),
                         input_shape)
    mode = kind.split("-")[0]
    ours.quantize(mode, config=_config(kxla, kind))
    theirs.quantize(mode, config=_config(keras, kind))
    _check_quantized(ours, theirs, RNG.randn(2, *input_shape[1:]).astype("float32"))


@pytest.mark.parametrize("kind", ["int8", pytest.param("int4-block8", marks=SLOW),
                                  pytest.param("int4-channel", marks=SLOW)])
def test_embedding(keras, kind):
    ours, theirs = _pair(keras, lambda m: m.layers.Embedding(12, 10), (None, 3))
    mode = kind.split("-")[0]
    ours.quantize(mode, config=_config(kxla, kind))
    theirs.quantize(mode, config=_config(keras, kind))
    _check_quantized(ours, theirs, RNG.randint(0, 12, (2, 3)).astype("int32"))


@pytest.mark.parametrize("tie,cap,kind", [(True, 5.0, "int8"), pytest.param(False, None, "int8", marks=SLOW),
                                          pytest.param(False, 5.0, "int8-weights", marks=SLOW)])
def test_reversible_embedding_int8(keras, tie, cap, kind):
    ours, theirs = _pair(keras, lambda m: m.layers.ReversibleEmbedding(10, 6, tie_weights=tie, logit_soft_cap=cap),
                         (None, 3))
    ours.quantize("int8", config=_config(kxla, kind))
    theirs.quantize("int8", config=_config(keras, kind))
    _check_quantized(ours, theirs, RNG.randint(0, 10, (2, 3)).astype("int32"))
    v = RNG.randn(2, 3, 6).astype("float32")
    np.testing.assert_array_equal(np.asarray(ours(v, reverse=True)), np.asarray(theirs(v, reverse=True)))
    grads = [jax.grad(lambda x, layer=layer: jnp.sum(layer(x, reverse=True) ** 2))(v) for layer in (ours, theirs)]
    np.testing.assert_array_equal(np.asarray(grads[0]), np.asarray(grads[1]))      # Keras's autodiff gradient


@pytest.mark.parametrize("mode", [pytest.param("int8", marks=SLOW), pytest.param("int4", marks=SLOW)])
def test_multi_head_attention_projections(keras, mode):
    q, v = RNG.randn(2, 4, 8).astype("float32"), RNG.randn(2, 5, 8).astype("float32")
    theirs, ours = keras.layers.MultiHeadAttention(2, 3), kxla.layers.MultiHeadAttention(2, 3)
    theirs(q, v)
    ours(q, v)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    models = []
    for module, layer in ((keras, theirs), (kxla, ours)):
        a, b = module.Input((4, 8)), module.Input((5, 8))
        models.append(module.Model([a, b], layer(a, b)))
        models[-1].quantize(mode)
    assert [(w.name, tuple(w.shape), w.dtype) for w in ours.weights] == \
        [(w.name, tuple(w.shape), w.dtype) for w in theirs.weights]
    for a, b in zip(ours.weights, theirs.weights):
        np.testing.assert_array_equal(a.numpy(), np.asarray(b))
    np.testing.assert_allclose(np.asarray(models[1].predict([q, v], verbose=0)),
                               np.asarray(models[0].predict([q, v], verbose=0)), rtol=1e-5, atol=1e-6)


def _models(module):
    model = module.Sequential([module.Input((6,)), module.layers.Dense(7, activation="tanh", name="a"),
                               module.layers.EinsumDense("ab,bc->ac", 4, bias_axes="c", name="e"),
                               module.layers.Dense(3, name="q")])
    return model


def test_model_quantize_ir_training_and_files(keras, tmp_path):
    x, y = RNG.randn(8, 6).astype("float32"), RNG.randn(8, 3).astype("float32")
    theirs, ours = _models(keras), _models(kxla)
    ours.set_weights(theirs.get_weights())
    theirs.quantize("int8", filters=["e", "q"])
    ours.quantize("int8", filters=["e", "q"])
    assert ours.layers[0].quantization_mode is None and ours.layers[2].dtype_policy.name == "int8_from_float32"
    text = str(ours.to_ir())
    assert text.count("quantized_dot(") == 2 and 'mode="int8"' in text and "input_range=[-127,127]" in text
    np.testing.assert_array_equal(np.asarray(ours.predict(x, verbose=0)), np.asarray(theirs.predict(x, verbose=0)))
    for model, module in ((theirs, keras), (ours, kxla)):
        model.compile(module.optimizers.SGD(0.1), "mse")
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):   # straight-through input gradients, as Keras
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-6, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    theirs.save(tmp_path / "theirs.keras")
    expected = np.asarray(theirs.predict(x, verbose=0))
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(tmp_path / "ours.keras").predict(x, verbose=0)),
                               expected, rtol=1e-6, atol=1e-6)
    loaded = kxla.saving.load_model(tmp_path / "theirs.keras")
    assert [w.dtype for w in loaded.layers[2].weights] == ["float32", "int8", "float32"]
    np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), expected, rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_int4_model_weights_files_both_ways(keras, tmp_path):
    x = RNG.randn(3, 6).astype("float32")
    theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, name="d")])
    ours = kxla.Sequential([kxla.Input((6,)), kxla.layers.Dense(5, name="d")])
    theirs.quantize("int4")
    ours.quantize("int4")
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_array_equal(np.asarray(ours.predict(x, verbose=0)), np.asarray(theirs.predict(x, verbose=0)))
    ours.save(tmp_path / "o.kxla")
    again = kxla.saving.load_model(tmp_path / "o.kxla")
    assert again.layers[0].dtype_policy.name == "int4/128_from_float32"
    np.testing.assert_array_equal(np.asarray(again.predict(x, verbose=0)), np.asarray(theirs.predict(x, verbose=0)))


def test_errors():
    model = kxla.Sequential([kxla.Input((4,)), kxla.layers.Dense(3), kxla.layers.Dropout(0.1)])
    weights = [w.numpy().copy() for w in model.weights]
    for mode, config in ((None, q.AWQConfig(None, None)),):
        with pytest.raises(NotImplementedError, match=(mode or "awq")):
            model.quantize(mode, config=config)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(weights, model.weights))     # nothing changed
    with pytest.raises(ValueError, match="GPTQConfig"):
        model.quantize("gptq")
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        model.quantize("int3")
    with pytest.raises(ValueError, match="isn't yet built"):
        kxla.layers.Dense(3).quantize("int8")
    with pytest.raises(NotImplementedError, match="Dropout"):
        model.layers[1].quantize("int8")
    with pytest.warns(UserWarning, match="Dropout"):
        model.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        model.layers[0].quantize("int8")
    with pytest.raises(NotImplementedError, match="awq"):
        kxla.layers.Dense(3, dtype="awq/4/128_from_float32").build((None, 4))
    bad = q.Int8QuantizationConfig(activation_quantizer=q.AbsMaxQuantizer(output_dtype="int16"))
    dense = kxla.layers.Dense(2)
    dense.build((None, 3))
    with pytest.raises(NotImplementedError, match="AbsMaxQuantizer"):
        dense.quantize("int8", config=bad)
    assert dense.kernel.dtype == "float32" and dense.quantization_mode is None

    tied = kxla.Sequential([kxla.Input((3,), dtype="int32"), kxla.layers.ReversibleEmbedding(5, 4)])
    with pytest.raises(NotImplementedError, match="ReversibleEmbedding supports int8"):
        tied.quantize("int4")

    class MyDense(kxla.layers.Dense):
        pass
    layer = MyDense(2)
    layer.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense"):
        layer.quantize("int8")
    layer.quantize("int8", type_check=False)
    assert layer.kernel.dtype == "int8"


def test_config_round_trip():
    layer = kxla.layers.Dense(4, name="d")
    layer.build((None, 6))
    layer.quantize("int4", config=q.Int4QuantizationConfig(block_size=2))
    config = layer.get_config()
    assert config["dtype"]["class_name"] == "Int4DTypePolicy"
    assert config["quantization_config"]["config"]["block_size"] == 2
    again = kxla.layers.Dense.from_config(config)
    again.build((None, 6))
    assert [(w.name, w.shape, w.dtype) for w in again.weights] == [(w.name, w.shape, w.dtype) for w in layer.weights]
    again.set_weights(layer.get_weights())
    x = RNG.randn(2, 6).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(np.asarray(again(x)), np.asarray(layer(x)))
