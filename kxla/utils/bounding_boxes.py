"""keras.utils.bounding_boxes: box format conversion, clipping, affine maps, crop/pad, box deltas, IoU.

Written with ``kxla.ops``, so each function runs eagerly on arrays and records
nodes on symbolic tensors. Formats as Keras's: ``xyxy``, ``yxyx``, ``xywh``,
``center_xywh``, ``center_yxhw`` and the relative ``rel_xyxy``, ``rel_yxyx``,
``rel_xywh``, ``rel_center_xywh`` (fractions of the image's width/height).
Every conversion goes through ``xyxy`` as Keras's does, so the numbers match.
"""
from __future__ import annotations

import math

from .. import ops

__all__ = ["affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format", "crop",
           "decode_deltas_to_boxes", "encode_box_to_deltas", "pad"]

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx", "rel_xywh",
                     "rel_center_xywh")
_EPSILON = 1e-7


def _planes(boxes):
    return ops.split(boxes, 4, axis=-1)


def _join(*planes):
    return ops.concatenate(list(planes), axis=-1)


def _to_xyxy(fmt, b, h, w):
    p, q, r, s = _planes(b)
    if fmt == "xyxy":
        return b
    if fmt == "yxyx":
        return _join(q, p, s, r)
    if fmt == "xywh":
        return _join(p, q, p + r, q + s)
    if fmt in ("center_xywh", "center_yxhw"):
        cx, cy, bw, bh = (p, q, r, s) if fmt == "center_xywh" else (q, p, s, r)
        return _join(cx - bw / 2.0, cy - bh / 2.0, cx + bw / 2.0, cy + bh / 2.0)
    if fmt == "rel_xyxy":
        return _join(p * w, q * h, r * w, s * h)
    if fmt == "rel_yxyx":
        return _join(q * w, p * h, s * w, r * h)
    if fmt == "rel_xywh":
        return _join(p * w, q * h, (p + r) * w, (q + s) * h)
    return _join((p - r / 2.0) * w, (q - s / 2.0) * h, (p + r / 2.0) * w, (q + s / 2.0) * h)     # rel_center_xywh


def _from_xyxy(fmt, b, h, w):
    x1, y1, x2, y2 = _planes(b)
    if fmt == "xyxy":
        return b
    if fmt == "yxyx":
        return _join(y1, x1, y2, x2)
    if fmt == "xywh":
        return _join(x1, y1, x2 - x1, y2 - y1)
    if fmt == "center_xywh":
        return _join(x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0, x2 - x1, y2 - y1)
    if fmt == "center_yxhw":
        return _join(y1 + (y2 - y1) / 2.0, x1 + (x2 - x1) / 2.0, y2 - y1, x2 - x1)
    if fmt == "rel_xyxy":
        return _join(x1 / w, y1 / h, x2 / w, y2 / h)
    if fmt == "rel_yxyx":
        return _join(y1 / h, x1 / w, y2 / h, x2 / w)
    if fmt == "rel_xywh":
        return _join(x1 / w, y1 / h, (x2 - x1) / w, (y2 - y1) / h)
    return _join((x1 + (x2 - x1) / 2.0) / w, (y1 + (y2 - y1) / 2.0) / h, (x2 - x1) / w, (y2 - y1) / h)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Boxes (last axis 4, or a dict with "boxes") from format ``source`` to ``target``."""
    if isinstance(boxes, dict):
        boxes["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return boxes
    if tuple(boxes.shape)[-1] != 4:
        raise ValueError(f"`boxes` must be a tensor with the last dimension of 4. Received: boxes.shape="
                         f"{tuple(boxes.shape)}")
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}")
    if (source.startswith("rel_") or target.startswith("rel_")) and (width is None or height is None):
        raise ValueError("convert_format() must receive `height` and `width` transforming between relative and "
                         f"absolute formats.convert_format() received source=`{source}`, target=`{target}, but "
                         f"height={height} and width={width}.")
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    h = None if height is None else ops.cast(height, dtype)
    w = None if width is None else ops.cast(width, dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return _from_xyxy(target, _to_xyxy(source, boxes, h, w), h, w)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clip ``bounding_boxes["boxes"]`` to the image; boxes left with no area get label -1."""
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(f"clip_to_image_size supports 'xyxy' and 'rel_xyxy', got {bounding_box_format!r}")
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = bounding_boxes["boxes"]
    labels = bounding_boxes.get("labels")
    top_x, top_y = (1.0, 1.0) if bounding_box_format == "rel_xyxy" else \
        (ops.cast(width, boxes.dtype), ops.cast(height, boxes.dtype))
    x1, y1, x2, y2 = _planes(boxes)
    boxes = _join(ops.clip(x1, 0, top_x), ops.clip(y1, 0, top_y), ops.clip(x2, 0, top_x), ops.clip(y2, 0, top_y))
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        x1, y1, x2, y2 = _planes(boxes)
        areas = ops.squeeze((x2 - x1) * (y2 - y1), axis=-1)
        result["labels"] = ops.where(ops.greater(areas, 0), labels, -1)
    return result


