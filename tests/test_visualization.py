"""kxla.visualization against keras.visualization: boxes and masks drawn on the same images, galleries written."""
import numpy as np
import pytest

import kxla

IMAGES = np.random.default_rng(0).uniform(0, 255, (2, 24, 20, 3)).astype("float32")
BOXES = {"boxes": np.array([[[2, 3, 12, 15], [5, 5, 9, 22]], [[0, 0, 19, 23], [1, 2, 3, 4]]], "float32"),
         "labels": np.array([[0, 1], [1, -1]])}
MASKS = np.random.default_rng(1).integers(-1, 3, (2, 24, 20, 1)).astype("int32")


def test_draw_bounding_boxes_matches_keras(keras):
    pytest.importorskip("cv2")
    for kwargs in ({}, {"class_mapping": {0: "cat", 1: "dog"}, "color": (255, 0, 0), "line_thickness": 1}):
        ours = kxla.visualization.draw_bounding_boxes(IMAGES, dict(BOXES), "xyxy", **kwargs)
        theirs = keras.visualization.draw_bounding_boxes(IMAGES, dict(BOXES), "xyxy", **kwargs)
        assert ours.dtype == np.uint8
        np.testing.assert_array_equal(ours, np.asarray(theirs))
    rel = {"boxes": BOXES["boxes"] / np.array([20, 24, 20, 24], "float32"), "labels": BOXES["labels"]}
    np.testing.assert_array_equal(kxla.visualization.draw_bounding_boxes(IMAGES, rel, "rel_xyxy"),
                                  np.asarray(keras.visualization.draw_bounding_boxes(IMAGES, rel, "rel_xyxy")))


@pytest.mark.parametrize("kwargs", [{}, {"num_classes": 3, "alpha": 0.4}, {"blend": False, "num_classes": 3},
                                    {"color_mapping": {0: (1, 2, 3), 1: (9, 9, 9)}, "num_classes": 2}])
def test_draw_segmentation_masks_matches_keras(keras, kwargs):
    ours = kxla.visualization.draw_segmentation_masks(IMAGES, MASKS, **kwargs)
    theirs = np.asarray(keras.visualization.draw_segmentation_masks(IMAGES, MASKS, **kwargs))
    assert ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_galleries_write_images(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("cv2")
    import matplotlib
    matplotlib.use("Agg")
    vis = kxla.visualization
    vis.plot_image_gallery(IMAGES, y_true=np.array([0, 1]), label_map={0: "a", 1: "b"}, path=tmp_path / "a.png")
    vis.plot_bounding_box_gallery(IMAGES, "xyxy", y_true=dict(BOXES), legend=True, path=tmp_path / "b.png")
    vis.plot_segmentation_mask_gallery(IMAGES, 3, y_true=MASKS, y_pred=MASKS, path=tmp_path / "c.png")
    assert all((tmp_path / f"{n}.png").stat().st_size > 100 for n in "abc")


def test_missing_packages_are_named(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_plotting(name, *args, **kwargs):
        if name.split(".")[0] in ("cv2", "matplotlib"):
            raise ImportError(name)
        return real(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_plotting)
    with pytest.raises(ImportError, match="matplotlib"):
        kxla.visualization.plot_image_gallery(IMAGES)
    with pytest.raises(ImportError, match="opencv"):
        kxla.visualization.draw_bounding_boxes(IMAGES, dict(BOXES), "xyxy")
