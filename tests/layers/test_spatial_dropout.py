"""SpatialDropout2D (and 1D/3D): whole channels dropped in training, identity in inference, both data formats."""
import numpy as np
import pytest

from kxla.ir import parse, print_graph
from kxla.layers import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from layer_check import check_against_keras, rand, run_traced


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_training_drops_whole_channels(data_format):
    rate = 0.4
    x = np.ones((16, 5, 6, 32), np.float32)
    if data_format == "channels_first":
        x = np.moveaxis(x, -1, 1)
    out, _, graph = run_traced(SpatialDropout2D(rate, data_format=data_format), x, training=True)
    assert [n.op for n in graph.nodes] == ["dropout"]
    expected_noise = [None, 1, 1, None] if data_format == "channels_last" else [None, None, 1, 1]
    assert graph.nodes[0].attrs["noise_shape"] == expected_noise
    assert print_graph(parse(print_graph(graph))) == print_graph(graph)             # None entries round-trip
    maps = out if data_format == "channels_first" else np.moveaxis(out, -1, 1)     # (batch, C, h, w)
    per_map = maps.reshape(16, 32, -1)
    assert np.all(per_map.min(axis=-1) == per_map.max(axis=-1))                     # each map all-or-nothing
    kept = per_map[:, :, 0] != 0
    np.testing.assert_allclose(per_map[:, :, 0][kept], 1 / (1 - rate), rtol=1e-6)   # kept maps are rescaled
    assert abs((1 - kept.mean()) - rate) < 0.08                                      # 512 channels drawn
    assert 0 < kept.sum(axis=1).min() and kept.sum(axis=1).max() < 32               # independent per sample
    again, _, _ = run_traced(SpatialDropout2D(rate, data_format=data_format), x, training=True, rng_seed=1)
    assert not np.array_equal(again, out)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_inference_is_identity_and_matches_keras(keras, data_format):
    x = rand(2, 3, 4, 5)
    out, _, graph = run_traced(SpatialDropout2D(0.5, data_format=data_format), x)
    assert graph.nodes == [] and np.array_equal(out, x)
    check_against_keras(keras, SpatialDropout2D(0.5, data_format=data_format), "SpatialDropout2D",
                        dict(rate=0.5, data_format=data_format), x)


def test_other_ranks():
    out, _, graph = run_traced(SpatialDropout1D(0.5), np.ones((4, 7, 16), np.float32), training=True)
    assert graph.nodes[0].attrs["noise_shape"] == [None, 1, None]
    assert np.all(out.min(axis=1) == out.max(axis=1))
    _, _, graph = run_traced(SpatialDropout3D(0.5, data_format="channels_first"), np.ones((2, 3, 2, 2, 2), np.float32),
                             training=True)
    assert graph.nodes[0].attrs["noise_shape"] == [None, None, 1, 1, 1]


def test_config_and_errors(keras):
    config = SpatialDropout2D(0.3, data_format="channels_first", seed=4, name="sd").get_config()
    ref = keras.layers.SpatialDropout2D(0.3, data_format="channels_first", seed=4, name="sd").get_config()
    assert {k: config[k] for k in ("rate", "seed", "data_format", "name")} == \
        {k: ref[k] for k in ("rate", "seed", "data_format", "name")}
    assert SpatialDropout2D.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="rate"):
        SpatialDropout2D(1.5)
    with pytest.raises(ValueError, match="expected ndim=4"):
        SpatialDropout2D(0.5)(rand(2, 3, 4))
