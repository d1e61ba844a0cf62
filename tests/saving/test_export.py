"""kxla.export: a serialized StableHLO artifact that runs through jax.export alone."""
import numpy as np
import pytest

import kxla
from kxla import layers

pytest.importorskip("flatbuffers", reason="jax.export serialization needs flatbuffers")


def test_export_reloads_and_runs_without_kxla_layers(tmp_path):
    from jax import export
    model = kxla.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                             layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
                             layers.Dense(3, activation="softmax")])
    path = tmp_path / "model.stablehlo"
    kxla.export(model, path)
    exported = export.deserialize(bytearray(path.read_bytes()))
    assert str(exported.in_avals[0].shape[0]) == "batch"           # symbolic batch dimension
    for n in (1, 7):
        x = np.random.default_rng(n).random((n, 8, 8, 1), dtype="float32")
        np.testing.assert_allclose(np.asarray(exported.call(x)), model.predict(x, verbose=0), rtol=1e-6, atol=1e-6)


def test_export_fixed_batch_and_multiple_inputs(tmp_path):
    from jax import export
    a, b = kxla.Input((3,), name="a"), kxla.Input((3,), name="b")
    model = kxla.Model([a, b], layers.Dense(2, name="d")(kxla.ops.add(a, b)))
    kxla.export(model, tmp_path / "m.stablehlo", batch_size=4)
    exported = export.deserialize(bytearray((tmp_path / "m.stablehlo").read_bytes()))
    xa, xb = np.ones((4, 3), "float32"), np.full((4, 3), 2.0, "float32")
    assert exported.in_avals[0].shape == (4, 3)
    np.testing.assert_allclose(np.asarray(exported.call(xa, xb)), model.predict([xa, xb], verbose=0), rtol=1e-6)