def _inverse_affine_matrix(cx, cy, angle, tx, ty, scale, shear_x, shear_y, height, width):
    """Keras's (batch, 6) inverse affine map (degrees; translations as fractions of the image)."""
    cx, cy = cx * (width - 1), cy * (height - 1)
    rot = -angle * (math.pi / 180.0)
    tx, ty = -tx * (width - 1), -ty * (height - 1)
    sx, sy = -shear_x * (math.pi / 180.0), -shear_y * (math.pi / 180.0)
    a = ops.cos(rot - sy) / ops.cos(sy)
    b = a * ops.tan(sx) + ops.sin(rot)
    c = -ops.sin(rot - sy) / ops.cos(sy)
    d = ops.cos(rot) - c * ops.tan(sx)
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    return a0, a1, a2, b0, b1, b2


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height, width, center_x=None,
                     center_y=None, bounding_box_format="xyxy"):
    """The enclosing ``xyxy`` boxes of ``boxes`` (batch, n, 4) mapped by per-image affine parameters (batch,)."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"affine_transform supports 'xyxy' boxes only, got {bounding_box_format!r}")
    angle = ops.convert_to_tensor(angle)
    m = _inverse_affine_matrix(0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
                               angle, translate_x, translate_y, scale, shear_x, shear_y, height, width)
    a0, a1, a2, b0, b1, b2 = (ops.reshape(ops.cast(v, angle.dtype), [-1, 1, 1]) for v in m)
    boxes = ops.cast(boxes, angle.dtype)
    x1, y1, x2, y2 = (boxes[..., i:i + 1] for i in range(4))
    xs, ys = _join(x1, x2, x2, x1), _join(y1, y1, y2, y2)                  # the four corners
    new_x, new_y = a0 * xs + a1 * ys + a2, b0 * xs + b1 * ys + b2
    return ops.stack([ops.min(new_x, axis=-1), ops.min(new_y, axis=-1), ops.max(new_x, axis=-1),
                      ops.max(new_y, axis=-1)], axis=-1)


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """``xyxy`` boxes in the frame of the crop at (top, left) of size (height, width), clipped to it."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"crop supports 'xyxy' boxes only, got {bounding_box_format!r}")
    x1, y1, x2, y2 = _planes(boxes)
    return _join(ops.clip(x1 - left, 0, width), ops.clip(y1 - top, 0, height), ops.clip(x2 - left, 0, width),
                 ops.clip(y2 - top, 0, height))


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """``xyxy`` boxes shifted by the padding added at the top and left."""
    if bounding_box_format != "xyxy":
        raise NotImplementedError(f"pad supports 'xyxy' boxes only, got {bounding_box_format!r}")
    x1, y1, x2, y2 = _planes(boxes)
    return _join(x1 + left, y1 + top, x2 + left, y2 + top)


def _check_encoding(variance, encoding, name):
    if variance is not None:
        variance = ops.convert_to_tensor(variance, "float32")
        if tuple(variance.shape)[-1] != 4:
            raise ValueError(f"`variance` must be length 4, got {variance}")
    if encoding not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`{name}` should be one of 'center_xywh' or 'center_yxhw', got {encoding}")
    return variance


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format, encoding_format="center_yxhw", variance=None,
                         image_shape=None):
    """Boxes as offsets from their anchors (center shift / anchor size, log size ratio), as Keras."""
    variance = _check_encoding(variance, encoding_format, "encoding_format")
    height, width = (None, None) if image_shape is None else image_shape[:2]
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = ops.maximum(anchors[..., 2:], _EPSILON)
    box_size = ops.maximum(boxes[..., 2:], _EPSILON)
    delta = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size, ops.log(box_size / anchor_size)],
                            axis=-1)
    return delta if variance is None else delta / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format, encoded_format="center_yxhw",
                           variance=None, image_shape=None):
    """The inverse of ``encode_box_to_deltas`` (dicts of levels decode level by level)."""
    variance = _check_encoding(variance, encoded_format, "encoded_format")
    height, width = (None, None) if image_shape is None else image_shape[:2]

    def level(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = delta if variance is None else delta * variance
        box = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height, width)
    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {key: level(anchor, boxes_delta[key]) for key, anchor in anchors.items()}
    return level(anchors, boxes_delta)


from .bounding_boxes_iou import compute_ciou, compute_iou  # noqa: E402
