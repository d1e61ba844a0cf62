"""RandomGaussianBlur, RandomErasing, RandomPerspective, RandomElasticTransform, MixUp, CutMix against Keras 3.

At inference each is the identity with Keras's config (``check_layer``);
RandomGaussianBlur with certain draws equals Keras's training output; the
others' training draws are checked for what Keras's transformation implies
(MixUp images are the mixed one-hot labels times the batch, CutMix pixels
come from one image of the batch at the same place, erased boxes hold the
fill value) and for varying with the step's key.
"""
import numpy as np
import pytest

from kxla import layers as L
from layer_check import check_config, check_layer, run_traced

X = np.random.default_rng(0).uniform(0, 255, (4, 8, 7, 3)).astype("float32")


def _train(layer, x=X, seed=0):
    return run_traced(layer, x, training=True, rng_seed=seed)[0]


@pytest.mark.parametrize("class_name,kwargs", [
    ("RandomGaussianBlur", {"kernel_size": (3, 5), "sigma": (0.2, 0.9)}), ("RandomErasing", {"fill_value": 2.0}),
    ("RandomPerspective", {"scale": 0.5, "interpolation": "nearest"}), ("RandomElasticTransform", {}),
    ("MixUp", {"alpha": 0.4}), ("CutMix", {"factor": 0.5})])
def test_identity_at_inference_with_keras_config(keras, class_name, kwargs):
    layer = getattr(L, class_name)(**kwargs)
    np.testing.assert_array_equal(np.asarray(layer(X, training=False)), X)
    np.testing.assert_array_equal(run_traced(layer, X, training=False)[0], X)
    check_config(keras, layer, class_name, kwargs)


@pytest.mark.slow                  # Keras computes its draws even at inference (seconds per layer)
@pytest.mark.parametrize("class_name,kwargs", [("RandomElasticTransform", {}), ("MixUp", {}), ("CutMix", {})])
def test_keras_is_the_identity_at_inference_too(keras, class_name, kwargs):
    check_layer(keras, class_name, kwargs, X)


@pytest.mark.slow
def test_gaussian_blur_with_certain_draws_equals_keras(keras):
    kwargs = {"factor": (1.0, 1.0), "sigma": (0.7, 0.7), "kernel_size": (3, 5)}
    np.testing.assert_allclose(_train(L.RandomGaussianBlur(**kwargs)),
                               np.asarray(keras.layers.RandomGaussianBlur(**kwargs)(X)), atol=1e-3)


@pytest.mark.slow
def test_random_draws_vary_and_keep_shapes():
    x = X[:2, :5, :5]
    for layer in (L.RandomGaussianBlur(sigma=(0.2, 2.0)), L.RandomErasing(scale=(0.3, 0.33)), L.RandomPerspective(),
                  L.MixUp(), L.CutMix()):
        a, b = _train(layer, x), _train(layer, x, seed=1)
        assert a.shape == x.shape and not np.allclose(a, b), type(layer).__name__


@pytest.mark.slow
def test_geometric_layers_identity_cases_and_range():
    for layer in (L.RandomPerspective(scale=0.0), L.RandomPerspective(factor=0.0), L.RandomElasticTransform(0.0)):
        np.testing.assert_allclose(_train(layer), X, atol=1e-4)
    out = _train(L.RandomElasticTransform(scale=(0.5, 0.5), value_range=(0, 200)))
    assert out.min() >= 0 and out.max() <= 200 and not np.allclose(out, _train(L.RandomElasticTransform(), seed=1))


def test_random_erasing_fills_one_box_per_image():
    out = _train(L.RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=-1.0, value_range=(-1, 255)))
    for image in out:
        rows, cols = np.nonzero(np.all(image == -1.0, axis=-1))
        assert len(rows) > 0
        box = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert np.all(box == -1.0) and len(rows) == box.shape[0] * box.shape[1] <= 0.25 * 56 + 8


@pytest.mark.slow
def test_mixup_and_cutmix_mix_images_and_labels():
    labels = np.eye(4, dtype="float32")
    out = L.MixUp(alpha=0.5)({"images": X, "labels": labels})
    mixed_images, mixed_labels = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed_labels.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(mixed_images, np.einsum("ij,jhwc->ihwc", mixed_labels, X), rtol=1e-4, atol=1e-2)
    out = L.CutMix()({"images": X, "labels": labels})
    images, mixed = np.asarray(out["images"]), np.asarray(out["labels"])
    np.testing.assert_allclose(mixed.sum(axis=1), 1.0, rtol=1e-5)
    assert all(np.any(np.all(images[i] == X[j], axis=-1)) for i in range(4) for j in np.nonzero(mixed[i])[0])
    assert np.all(np.any(np.all(images[:, None] == X[None], axis=-1), axis=1))    # each pixel from one image
    with pytest.raises(ValueError, match="bounding"):
        L.CutMix()({"images": X, "bounding_boxes": {"boxes": np.zeros((4, 1, 4))}})
