"""``model.quantize("gptq", config=GPTQConfig(...))`` against Keras 3.15: variables, integers, scales, zeros,
group indices and outputs after calibration (several settings), the IR, files, and what kxla refuses."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import kxla

RNG = np.random.RandomState(2)


def _model(module):
    return module.Sequential([module.Input((8,)), module.layers.Dense(6, activation="relu", name="a"),
                              module.layers.Dense(3, name="b")])


def _quantize(module, model, **kwargs):
    config = module.quantizers.GPTQConfig(dataset=[np.arange(60) % 20], tokenizer=object(), num_samples=3,
                                          sequence_length=8, **kwargs)
    config.quantization_layer_structure = {"pre_block_layers": [], "sequential_blocks": list(model.layers)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.quantize("gptq", config=config)
    config.quantization_layer_structure = None       # layers in a layer's config cannot be saved (Keras too)
    return model


def _pair(keras, **kwargs):
    theirs, ours = _model(keras), _model(kxla)
    ours.set_weights(theirs.get_weights())
    return _quantize(kxla, ours, **kwargs), _quantize(keras, theirs, **kwargs)


@pytest.mark.parametrize("kwargs", [
    {"weight_bits": 4, "group_size": 8},
    pytest.param({"weight_bits": 8, "group_size": -1}, marks=pytest.mark.slow),
    pytest.param({"weight_bits": 4, "group_size": 4, "symmetric": True, "activation_order": True},
                 marks=pytest.mark.slow),
    pytest.param({"weight_bits": 3, "group_size": 8, "activation_order": True}, marks=pytest.mark.slow)])
def test_calibrated_weights_and_outputs_match_keras(keras, kwargs):
    ours, theirs = _pair(keras, **kwargs)
    policy = f"gptq/{kwargs['weight_bits']}/{kwargs['group_size']}_from_float32"
    for a, b in zip(ours.layers, theirs.layers):
        assert a.dtype_policy.name == b.dtype_policy.name == policy and a.is_gptq_calibrated
        assert [(w.name, tuple(w.shape), w.dtype) for w in a.weights] == \
            [(w.name, tuple(w.shape), w.dtype) for w in b.weights]
        for x, y in zip(a.weights, b.weights):
            np.testing.assert_array_equal(x.numpy(), np.asarray(y), err_msg=x.name)
    x = RNG.randn(4, 8).astype("float32")
    np.testing.assert_allclose(np.asarray(ours.predict(x, verbose=0)), np.asarray(theirs.predict(x, verbose=0)),
                               rtol=1e-6, atol=1e-6)


def test_ir_and_files(keras, tmp_path):
    ours, theirs = _pair(keras, weight_bits=4, group_size=4)
    text = str(ours.to_ir())
    assert "%a.quantized_kernel: u8[3,8]" in text and "%a.kernel_zero: u8[6,2]" in text
    assert text.count("bitwise_right_shift(") == 2 and "%a.kernel:" not in text     # the float kernel is gone
    x = RNG.randn(3, 8).astype("float32")
    expected = np.asarray(theirs.predict(x, verbose=0))
    ours.save(tmp_path / "ours.keras")
    ours.save(tmp_path / "ours.kxla")
    ours.save_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(tmp_path / "ours.keras").predict(x, verbose=0)),
                               expected, rtol=1e-6, atol=1e-6)
    again = kxla.saving.load_model(tmp_path / "ours.kxla")
    assert again.layers[0].dtype_policy.name == "gptq/4/4_from_float32"
    np.testing.assert_allclose(np.asarray(again.predict(x, verbose=0)), expected, rtol=1e-6, atol=1e-6)
    fresh = _quantize(keras, _model(keras), weight_bits=4, group_size=4)
    fresh.load_weights(tmp_path / "ours.weights.h5")
    np.testing.assert_allclose(np.asarray(fresh.predict(x, verbose=0)), expected, rtol=1e-6, atol=1e-6)
    theirs.save(tmp_path / "theirs.keras")        # Keras 3.15 writes no kernel_zero: it cannot reload it either
    with pytest.raises(ValueError, match="expected 5 variables"):
        keras.saving.load_model(tmp_path / "theirs.keras")
    with pytest.raises(Exception, match="expects 5 variables but the file has 4"):
        kxla.saving.load_model(tmp_path / "theirs.keras")


def test_errors():
    q = kxla.quantizers
    model = _model(kxla)
    with pytest.raises(ValueError, match="valid quantization structure"):
        model.quantize("gptq", config=q.GPTQConfig(dataset=[np.arange(30)], tokenizer=object(), sequence_length=4))
    model = _model(kxla)
    structure = {"pre_block_layers": [], "sequential_blocks": list(model.layers)}
    with pytest.raises(ValueError, match="requires a dataset and a tokenizer"):
        model.quantize("gptq", config=q.GPTQConfig(None, None, quantization_layer_structure=structure))
    einsum = kxla.Sequential([kxla.Input((4,)), kxla.layers.Dense(3), kxla.layers.EinsumDense("ab,bc->ac", 2)])
    with pytest.raises(NotImplementedError, match="GPTQ for Dense layers only"):
        einsum.quantize("gptq", config=q.GPTQConfig([np.arange(30)], object(), sequence_length=4))
    assert einsum.layers[0].quantization_mode is None                  # refused before any layer changed
    with pytest.raises(NotImplementedError, match="awq"):
        einsum.quantize(config=q.AWQConfig(None, None))
    with pytest.raises(TypeError, match="must be an iterable"):
        from kxla.models.quantize_gptq import get_dataloader
        get_dataloader(None, 4, "text")
