"""image/text/audio_dataset_from_directory: Keras's file order, labels, class names, splits and values.

Keras returns tf.data datasets (TensorFlow is not installed here), so the oracle is Keras's own index
(``dataset_utils.index_directory``), split and non-TensorFlow image loader; kxla's batches must hold
exactly those files, labels and pixels in that order."""
import os
import wave

import numpy as np
import pytest

import kxla

pytest.importorskip("PIL")
from kxla.utils import directory_dataset as dd  # noqa: E402


def _tree(root, ext, write):
    """Class folders (unsorted creation order, a nested folder, a hidden folder, a stray file)."""
    rng = np.random.default_rng(0)
    layout = {"dog": 4, "cat": 3, "cat/inner": 2, "bird": 3, ".hidden": 1}
    for folder, n in layout.items():
        os.makedirs(root / folder, exist_ok=True)
        for i in range(n):
            write(root / folder / f"f{(i * 7) % 5}{i}{ext}", rng)
    (root / "dog" / "notes.md").write_text("not data")
    return root


def _png(path, rng):
    h, w = rng.integers(5, 12, 2)
    kxla.utils.save_img(path, rng.integers(0, 256, (h, w, 3)).astype("uint8"), scale=False)


@pytest.fixture
def images(tmp_path):
    return _tree(tmp_path / "img", ".png", _png)


@pytest.mark.parametrize("kwargs", [dict(labels="inferred", shuffle=False), dict(labels="inferred", seed=3),
                                    dict(labels=None, seed=5), dict(labels=[i % 4 for i in range(13)], seed=1),
                                    dict(labels="inferred", class_names=["dog", "bird"], shuffle=False)])
def test_index_matches_keras(keras, images, kwargs, capsys):
    from keras.src.utils import dataset_utils
    args = {**dict(shuffle=True, seed=None), **kwargs}
    labels = args.pop("labels")
    ours = dd.index_directory(str(images), labels, (".png",), **args)
    out = capsys.readouterr().out
    theirs = dataset_utils.index_directory(str(images), labels, (".png",), **args)
    assert ours[0] == theirs[0] and ours[2] == theirs[2] and out == capsys.readouterr().out
    assert (ours[1] is None and theirs[1] is None) or list(ours[1]) == list(theirs[1])


@pytest.mark.parametrize("kwargs", [
    dict(label_mode="int", shuffle=False, batch_size=4, image_size=(6, 5)),
    dict(label_mode="categorical", seed=7, batch_size=5, image_size=(4, 4), color_mode="grayscale",
         crop_to_aspect_ratio=True, interpolation="nearest"),
    dict(label_mode=None, seed=2, batch_size=3, image_size=(5, 7), pad_to_aspect_ratio=True,
         data_format="channels_first", color_mode="rgba")])
def test_image_batches_hold_keras_files_labels_and_pixels(keras, images, kwargs, capsys):
    from keras.src.utils import dataset_utils, image_dataset_utils
    ds = kxla.utils.image_dataset_from_directory(str(images), **kwargs)
    seed, shuffle = kwargs.get("seed"), kwargs.get("shuffle", True)
    labels = "inferred" if kwargs["label_mode"] else None
    paths, idx_labels, names = dataset_utils.index_directory(str(images), labels, (".png",), shuffle=shuffle,
                                                             seed=seed)
    paths, idx_labels = dataset_utils.get_training_or_validation_split(
        paths, idx_labels, kwargs.get("validation_split"), kwargs.get("subset"))
    assert ds.file_paths == paths and ds.class_names == names
    channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[kwargs.get("color_mode", "rgb")]
    batches = [ds[i] for i in range(len(ds))]
    xs = np.concatenate([b[0] if labels else b for b in batches])
    want = np.stack([np.asarray(image_dataset_utils._load_image_grain(
        p, kwargs["image_size"], channels, kwargs.get("interpolation", "bilinear"),
        kwargs.get("data_format", "channels_last"), kwargs.get("crop_to_aspect_ratio", False),
        kwargs.get("pad_to_aspect_ratio", False))) for p in paths[:4]])   # Keras compiles per image size
    assert xs.dtype == np.float32 and len(xs) == len(paths)
    assert len(batches[0][0] if labels else batches[0]) == min(kwargs["batch_size"], len(paths))
    np.testing.assert_allclose(xs[:4], want, rtol=1e-5, atol=1e-3)
    if labels:
        ys = np.concatenate([b[1] for b in batches])
        expect = np.asarray(idx_labels, "int32")
        if kwargs["label_mode"] == "categorical":
            expect = np.asarray(keras.ops.one_hot(expect, len(names)))
        assert ys.dtype == expect.dtype and np.array_equal(ys, expect)


