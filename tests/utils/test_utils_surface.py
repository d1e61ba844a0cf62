"""kxla.utils names against Keras 3: normalize, get_source_inputs, PyDataset through fit (threads and
processes), plot_model / model_to_dot, and the names re-exported from kxla.saving / kxla.backend."""
import shutil

import numpy as np
import pytest

import kxla
from kxla import utils


@pytest.mark.parametrize("axis,order", [(-1, 2), (0, 2), (1, 1), (-1, 3)])
def test_normalize_matches_keras(keras, axis, order):
    x = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    x[1] = 0.0
    if axis != 0:                            # Keras's numpy path turns axis=0 into -1 (and then fails)
        np.testing.assert_allclose(utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(utils.normalize(kxla.ops.add(x, 0.0), axis, order)),
                               np.asarray(keras.utils.normalize(keras.ops.convert_to_tensor(x), axis, order)),
                               rtol=1e-5, atol=1e-6)


def test_reexported_names_are_the_same_objects():
    assert utils.register_keras_serializable is kxla.saving.register_keras_serializable
    assert utils.clear_session is kxla.backend.clear_session and utils.Sequence is utils.PyDataset
    with pytest.raises(AttributeError):
        utils.no_such_name


def test_get_source_inputs():
    a, b = kxla.Input((3,), name="a"), kxla.Input((3,), name="b")
    y = kxla.layers.Dense(2)(kxla.layers.Add()([a, kxla.layers.Dense(3)(b)]))
    assert {id(t) for t in utils.get_source_inputs(y)} == {id(a), id(b)}
    assert utils.get_source_inputs(a) == [a]


class Squares(utils.PyDataset):
    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n, self.epochs_done = n, 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        x = np.full((4, 2), i, np.float32)
        return x, x.sum(axis=1, keepdims=True)

    def on_epoch_end(self):
        self.epochs_done += 1


@pytest.mark.parametrize("kwargs", [{}, {"workers": 3, "max_queue_size": 2}, {"workers": 2, "use_multiprocessing": True}])
def test_py_dataset_order_and_fit(kwargs):
    data = Squares(5, **kwargs)
    assert [int(b[0][0, 0]) for b in data] == [0, 1, 2, 3, 4] and data.epochs_done == 1
    model = kxla.Sequential([kxla.Input((2,)), kxla.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and data.epochs_done == 3
    with pytest.raises(ValueError, match="workers"):
        Squares(2, workers=0)


def _model():
    inp = kxla.Input((4,), name="features")
    hidden = kxla.layers.Dense(8, activation="relu", name="hidden")(inp)
    out = kxla.layers.Dense(2, name="out")(kxla.layers.Concatenate(name="cat")([hidden, inp]))
    return kxla.Model(inp, out, name="net")


def test_model_to_dot_has_every_layer_and_edge():
    text = utils.model_to_dot(_model(), show_shapes=True, show_layer_activations=True)
    assert text.startswith('digraph "net"') and "hidden (Dense)" in text and "activation: relu" in text
    assert text.count("->") == 4            # features->hidden, hidden->cat, features->cat, cat->out


def test_plot_model_writes_an_image_or_says_what_is_missing(tmp_path, monkeypatch):
    if shutil.which("dot"):
        path = utils.plot_model(_model(), to_file=str(tmp_path / "m.png"))
        assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ImportError, match="graphviz"):
        utils.plot_model(_model(), to_file=str(tmp_path / "m2.png"))
    assert "digraph" in open(utils.plot_model(_model(), to_file=str(tmp_path / "m.dot"))).read()


@pytest.mark.parametrize("kwargs", [{"sequence_length": 4}, {"sequence_length": 3, "sequence_stride": 2,
                                                               "sampling_rate": 2, "batch_size": 3},
                                    {"sequence_length": 2, "start_index": 3, "end_index": 15, "batch_size": 4},
                                    {"sequence_length": 5, "shuffle": True, "seed": 7, "batch_size": 100}])
def test_timeseries_windows_follow_keras_rules(kwargs):
    data, targets = np.arange(40).reshape(20, 2), np.arange(100, 120)
    ds = utils.timeseries_dataset_from_array(data, targets, **kwargs)
    xs = np.concatenate([b[0] for b in ds])
    ys = np.concatenate([b[1] for b in ds])
    length, stride, rate = kwargs["sequence_length"], kwargs.get("sequence_stride", 1), kwargs.get("sampling_rate", 1)
    lo, hi = kwargs.get("start_index", 0), kwargs.get("end_index", 20)
    starts = np.arange(0, min(hi - lo - (length - 1) * rate, 20), stride)
    if kwargs.get("shuffle"):
        np.random.RandomState(kwargs["seed"]).shuffle(starts)
    want = np.stack([data[lo:hi][s:s + length * rate:rate] for s in starts])
    np.testing.assert_array_equal(xs, want)
    np.testing.assert_array_equal(ys, targets[lo:hi][starts])
    assert len(ds) == -(-len(starts) // kwargs.get("batch_size", 128))
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def test_get_file_downloads_once_into_the_datasets_cache(tmp_path, monkeypatch):
    import hashlib
    monkeypatch.setenv("KXLA_DATASETS_DIR", str(tmp_path / "cache"))
    src = tmp_path / "data.bin"
    src.write_bytes(b"kxla" * 100)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    path = utils.get_file(origin=src.as_uri(), file_hash=digest)
    assert path == str(tmp_path / "cache" / "data.bin") and open(path, "rb").read() == src.read_bytes()
    src.unlink()
    assert utils.get_file("data.bin", origin=src.as_uri(), file_hash=digest) == path      # served from the cache
    other = utils.get_file("copy.bin", origin=(tmp_path / "cache" / "data.bin").as_uri(),
                           cache_dir=str(tmp_path / "home"), cache_subdir="files")
    assert other == str(tmp_path / "home" / "files" / "copy.bin")
    with pytest.raises(ValueError, match="extract"):
        utils.get_file("x.tar.gz", origin=src.as_uri(), extract=True)
    with pytest.raises(ValueError, match="origin"):
        utils.get_file("x")


@pytest.mark.parametrize("left,right,shuffle", [(0.8, None, False), (None, 3, True), (4, 0.25, True), (0.35, 0.5, False)])
def test_split_dataset_follows_keras_sizes_and_order(left, right, shuffle):
    import random
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    (lx, ly), (rx, ry) = utils.split_dataset((x, y), left_size=left, right_size=right, shuffle=shuffle, seed=3)
    order = list(range(10))
    if shuffle:                                  # Keras: random.seed(seed); random.shuffle(samples)
        random.seed(3)
        random.shuffle(order)
    n_left = round(left * 10) if isinstance(left, float) else left if left is not None else 10 - right
    n_right = round(right * 10) if isinstance(right, float) else right if right is not None else 10 - n_left
    np.testing.assert_array_equal(ly, np.array(order[:n_left]))
    np.testing.assert_array_equal(ry, np.array(order[-n_right:]))
    np.testing.assert_array_equal(lx, x[order[:n_left]])
    left_d, right_d = utils.split_dataset({"a": x}, left_size=0.5)
    assert left_d["a"].shape == right_d["a"].shape == (5, 2)
    with pytest.raises(ValueError, match="left_size"):
        utils.split_dataset(x, left_size=1.5)
