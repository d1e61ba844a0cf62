"""Image preprocessing layers against Keras 3: Resizing, CenterCrop and the random augmentation layers.

Deterministic results (resizing, cropping, every augmentation at inference)
are compared with Keras through ``check_layer``; training-mode draws cannot
match Keras's RNG, so their results are checked for what the transformation
allows (each flipped image is the image or its mirror, a crop is a window
of the input, contrast/brightness within their ranges) and for varying
with the step's key.
"""
import numpy as np
import pytest

import kxla
from kxla import layers as L
from layer_check import check_layer, run_traced

IMG = np.random.default_rng(0).uniform(0, 255, (3, 6, 5, 2)).astype("float32")
SLOW = pytest.mark.slow

DETERMINISTIC = [
    ("Resizing", {"height": 4, "width": 3}, IMG),
    pytest.param("Resizing", {"height": 8, "width": 10, "interpolation": "nearest"}, IMG, marks=SLOW),
    ("Resizing", {"height": 4, "width": 4, "crop_to_aspect_ratio": True}, IMG),
    ("Resizing", {"height": 4, "width": 4, "pad_to_aspect_ratio": True, "fill_value": 7.0}, IMG),
    pytest.param("Resizing", {"height": 3, "width": 6, "data_format": "channels_first"},
                 np.moveaxis(IMG, -1, 1), marks=SLOW),
    ("CenterCrop", {"height": 4, "width": 3}, IMG),
    ("CenterCrop", {"height": 8, "width": 4}, IMG),
    ("RandomFlip", {}, IMG),
    ("RandomCrop", {"height": 4, "width": 3, "seed": 3}, IMG),
    ("RandomContrast", {"factor": 0.3}, IMG),
    ("RandomBrightness", {"factor": (-0.2, 0.4)}, IMG),
    ("RandomInvert", {"factor": 0.5}, IMG),
]


@pytest.mark.parametrize("class_name,kwargs,x", DETERMINISTIC)
def test_matches_keras_at_inference(keras, class_name, kwargs, x):
    check_layer(keras, class_name, kwargs, x, rtol=1e-4, atol=1e-3)


def _train(layer, x, seed):
    return run_traced(layer, x, training=True, rng_seed=seed)[0]


def test_random_flip_in_training():
    x = np.random.default_rng(1).normal(size=(16, 4, 3, 1)).astype("float32")
    for mode, flip in (("horizontal", lambda a: a[:, ::-1]), ("vertical", lambda a: a[::-1]),
                       ("horizontal_and_vertical", lambda a: a[::-1, ::-1])):
        out = _train(L.RandomFlip(mode), x, 0)
        flipped = [np.allclose(o, flip(i)) for o, i in zip(out, x)]
        kept = [np.allclose(o, i) for o, i in zip(out, x)]
        assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    assert not np.allclose(_train(L.RandomFlip(), x, 0), _train(L.RandomFlip(), x, 1))
    np.testing.assert_array_equal(np.asarray(L.RandomFlip()(x, training=False)), x)


def test_random_crop_contrast_brightness_invert_in_training():
    out = _train(L.RandomCrop(4, 3), IMG, 0)
    windows = [IMG[:, i:i + 4, j:j + 3] for i in range(3) for j in range(3)]
    assert out.shape == (3, 4, 3, 2) and any(np.allclose(out, w) for w in windows)
    assert len({tuple(_train(L.RandomCrop(4, 3), IMG, s)[0, 0, 0]) for s in range(6)}) > 1
    # a seed does not fix the offset of every step (Keras's SeedGenerator advances per call)
    assert len({tuple(_train(L.RandomCrop(4, 3, seed=3), IMG, s)[0, 0, 0]) for s in range(6)}) > 1

    out = _train(L.RandomContrast(0.5), IMG, 0)
    mean = IMG.mean(axis=(1, 2), keepdims=True)
    c = ((out - mean) / (IMG - mean))[:, 0, 0, 0]
    assert np.all((c >= 1.0 - 1e-4) & (c <= 1.5 + 1e-4)) and out.min() >= 0 and out.max() <= 255

    out = _train(L.RandomBrightness(0.2), IMG, 0)
    inside = (out > 0) & (out < 255)
    delta = np.where(inside, out - IMG, np.nan)
    per_image = np.nanmax(delta, axis=(1, 2, 3)) - np.nanmin(delta, axis=(1, 2, 3))
    assert np.all(per_image < 1e-3) and np.all(np.abs(np.nanmean(delta, axis=(1, 2, 3))) <= 51 + 1e-3)

    out = _train(L.RandomInvert(1.0), IMG, 0)
    assert all(np.allclose(o, i) or np.allclose(o, 255 - i) for o, i in zip(out, IMG))


