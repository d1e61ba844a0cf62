"""``compute_iou`` and ``compute_ciou`` of keras.utils.bounding_boxes (Keras's formulas, with kxla.ops)."""
from __future__ import annotations

import math

from .. import ops

_EPSILON = 1e-7


def _area(boxes):                                     # yxyx
    y1, x1, y2, x2 = ops.split(boxes[..., :4], 4, axis=-1)
    return ops.squeeze((y2 - y1) * (x2 - x1), axis=-1)


def _intersection(boxes1, boxes2):
    y_min1, x_min1, y_max1, x_max1 = ops.split(boxes1[..., :4], 4, axis=-1)
    y_min2, x_min2, y_max2, x_max2 = ops.split(boxes2[..., :4], 4, axis=-1)
    perm = [1, 0] if len(boxes2.shape) == 2 else [0, 2, 1]
    height = ops.minimum(y_max1, ops.transpose(y_max2, perm)) - ops.maximum(y_min1, ops.transpose(y_min2, perm))
    width = ops.minimum(x_max1, ops.transpose(x_max2, perm)) - ops.maximum(x_min1, ops.transpose(x_min2, perm))
    return ops.maximum(height, 0.0) * ops.maximum(width, 0.0)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1, image_shape=None):
    """Pairwise IoU of ``boxes1`` (n, 4) or (batch, n, 4) and ``boxes2`` (m, 4) / (batch, m, 4)."""
    from .bounding_boxes import convert_format
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if len(b.shape) not in (2, 3):
            raise ValueError(f"compute_iou() expects {name} to be batched, or to be unbatched. Received "
                             f"len({name}.shape)={len(b.shape)}. Expected 2 or 3.")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument "
                         f"must be provided.Received `image_shape`: {image_shape}")
    height, width = (None, None) if image_shape is None else image_shape[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    inter = _intersection(boxes1, boxes2)
    area2 = _area(boxes2)
    union = ops.expand_dims(_area(boxes1), -1) + ops.expand_dims(area2, 1 if len(area2.shape) == 2 else 0) - inter
    result = ops.divide(inter, union + _EPSILON)
    if not use_masking:
        return result
    perm = [1, 0] if len(boxes1.shape) == 2 else [0, 2, 1]
    background = ops.logical_or(ops.less(ops.max(boxes1, axis=-1, keepdims=True), 0.0),
                                ops.transpose(ops.less(ops.max(boxes2, axis=-1, keepdims=True), 0.0), perm))
    return ops.where(background, ops.cast(mask_val, result.dtype) * ops.ones_like(result), result)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of matching boxes (IoU minus center distance and aspect-ratio penalties)."""
    from .bounding_boxes import convert_format
    if "rel" in bounding_box_format:
        raise ValueError("When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` argument "
                         f"must be provided.Received `image_shape`: {image_shape}")
    height, width = (None, None) if image_shape is None else image_shape[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    x_min1, y_min1, x_max1, y_max1 = ops.split(boxes1[..., :4], 4, axis=-1)
    x_min2, y_min2, x_max2, y_max2 = ops.split(boxes2[..., :4], 4, axis=-1)
    w1, h1 = x_max1 - x_min1, y_max1 - y_min1 + _EPSILON
    w2, h2 = x_max2 - x_min2, y_max2 - y_min2 + _EPSILON
    inter = ops.maximum(ops.minimum(x_max1, x_max2) - ops.maximum(x_min1, x_min2), 0) * \
        ops.maximum(ops.minimum(y_max1, y_max2) - ops.maximum(y_min1, y_min2), 0)
    union = w1 * h1 + w2 * h2 - inter + _EPSILON
    iou = ops.squeeze(ops.divide(inter, union + _EPSILON), axis=-1)
    convex_w = ops.maximum(x_max1, x_max2) - ops.minimum(x_min1, x_min2)
    convex_h = ops.maximum(y_max1, y_max2) - ops.minimum(y_min1, y_min2)
    diagonal = ops.squeeze(convex_w ** 2 + convex_h ** 2 + _EPSILON, axis=-1)
    distance = ops.squeeze(((x_min1 + x_max1) / 2 - (x_min2 + x_max2) / 2) ** 2 +
                           ((y_min1 + y_max1) / 2 - (y_min2 + y_max2) / 2) ** 2, axis=-1)
    v = ops.squeeze((4 / math.pi ** 2) * ops.power(ops.arctan(w2 / h2) - ops.arctan(w1 / h1), 2), axis=-1)
    alpha = v / (v - iou + (1 + _EPSILON))
    return iou - (distance / diagonal + v * alpha)
