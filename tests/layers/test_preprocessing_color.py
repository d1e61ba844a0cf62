"""RandomHue, RandomSaturation, RandomPosterization, RandomSharpness, RandomColorJitter, Equalization vs Keras 3.

With a collapsed factor range the training draws are certain, so training
outputs equal Keras's (``check_layer`` with both modes, config round trip);
RandomHue's random sign is checked against Keras's two possible results.
"""
import numpy as np
import pytest

import kxla
from kxla import layers as L
from layer_check import check_layer, run_traced

X = np.random.default_rng(0).uniform(0, 255, (3, 6, 5, 3)).astype("float32")
SLOW = pytest.mark.slow


@pytest.mark.parametrize("class_name,kwargs,x", [
    pytest.param("RandomSaturation", {"factor": (0.3, 0.3)}, X, marks=SLOW),
    pytest.param("RandomSaturation", {"factor": (0.7, 0.7), "value_range": (0, 1)}, X / 255, marks=SLOW),
    ("RandomPosterization", {"factor": (3, 3)}, X),
    ("RandomSharpness", {"factor": (0.8, 0.8)}, X),
    pytest.param("RandomSharpness", {"factor": (0.2, 0.2), "data_format": "channels_first"},
                 np.moveaxis(X, -1, 1), marks=SLOW),
    ("RandomColorJitter", {"brightness_factor": (0.1, 0.1), "saturation_factor": (0.6, 0.6)}, X),
    pytest.param("Equalization", {}, X, marks=SLOW),                   # (Keras's own loops over 256 bins)
    pytest.param("Equalization", {"bins": 16, "value_range": (0, 1)}, X / 255, marks=SLOW),
    pytest.param("RandomHue", {"factor": (0.0, 0.0)}, X, marks=SLOW),
])
def test_matches_keras_in_both_modes(keras, class_name, kwargs, x):
    check_layer(keras, class_name, kwargs, x, training=(False, True), rtol=1e-4, atol=1e-2)


@pytest.mark.slow
def test_random_hue_is_one_of_two_signed_shifts(keras):
    check_layer(keras, "RandomHue", {"factor": 0.5}, X)                         # inference and config
    out = run_traced(L.RandomHue((0.6, 0.6)), X, training=True)[0]
    hsv = np.asarray(keras.ops.image.rgb_to_hsv(X / 255))
    shifted = []
    for sign in (1, -1):
        h = hsv[..., 0] + sign * 0.3
        h = np.where(h > 1, h - 1, np.where(h < 0, h + 1, h))
        shifted.append(np.clip(np.asarray(keras.ops.image.hsv_to_rgb(np.stack([h, hsv[..., 1], hsv[..., 2]], -1))),
                               0, 1) * 255)
    assert all(any(np.allclose(o, s[i], atol=1e-2) for s in shifted) for i, o in enumerate(out))


def test_random_draws_vary_and_stay_in_range():
    for layer in (L.RandomSaturation(0.8), L.RandomPosterization(6), L.RandomSharpness(0.9),
                  L.RandomColorJitter(contrast_factor=0.5, hue_factor=0.3)):
        a, b = (run_traced(layer, X, training=True, rng_seed=s)[0] for s in (0, 1))
        assert not np.allclose(a, b) and a.shape == X.shape
        np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)
    post = run_traced(L.RandomPosterization(4), X, training=True)[0]
    assert all(len(np.unique(p)) <= 8 for p in post)            # at most 3 bits kept per image


def test_dict_inputs_are_refused():
    with pytest.raises(ValueError, match="bounding boxes"):
        L.RandomHue(0.2)({"images": X, "bounding_boxes": {"boxes": np.zeros((3, 1, 4))}})
    model = kxla.Sequential([kxla.Input((6, 5, 3)), L.Equalization()])
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)                 # identity at inference
