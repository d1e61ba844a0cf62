"""RandAugment and MaxNumBoundingBoxes against Keras 3 (config, inference, boxes padded/truncated as Keras)."""
import numpy as np
import pytest

from kxla import layers as L
from layer_check import check_config, run_traced

X = np.random.default_rng(0).uniform(0, 255, (3, 8, 7, 3)).astype("float32")


def test_rand_augment(keras):
    for kwargs in ({}, {"num_ops": 1, "factor": 0.3, "value_range": (0, 1)}):
        check_config(keras, L.RandAugment(**kwargs), "RandAugment", kwargs)
    np.testing.assert_array_equal(run_traced(L.RandAugment(num_ops=1), X, training=False)[0], X)


@pytest.mark.slow                   # eleven candidate transforms per op: a large graph to compile
def test_rand_augment_in_training():
    layer = L.RandAugment(num_ops=1)
    a, b = (run_traced(layer, X, training=True, rng_seed=s)[0] for s in (0, 3))
    assert a.shape == X.shape and not np.allclose(a, b)


def test_max_num_bounding_boxes_matches_keras(keras):
    check_config(keras, L.MaxNumBoundingBoxes(3), "MaxNumBoundingBoxes", {"max_number": 3})
    data = {"images": X, "bounding_boxes": {"boxes": np.arange(60, dtype="float32").reshape(3, 5, 4),
                                            "labels": np.arange(15, dtype="int32").reshape(3, 5)}}
    for n in (3, 7):
        ours = L.MaxNumBoundingBoxes(n, bounding_box_format="xyxy")(dict(data))
        theirs = keras.layers.MaxNumBoundingBoxes(n, bounding_box_format="xyxy")(dict(data))
        for key in ("boxes", "labels"):
            np.testing.assert_array_equal(np.asarray(ours["bounding_boxes"][key]),
                                          np.asarray(theirs["bounding_boxes"][key]))
        np.testing.assert_array_equal(np.asarray(ours["images"]), X)
    np.testing.assert_array_equal(np.asarray(L.MaxNumBoundingBoxes(2)(X)), X)
    with pytest.raises(ValueError, match="bounding_box_format"):
        L.MaxNumBoundingBoxes(2)(dict(data))
