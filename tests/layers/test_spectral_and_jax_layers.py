"""STFTSpectrogram, MelSpectrogram, SpectralNormalization, JaxLayer and FlaxLayer against Keras 3."""
import numpy as np
import pytest

import kxla
from layer_check import check_against_keras, check_config, rand, run_traced

keras = pytest.importorskip("keras")

STFT_CASES = [dict(mode="log", frame_length=8, frame_step=4),
              dict(mode="stft", frame_length=6, frame_step=3, fft_length=8, padding="same", expand_dims=True),
              dict(mode="psd", frame_length=8, scaling="spectrum", periodic=True, data_format="channels_first")]


@pytest.mark.parametrize("kwargs", STFT_CASES[:1] + [pytest.param(c, marks=pytest.mark.slow) for c in STFT_CASES[1:]])
def test_stft_spectrogram_matches_keras(kwargs):
    x = rand(2, 32, 2, seed=3)
    if kwargs.get("data_format") == "channels_first":
        x = np.moveaxis(x, -1, 1)
    layer = kxla.layers.STFTSpectrogram(**kwargs)
    out, twin = check_against_keras(keras, layer, "STFTSpectrogram", kwargs, x, rtol=1e-4, atol=1e-4)
    assert out.shape == tuple(twin.compute_output_shape(x.shape)) == layer.compute_output_shape(x.shape)
    check_config(keras, layer, "STFTSpectrogram", kwargs)


@pytest.mark.parametrize("kwargs", [dict(fft_length=64, sequence_stride=16, num_mel_bins=8, sampling_rate=8000),
                                    pytest.param(dict(fft_length=32, sequence_stride=8, sequence_length=24,
                                                      num_mel_bins=6, power_to_db=False, mag_exp=1.0),
                                                 marks=pytest.mark.slow)])
def test_mel_spectrogram_matches_keras(kwargs):
    x = rand(2, 100, seed=4)
    layer = kxla.layers.MelSpectrogram(**kwargs)
    expected = np.asarray(keras.layers.MelSpectrogram(**kwargs)(x))
    traced, _, _ = run_traced(layer, x)
    np.testing.assert_allclose(traced, expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-4, atol=1e-3)
    assert layer.compute_output_shape(x.shape) == tuple(expected.shape)
    check_config(keras, layer, "MelSpectrogram", kwargs)


@pytest.mark.parametrize("training", [pytest.param(False, marks=pytest.mark.slow), True])
def test_spectral_normalization_matches_keras(training):
    x = rand(3, 4, seed=5)
    ours = kxla.layers.SpectralNormalization(kxla.layers.Dense(3), power_iterations=2)
    ours(x)
    assert [w.name for w in ours.weights] == ["kernel", "vector_u", "bias"]
    twin = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    twin(x)
    assert [w.name for w in twin.weights] == ["kernel", "vector_u", "bias"]
    twin.set_weights(ours.get_weights())
    expected = np.asarray(twin(x, training=training))
    traced, state, _ = run_traced(ours, x, training=training)
    np.testing.assert_allclose(traced, expected, rtol=1e-5, atol=1e-5)
    if training:          # vector_u is a state update; Keras assigned it in place
        np.testing.assert_allclose(list(state.values())[0], np.asarray(twin.vector_u.value), rtol=1e-5, atol=1e-6)
        eager = np.asarray(ours(x, training=True))                   # eager: kernel and vector_u assigned
        np.testing.assert_allclose(eager, expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(ours.layer.kernel.numpy() if hasattr(ours.layer.kernel, "numpy")
                                   else np.asarray(ours.layer.kernel), np.asarray(twin.layer.kernel.value),
                                   rtol=1e-5, atol=1e-6)
    assert ours.get_config()["power_iterations"] == 2
    with pytest.raises(ValueError, match="power_iterations"):
        kxla.layers.SpectralNormalization(kxla.layers.Dense(2), power_iterations=0)


def _call_fn(params, state, inputs, training):
    out = inputs @ params["w"] + params["b"]
    return out * (2.0 if training else 1.0), {"count": state["count"] + 1}


def test_jax_layer_matches_keras_and_updates_state():
    x = rand(2, 4, seed=6)
    params = {"w": rand(4, 3, seed=7), "b": rand(3, seed=8)}
    state = {"count": np.zeros((), "float32")}
    ours = kxla.layers.JaxLayer(_call_fn, params=params, state=state)
    twin = keras.layers.JaxLayer(_call_fn, params=params, state=state)
    assert [(w.name, w.shape, w.trainable) for w in ours.weights] == \
        [(w.name, tuple(w.shape), w.trainable) for w in twin.weights]
    for training in (False, True):
        expected = np.asarray(twin(x, training=training))
        before = float(np.asarray(ours.state["count"].value))
        traced, new_state, _ = run_traced(ours, x, training=training)
        np.testing.assert_allclose(traced, expected, rtol=1e-6)
        assert list(new_state.values()) == [before + 1]
        np.testing.assert_allclose(np.asarray(ours(x, training=training)), expected, rtol=1e-6)


def test_jax_layer_init_fn_and_rng():
    import jax

    def init_fn(rng, inputs):
        return {"w": jax.random.normal(rng, (inputs.shape[-1], 2))}

    def call_fn(params, inputs, rng, training):
        noise = jax.random.uniform(rng, inputs.shape) if training else 0.0
        return (inputs + noise) @ params["w"]
    layer = kxla.layers.JaxLayer(call_fn, init_fn)
    x = rand(2, 5, seed=9)
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, x @ np.asarray(layer.params["w"].value), rtol=1e-5)
    traced, _, _ = run_traced(layer, x, training=True)
    assert traced.shape == (2, 2) and not np.allclose(traced, out)
    with pytest.raises(ValueError, match="Unsupported argument in `call_fn`: `x`"):
        kxla.layers.JaxLayer(lambda inputs, x: inputs)


def test_flax_layer_names_the_missing_package():
    with pytest.raises(ImportError, match="flax"):
        kxla.layers.FlaxLayer(object())
