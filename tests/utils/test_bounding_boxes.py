"""keras.utils.bounding_boxes against Keras 3: every format pair, clipping, affine, crop/pad, deltas, IoU, CIoU."""
import numpy as np
import pytest

import kxla

R = np.random.default_rng(0)
_XY, _WH = R.uniform(0, 10, (2, 5, 2)), R.uniform(0.5, 5, (2, 5, 2))
BOXES = np.concatenate([_XY, _XY + _WH], -1).astype("float32")
ANCHORS = np.concatenate([_XY[0] + 1, _XY[0] + _WH[1]], -1).astype("float32")
OURS = kxla.utils.bounding_boxes


def _same(a, b, what=""):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5, err_msg=what)


def test_convert_format_every_pair(keras):
    for source in OURS.SUPPORTED_FORMATS:
        for target in OURS.SUPPORTED_FORMATS:
            _same(OURS.convert_format(BOXES, source, target, height=20, width=15),
                  keras.utils.bounding_boxes.convert_format(BOXES.copy(), source, target, height=20, width=15),
                  f"{source}->{target}")
    with pytest.raises(ValueError, match="height"):
        OURS.convert_format(BOXES, "rel_xyxy", "xyxy")


@pytest.mark.slow
def test_clip_affine_crop_pad(keras):
    theirs = keras.utils.bounding_boxes
    data = {"boxes": BOXES * 2 - 5, "labels": np.arange(10).reshape(2, 5)}
    got, want = OURS.clip_to_image_size(dict(data), 12, 9), theirs.clip_to_image_size(dict(data), 12, 9)
    _same(got["boxes"], want["boxes"]), _same(got["labels"], want["labels"])
    params = [np.array(v, "float32") for v in ([10.0, -30.0], [0.1, 0.0], [0.0, -0.2], [1.2, 0.8], [5.0, 0.0],
                                               [0.0, 7.0])] + [20, 15]
    _same(OURS.affine_transform(BOXES, *params), theirs.affine_transform(BOXES, *params), "affine")
    _same(OURS.crop(BOXES, 2, 3, 6, 5), theirs.crop(BOXES, 2, 3, 6, 5), "crop")
    _same(OURS.pad(BOXES, 2, 3), theirs.pad(BOXES, 2, 3), "pad")


@pytest.mark.slow
def test_box_deltas_and_iou(keras):
    theirs = keras.utils.bounding_boxes
    for variance in (None, [0.1, 0.1, 0.2, 0.2]):
        delta = OURS.encode_box_to_deltas(ANCHORS, BOXES[0], "xyxy", "xyxy", variance=variance)
        _same(delta, theirs.encode_box_to_deltas(ANCHORS, BOXES[0], "xyxy", "xyxy", variance=variance), "encode")
        _same(OURS.decode_deltas_to_boxes(ANCHORS, delta, "xyxy", "yxyx", "center_xywh", variance),
              theirs.decode_deltas_to_boxes(ANCHORS, np.asarray(delta), "xyxy", "yxyx", "center_xywh", variance))
    other = BOXES.copy()
    other[0, 0] = -1.0
    for masking in (False, True):
        _same(OURS.compute_iou(BOXES, other, "xyxy", use_masking=masking),
              theirs.compute_iou(BOXES, other, "xyxy", use_masking=masking), "iou batched")
        _same(OURS.compute_iou(BOXES[0], other[1, :3], "yxyx", use_masking=masking),
              theirs.compute_iou(BOXES[0], other[1, :3], "yxyx", use_masking=masking), "iou")
    _same(OURS.compute_ciou(BOXES, BOXES[::-1], "xyxy"), theirs.compute_ciou(BOXES, BOXES[::-1], "xyxy"), "ciou")


def test_symbolic_boxes_record_graph_nodes():
    from kxla.ir import TensorType
    sym = kxla.KerasTensor(TensorType((None, 5, 4), "float32"))
    out = OURS.convert_format(sym, "xyxy", "center_yxhw")
    assert isinstance(out, kxla.KerasTensor) and tuple(out.shape) == (None, 5, 4)