def test_image_dataset_trains_and_splits_both(images, capsys):
    train, val = kxla.utils.image_dataset_from_directory(str(images), image_size=(4, 4), batch_size=4, seed=1,
                                                         validation_split=0.25, subset="both")
    assert capsys.readouterr().out.splitlines() == ["Found 12 files belonging to 3 classes.",
                                                    "Using 9 files for training.", "Using 3 files for validation."]
    assert set(train.file_paths) | set(val.file_paths) == set(train.file_paths + val.file_paths)
    assert len(train.file_paths) == 9 and len(val.file_paths) == 3 and len(train) == 3
    model = kxla.Sequential([kxla.layers.Input((4, 4, 3)), kxla.layers.Rescaling(1 / 255), kxla.layers.Flatten(),
                             kxla.layers.Dense(3)])
    model.compile("adam", kxla.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()


def test_argument_errors_match_keras(keras, images):
    cases = [dict(labels="nope"), dict(label_mode="sparse"), dict(color_mode="bgr"), dict(image_size=(1, 2, 3)),
             dict(validation_split=0.2), dict(validation_split=0.2, subset="training"),
             dict(labels=None, class_names=["a"]), dict(label_mode="binary", shuffle=False),
             dict(class_names=["zebra"], shuffle=False)]
    for kwargs in cases:
        with pytest.raises(ValueError) as theirs:
            keras.utils.image_dataset_from_directory(str(images), **kwargs)
        with pytest.raises(ValueError) as ours:
            kxla.utils.image_dataset_from_directory(str(images), **kwargs)
        assert str(ours.value) == str(theirs.value)


def _txt(path, rng):
    path.write_text("word " * int(rng.integers(1, 6)) + path.name)


def test_text_dataset_matches_keras_index_and_contents(keras, tmp_path):
    from keras.src.utils import dataset_utils, text_dataset_utils
    root = _tree(tmp_path / "txt", ".txt", _txt)
    ds = kxla.utils.text_dataset_from_directory(str(root), batch_size=5, max_length=9, seed=4,
                                                label_mode="categorical")
    paths, labels, names = dataset_utils.index_directory(str(root), "inferred", (".txt",), seed=4)
    texts = np.concatenate([ds[i][0] for i in range(len(ds))])
    assert ds.class_names == names and list(texts) == [
        text_dataset_utils._path_to_string_content_grain(p, 9) for p in paths]
    assert np.array_equal(np.concatenate([ds[i][1] for i in range(len(ds))]), np.eye(3, dtype="float32")[labels])
    assert kxla.preprocessing.text_dataset_from_directory is kxla.utils.text_dataset_from_directory


def _wav(path, rng):
    n = int(rng.integers(5, 30))
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(rng.integers(-32768, 32767, n).astype("<i2").tobytes())


@pytest.mark.parametrize("length", [None, 12])
def test_audio_dataset_decodes_and_pads_like_tensorflow(keras, tmp_path, length):
    from keras.src.utils import dataset_utils
    root = _tree(tmp_path / "wav", ".wav", _wav)
    ds = kxla.utils.audio_dataset_from_directory(str(root), batch_size=4, shuffle=False,
                                                 output_sequence_length=length, label_mode="binary",
                                                 class_names=["bird", "dog"])
    paths, labels, _ = dataset_utils.index_directory(str(root), "inferred", (".wav",), ["bird", "dog"], False)
    assert ds.file_paths == paths
    x, y = ds[0]
    clips = [np.frombuffer(wave.open(p).readframes(99), "<i2") / 32768.0 for p in paths[:4]]
    width = length or max(len(c) for c in clips)
    assert x.shape == (4, width, 1) and y.shape == (4, 1) and y.dtype == np.float32
    for row, clip in zip(x[:, :, 0], clips):
        n = min(width, len(clip))
        np.testing.assert_array_equal(row[:n], clip[:n].astype("float32"))
        assert not row[n:].any()
    assert list(y[:, 0]) == list(np.asarray(labels[:4], "float32"))
    with pytest.raises(NotImplementedError, match="ragged"):
        kxla.utils.audio_dataset_from_directory(str(root), ragged=True)
