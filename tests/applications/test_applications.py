"""kxla.applications against keras.applications: same layers, Keras's weight files, same predictions."""
import json

import numpy as np
import pytest

import kxla
from kxla.applications import imagenet_utils

keras = pytest.importorskip("keras")
pytest.importorskip("h5py")

SHAPE = (32, 32, 3)
# Each model's comparison costs Keras's and kxla's compilation of a deep graph (tens of seconds on two
# cores): all five run under `pytest -m slow`; the default suite checks structure, files and helpers.
ALL = [pytest.param(n, marks=pytest.mark.slow)
       for n in ["MobileNetV2", "ResNet50", "EfficientNetB0", "VGG16", "DenseNet121"]]


def _keras_weights_file(name, path, **kwargs):
    """Keras builds the model, perturbs every weight (BN / Normalization variances stay positive), saves it."""
    km = getattr(keras.applications, name)(weights=None, input_shape=SHAPE, classes=10,
                                           classifier_activation=None, **kwargs)
    rng = np.random.default_rng(0)
    for layer in km.layers:
        for var in layer.weights:
            value = np.asarray(var)
            if value.dtype.kind != "f":
                continue
            noise = rng.normal(size=value.shape).astype(value.dtype) * 0.05
            positive = "variance" in var.path
            var.assign(np.abs(value + noise) + 0.5 if positive else value + noise)
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()                    # Keras reads its statistics into constants here
    km.save_weights(path)
    return km


@pytest.mark.parametrize("name", ALL)
def test_predictions_equal_keras_on_keras_weights(name, tmp_path):
    km = _keras_weights_file(name, tmp_path / "w.weights.h5")
    m = getattr(kxla.applications, name)(weights=str(tmp_path / "w.weights.h5"), input_shape=SHAPE, classes=10,
                                         classifier_activation=None)
    assert [type(l).__name__ for l in m.layers] == [type(l).__name__ for l in km.layers]
    assert [w.shape for w in m.get_weights()] == [w.shape for w in km.get_weights()]
    x = np.random.default_rng(1).uniform(0, 255, size=(3,) + SHAPE).astype("float32")
    x = getattr(kxla.applications, _module(name)).preprocess_input(x)
    expected = np.asarray(km(x))
    np.testing.assert_allclose(m.predict(x, verbose=0), expected, rtol=2e-4, atol=2e-4 * np.abs(expected).max())


def _module(name):
    return {"ResNet50": "resnet", "MobileNetV2": "mobilenet_v2", "EfficientNetB0": "efficientnet",
            "VGG16": "vgg16", "DenseNet121": "densenet"}[name]


@pytest.mark.slow
def test_headless_pooling_and_layer_names_match_keras():
    for pooling in (None, "avg", "max"):
        km = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=SHAPE, pooling=pooling)
        m = kxla.applications.MobileNetV2(weights=None, include_top=False, input_shape=SHAPE, pooling=pooling)
        assert [type(l).__name__ for l in m.layers] == [type(l).__name__ for l in km.layers]
        assert m.outputs[0].shape == tuple(km.outputs[0].shape)
        assert m.name == km.name == "mobilenetv2_1.00_32"


@pytest.mark.slow
def test_kxla_weights_load_in_keras(tmp_path):
    m = kxla.applications.MobileNetV2(weights=None, input_shape=SHAPE, classes=10, classifier_activation=None)
    m.save_weights(tmp_path / "m.weights.h5")
    km = keras.applications.MobileNetV2(weights=str(tmp_path / "m.weights.h5"), input_shape=SHAPE, classes=10,
                                        classifier_activation=None)
    x = np.random.default_rng(2).uniform(-1, 1, size=(2,) + SHAPE).astype("float32")
    np.testing.assert_allclose(np.asarray(km(x)), m.predict(x, verbose=0), rtol=2e-4, atol=2e-4)


@pytest.mark.slow
def test_legacy_h5_weights_by_layer_name(tmp_path):
    km = _keras_weights_file("VGG16", tmp_path / "w.weights.h5", include_top=False)
    km.save(tmp_path / "legacy.h5")                   # Keras's legacy HDF5 layout (the ImageNet files' layout)
    m = kxla.applications.VGG16(weights=str(tmp_path / "legacy.h5"), include_top=False, input_shape=SHAPE)
    x = np.random.default_rng(3).uniform(0, 255, size=(2,) + SHAPE).astype("float32")
    np.testing.assert_allclose(m.predict(x, verbose=0), np.asarray(km(x)), rtol=2e-4, atol=2e-3)


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_preprocess_input_matches_keras(mode, data_format):
    x = np.random.default_rng(4).uniform(0, 255, size=(2, 3, 5, 3) if data_format == "channels_last"
                                         else (2, 3, 5, 5)).astype("float32")
    ours = imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    theirs = keras.applications.imagenet_utils.preprocess_input(x.copy(), data_format=data_format, mode=mode)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    ints = imagenet_utils.preprocess_input(x.astype("uint8"), data_format=data_format, mode=mode)
    assert ints.dtype == np.float32


def test_decode_predictions_with_a_class_index_path(tmp_path):
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "index.json").write_text(json.dumps(index))
    preds = np.zeros((2, 1000), "float32")
    preds[0, [3, 7]] = [0.2, 0.7]
    preds[1, 999] = 1.0
    out = kxla.applications.resnet.decode_predictions(preds, top=2, class_index_path=tmp_path / "index.json")
    assert out[0] == [("n00000007", "class_7", pytest.approx(0.7)), ("n00000003", "class_3", pytest.approx(0.2))]
    assert out[1][0][:2] == ("n00000999", "class_999")
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        kxla.applications.resnet.decode_predictions(np.zeros((2, 10)))


def test_no_downloads_and_argument_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="does not download"):
        kxla.applications.VGG16(include_top=False, input_shape=SHAPE)
    with pytest.raises(FileNotFoundError, match="class_index_path"):
        imagenet_utils._CLASS_INDEX = None
        kxla.applications.resnet.decode_predictions(np.zeros((1, 1000)))
    with pytest.raises(ValueError, match="weights"):
        kxla.applications.ResNet50(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="classes"):
        kxla.applications.DenseNet121(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="static `input_shape`"):
        kxla.applications.imagenet_utils.obtain_input_shape((None, None, 3), 224, 32, "channels_last", True)
    with pytest.raises(ValueError, match="at least 32x32"):
        kxla.applications.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))