def test_direct_call_augments_and_model_follows_its_mode():
    x = IMG[:1]
    layer = L.RandomBrightness((0.3, 0.4))
    assert np.all(np.asarray(layer(x)) >= x)                 # a direct call trains, as in Keras
    model = kxla.Sequential([kxla.Input((6, 5, 2)), L.RandomBrightness((0.3, 0.4)), L.Resizing(3, 3)])
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(L.Resizing(3, 3)(x)), rtol=1e-5)
    assert "random_uniform_like" in str(model.to_ir(training=True))
    assert "random_uniform_like" not in str(model.to_ir(training=False))


def test_errors():
    with pytest.raises(ValueError, match="factor"):
        L.RandomContrast(1.5)
    with pytest.raises(ValueError, match="Only one of"):
        L.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="unknown mode"):
        L.RandomFlip("diagonal")


@pytest.mark.parametrize("class_name,kwargs,scale", [("RandomGrayscale", {"factor": 1.0}, 255.0),
                                                     pytest.param("Solarization", {}, 255.0, marks=SLOW),
                                                     ("Solarization", {"value_range": (0, 1)}, 1.0),
                                                     ("RandomColorDegeneration", {"factor": (0.4, 0.4)}, 255.0)])
def test_colour_layers_match_keras_where_training_draws_are_certain(keras, class_name, kwargs, scale):
    x = np.random.default_rng(2).uniform(0, scale, (3, 4, 4, 3)).astype("float32")
    check_layer(keras, class_name, kwargs, x)                                   # inference: identity, config
    got = _train(getattr(L, class_name)(**kwargs), x, 0)
    np.testing.assert_allclose(got, np.asarray(getattr(keras.layers, class_name)(**kwargs)(x)), rtol=1e-5,
                               atol=1e-4 * scale)


@pytest.mark.parametrize("class_name,kwargs", [
    pytest.param("RandomTranslation", dict(height_factor=(0.2, 0.2), width_factor=(-0.4, -0.4)), marks=SLOW),
    pytest.param("RandomTranslation", dict(height_factor=(0.1, 0.1), width_factor=(0.3, 0.3), fill_mode="constant",
                                           fill_value=3.0, interpolation="nearest"), marks=SLOW),
    ("RandomZoom", dict(height_factor=(-0.2, -0.2), width_factor=(0.5, 0.5), fill_mode="wrap")),
    pytest.param("RandomRotation", dict(factor=(0.1, 0.1)), marks=SLOW),
    pytest.param("RandomRotation", dict(factor=(-0.3, -0.3), fill_mode="constant", interpolation="nearest"),
                 marks=SLOW),
])
def test_affine_layers_match_keras_with_fixed_draws(keras, class_name, kwargs):
    check_layer(keras, class_name, kwargs, IMG)                                # inference: identity, config
    got = _train(getattr(L, class_name)(**kwargs), IMG, 0)
    np.testing.assert_allclose(got, np.asarray(getattr(keras.layers, class_name)(**kwargs)(IMG)), rtol=1e-5,
                               atol=1e-3)
    make = (lambda: L.RandomRotation(0.3)) if class_name == "RandomRotation" else \
        (lambda: getattr(L, class_name)(0.3, 0.3))
    varied = [_train(make(), IMG, s) for s in (0, 1)]
    assert not np.allclose(*varied)


def test_auto_contrast_matches_keras(keras):
    x = np.random.default_rng(3).uniform(20, 200, (2, 6, 5, 3)).astype("float32")
    x[1, :, :, 2] = 7.0                                       # a constant channel stays as it is
    check_layer(keras, "AutoContrast", {}, x, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(_train(L.AutoContrast(value_range=(0, 1)), x / 255, 0),
                               np.asarray(keras.layers.AutoContrast(value_range=(0, 1))(x / 255)), atol=1e-5)


def test_random_shear_is_one_of_keras_two_signed_shears(keras):
    kwargs = dict(x_factor=(0.3, 0.3), y_factor=(0.1, 0.1))
    check_layer(keras, "RandomShear", kwargs, IMG)                               # inference: identity, config
    got = _train(L.RandomShear(**kwargs), IMG, 0)
    signed = [np.asarray(keras.ops.image.affine_transform(
        IMG, np.tile(np.array([1, s * 0.3, 0, s * 0.1, 1, 0, 0, 0], "float32"), (len(IMG), 1)), fill_mode="reflect"))
        for s in (1, -1)]
    assert all(any(np.allclose(g, e[i], atol=1e-3) for e in signed) for i, g in enumerate(got))
