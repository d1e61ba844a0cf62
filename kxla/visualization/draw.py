"""``draw_bounding_boxes`` (OpenCV rectangles and labels) and ``draw_segmentation_masks`` (numpy), as Keras's."""
from __future__ import annotations

import numpy as np


def _data_format(data_format):
    from ..config import image_data_format
    return data_format or image_data_format()


def _batched(images):
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(f"`images` must be batched 4D tensor. Received: images.shape={images.shape}")
    return images


def _cv2(what):
    try:
        import cv2
    except ImportError:
        raise ImportError(f"The `{what}` function requires the `cv2` package  (OpenCV). Please install it with "
                          "`pip install opencv-python` (or kxla's `visualization` extra).") from None
    return cv2


def _text_location(x, y, font_scale, thickness):
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def draw_bounding_boxes(images, bounding_boxes, bounding_box_format, class_mapping=None, color=(128, 128, 128),
                        line_thickness=2, text_thickness=1, font_scale=1.0, data_format=None):
    """uint8 copies of ``images`` with the boxes (label -1: skipped) and their class names drawn."""
    cv2 = _cv2("draw_bounding_boxes")
    from ..utils.bounding_boxes import convert_format
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    images = _batched(images)
    if not isinstance(bounding_boxes, dict):
        raise TypeError(f"`bounding_boxes` should be a dict. Received: bounding_boxes={bounding_boxes} of type "
                        f"{type(bounding_boxes)}")
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError("`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. Received: "
                         f"bounding_boxes={bounding_boxes}")
    cl = _data_format(data_format) == "channels_last"
    height, width = images.shape[1:3] if cl else images.shape[2:4]
    boxes = np.asarray(convert_format(np.asarray(bounding_boxes["boxes"]), bounding_box_format, "xyxy", height,
                                      width))
    labels = np.asarray(bounding_boxes["labels"])
    confidences = np.asarray(bounding_boxes["confidences"]) if "confidences" in bounding_boxes else None
    if images.dtype.kind == "f" and images.size > 0:
        images = np.clip(images, 0, 1) * 255 if images.max() <= 1.0 else np.clip(images, 0, 255)
    images = images.astype("uint8")
    result = []
    for i, image in enumerate(images):
        image = np.ascontiguousarray(image)
        for j, box in enumerate(boxes[i]):
            x1, y1, x2, y2 = (int(v) for v in box.astype("int32"))
            c = int(labels[i][j].astype("int32"))
            if c == -1:
                continue
            cv2.rectangle(image, (x1, y1), (x2, y2), color, line_thickness)
            if c in class_mapping:
                label = class_mapping[c] if confidences is None else f"{class_mapping[c]} | {confidences[i][j]:.2f}"
                cv2.putText(img=image, text=label, org=_text_location(x1, y1, font_scale, text_thickness),
                            fontFace=cv2.FONT_HERSHEY_SIMPLEX, fontScale=font_scale, color=color,
                            thickness=text_thickness)
        result.append(image)
    return np.stack(result, axis=0)


def _palette(num_classes):
    palette = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [((i * palette) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None, alpha=0.8,
                            blend=True, ignore_index=-1, data_format=None):
    """Colour each class of ``segmentation_masks`` (integer, (batch, h, w, 1)) over ``images``, as Keras
    (blended: uint8; channels_first inputs give channels_last outputs, as Keras's)."""
    images = _batched(images)
    masks = np.asarray(segmentation_masks)
    if _data_format(data_format) == "channels_first":
        images, masks = images.transpose(0, 2, 3, 1), masks.transpose(0, 2, 3, 1)
    images = images.astype("float32")
    if masks.dtype.kind not in "iu":
        raise TypeError(f"`segmentation_masks` must be in integer dtype. Received: segmentation_masks.dtype="
                        f"{masks.dtype}")
    if num_classes is None:
        num_classes = int(masks.max())
    colors = _palette(num_classes) if color_mapping is None else [color_mapping[i] for i in range(num_classes)]
    valid = np.squeeze(masks != ignore_index, axis=-1)
    drawn = images.copy()
    for c, color in enumerate(colors):
        drawn[masks[..., 0] == c] = np.array(color, dtype=drawn.dtype)[None, :]
    if not blend:
        return drawn
    out = images * (1 - alpha) + drawn * alpha
    return np.where(valid[..., None], out, images).astype("uint8")
