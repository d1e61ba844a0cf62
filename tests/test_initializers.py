"""keras.initializers against Keras 3: exact values where deterministic, distribution statistics where
Keras's JAX random stream differs from kxla's numpy draws; names, aliases, seeding and serialization."""
import numpy as np
import pytest

from kxla import initializers

SHAPE = (3, 3, 32, 64)      # a conv kernel: fans use the receptive field


def test_every_keras_name_is_present(keras):
    public = {n for n in dir(keras.initializers) if not n.startswith("_")}
    assert public <= set(dir(initializers))
    for name in public - {"get", "serialize", "deserialize"}:
        ours = getattr(initializers, name)
        assert ours.__name__ == getattr(keras.initializers, name).__name__, name


@pytest.mark.parametrize("name,kwargs,shape", [
    ("Zeros", {}, (3, 4)), ("Ones", {}, (2, 5)), ("Constant", {"value": 2.5}, (4,)),
    ("Identity", {}, (4, 4)), ("Identity", {"gain": 2.0}, (2, 3)), ("IdentityInitializer", {}, (3, 2)),
    ("STFT", {}, (16, 1, 9)), ("STFT", {"side": "imag", "window": "hamming", "scaling": "spectrum"}, (8, 1, 5)),
    ("STFT", {"window": None, "scaling": None}, (8, 1, 5)), ("stft", {"periodic": True}, (10, 1, 6))])
def test_deterministic_values_equal_keras(keras, name, kwargs, shape):
    ours = getattr(initializers, name)(**kwargs)(shape, "float32")
    theirs = np.asarray(getattr(keras.initializers, name)(**kwargs)(shape, "float32"))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


RANDOM = [("RandomNormal", {"mean": 0.5, "stddev": 0.2}), ("RandomUniform", {"minval": -0.3, "maxval": 0.1}),
          ("TruncatedNormal", {"mean": -1.0, "stddev": 0.5}), ("GlorotUniform", {}), ("GlorotNormal", {}),
          ("HeUniform", {}), ("HeNormal", {}), ("LecunUniform", {}), ("LecunNormal", {}),
          ("VarianceScaling", {"scale": 3.0, "mode": "fan_out", "distribution": "untruncated_normal"}),
          ("VarianceScaling", {"mode": "fan_avg", "distribution": "normal", "input_axes": [2],
                               "output_axes": [0, 3]}),
          ("glorot_uniform", {"input_axes": [0, 1, 2], "output_axes": [3]})]


@pytest.mark.parametrize("name,kwargs", RANDOM)
def test_random_statistics_match_keras(keras, name, kwargs):
    ours = getattr(initializers, name)(seed=1, **kwargs)(SHAPE, "float32")
    theirs = np.asarray(getattr(keras.initializers, name)(seed=1, **kwargs)(SHAPE, "float32"))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.03 * spread + 1e-3
    assert abs(ours.std() - spread) < 0.03 * spread
    if "untruncated" not in str(kwargs) and name != "RandomNormal":      # bounded: uniform or truncated
        assert ours.min() >= theirs.min() - 0.01 * spread and ours.max() <= theirs.max() + 0.01 * spread
    for q in (0.1, 0.5, 0.9):                  # the shape of the distribution, not only two moments
        assert abs(np.quantile(ours, q) - np.quantile(theirs, q)) < 0.05 * spread


@pytest.mark.parametrize("shape,gain", [((6, 4), 1.0), ((4, 6), 2.0), ((2, 3, 8), 0.5)])
def test_orthogonal_is_orthogonal_like_keras(keras, shape, gain):
    ours = initializers.Orthogonal(gain=gain, seed=2)(shape).reshape(-1, shape[-1])
    theirs = np.asarray(keras.initializers.Orthogonal(gain=gain, seed=2)(shape)).reshape(-1, shape[-1])
    small = min(ours.shape)
    gram = (ours.T @ ours) if ours.shape[0] >= ours.shape[1] else (ours @ ours.T)
    theirs_gram = (theirs.T @ theirs) if theirs.shape[0] >= theirs.shape[1] else (theirs @ theirs.T)
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=1e-5)
    np.testing.assert_allclose(theirs_gram, gain ** 2 * np.eye(small), atol=1e-5)


def test_seeding_semantics():
    init = initializers.GlorotNormal(seed=7)
    np.testing.assert_array_equal(init((5, 5)), init((5, 5)))          # a seeded initializer repeats
    assert not np.array_equal(init((5, 5)), initializers.GlorotNormal(seed=8)((5, 5)))
    unseeded = initializers.RandomNormal()
    assert not np.array_equal(unseeded((5, 5)), unseeded((5, 5)))     # unseeded: the global stream moves on


@pytest.mark.parametrize("name,kwargs", [("GlorotUniform", {"seed": 3}), ("VarianceScaling", {"scale": 2.0}),
                                         ("Constant", {"value": 1.5}), ("RandomUniform", {}),
                                         ("TruncatedNormal", {}), ("Orthogonal", {}), ("STFT", {}), ("Zeros", {})])
def test_serialization_matches_keras(keras, name, kwargs):
    ours = getattr(initializers, name)(**kwargs)
    assert initializers.serialize(ours) == keras.initializers.serialize(getattr(keras.initializers, name)(**kwargs))
    again = initializers.deserialize(initializers.serialize(ours))
    assert type(again) is type(ours) and again.get_config() == ours.get_config()
    assert type(ours.clone()) is type(ours)


def test_get_forms():
    assert initializers.get(None) is None
    assert isinstance(initializers.get("uniform"), initializers.RandomUniform)
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    assert isinstance(initializers.get({"class_name": "OrthogonalInitializer", "config": {"gain": 2.0}}),
                      initializers.Orthogonal)
    fixed = initializers.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(fixed((2, 3)), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="shape"):
        fixed((3, 2))
    with pytest.raises(ValueError, match="glorot_uniform"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
