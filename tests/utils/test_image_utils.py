"""load_img / img_to_array / array_to_img / save_img / smart_resize against Keras 3's (same Pillow)."""
import io

import numpy as np
import pytest

import kxla

pytest.importorskip("PIL")


@pytest.fixture
def picture(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (9, 13, 3)).astype("uint8")
    path = tmp_path / "p.png"
    kxla.utils.save_img(path, x, scale=False)
    return path, x


@pytest.mark.parametrize("kwargs", [{}, dict(color_mode="grayscale"), dict(color_mode="rgba"),
                                    dict(target_size=(5, 7)), dict(target_size=(6, 4), interpolation="bilinear"),
                                    dict(target_size=(6, 4), interpolation="lanczos", keep_aspect_ratio=True),
                                    dict(target_size=(9, 13))])
def test_load_img_matches_keras(keras, picture, kwargs):
    path, x = picture
    ours, theirs = kxla.utils.load_img(path, **kwargs), keras.utils.load_img(path, **kwargs)
    assert ours.mode == theirs.mode and ours.size == theirs.size
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    for fmt in ("channels_last", "channels_first"):
        a, b = kxla.utils.img_to_array(ours, fmt), keras.utils.img_to_array(theirs, fmt)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    if not kwargs:
        np.testing.assert_array_equal(np.asarray(ours), x)
        ours = kxla.utils.load_img(io.BytesIO(path.read_bytes()))
        assert np.array_equal(np.asarray(ours), x)


@pytest.mark.parametrize("shape, kwargs", [((4, 5, 3), {}), ((4, 5, 1), {}), ((4, 5, 4), dict(scale=False)),
                                           ((3, 4, 5), dict(data_format="channels_first")),
                                           ((4, 5, 1), dict(scale=False, dtype="float64"))])
def test_array_to_img_matches_keras(keras, shape, kwargs):
    x = np.random.default_rng(1).uniform(-2, 300, shape).astype("float32")
    ours, theirs = kxla.utils.array_to_img(x, **kwargs), keras.utils.array_to_img(x, **kwargs)
    assert ours.mode == theirs.mode and np.array_equal(np.asarray(ours), np.asarray(theirs))


def test_errors_match_keras(keras, tmp_path):
    for fn, args in ((lambda m: m.utils.array_to_img, (np.zeros((2, 2)),)),
                     (lambda m: m.utils.array_to_img, (np.zeros((2, 2, 2)),)),
                     (lambda m: m.utils.img_to_array, (np.zeros((2, 2, 2, 2)),)),
                     (lambda m: m.utils.load_img, (3,))):
        with pytest.raises(Exception) as ours:
            fn(kxla)(*args)
        with pytest.raises(Exception) as theirs:
            fn(keras)(*args)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_save_img_jpeg_of_rgba_warns_and_writes_rgb(keras, tmp_path):
    x = np.random.default_rng(2).uniform(0, 1, (6, 6, 4))
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        kxla.utils.save_img(tmp_path / "a.jpg", x)
    keras.utils.save_img(tmp_path / "b.jpg", x)
    assert (tmp_path / "a.jpg").read_bytes() == (tmp_path / "b.jpg").read_bytes()


@pytest.mark.parametrize("shape, size, fmt", [((10, 6, 3), (4, 4), "channels_last"),
                                              ((2, 3, 7, 12), (5, 3), "channels_first")])
def test_smart_resize_matches_keras(keras, shape, size, fmt):
    x = np.random.default_rng(3).uniform(0, 1, shape).astype("float32")
    ours = kxla.preprocessing.image.smart_resize(x, size, data_format=fmt)
    theirs = keras.preprocessing.image.smart_resize(x, size, data_format=fmt)
    assert isinstance(ours, np.ndarray)
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_missing_pillow_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"kxla\[image\]"):
        kxla.utils.load_img("x.png")


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "lanczos3", "lanczos5", "nearest", "area"])
def test_host_resize_equals_keras_resize(keras, method):
    from kxla.utils.host_resize import resize_image
    x = np.random.default_rng(4).uniform(0, 255, (7, 10, 2)).astype("float32")
    if method == "area":            # Keras's JAX resize has no "area": the same error
        with pytest.raises(ValueError) as theirs:
            keras.ops.image.resize(x, (3, 3), interpolation=method)
        with pytest.raises(ValueError, match="Received: interpolation=area") as ours:
            resize_image(x, (3, 3), method)
        assert str(ours.value) == str(theirs.value)
        return
    for size in ((4, 13), (9, 3)):
        want = np.asarray(keras.ops.image.resize(x, size, interpolation=method))
        np.testing.assert_allclose(resize_image(x, size, method), want, rtol=1e-5, atol=2e-3)


def test_preprocessing_namespace_is_keras_shaped(keras):
    for sub in ("image", "sequence"):
        ours, theirs = getattr(kxla.preprocessing, sub), getattr(keras.preprocessing, sub)
        assert {n for n in dir(theirs) if not n.startswith("_")} <= set(dir(ours))
    assert kxla.preprocessing.sequence.pad_sequences is kxla.utils.pad_sequences
    assert kxla.preprocessing.timeseries_dataset_from_array is kxla.utils.timeseries_dataset_from_array
    assert kxla.preprocessing.image_dataset_from_directory is kxla.utils.image_dataset_from_directory
