"""Image galleries with matplotlib (``plot_image_gallery`` and the box / mask galleries), as Keras's."""
from __future__ import annotations

import math

import numpy as np

from .draw import _batched, _data_format, draw_bounding_boxes, draw_segmentation_masks


def _pyplot(what):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(f"The `{what}` function requires the `matplotlib` package. Please install it with "
                          "`pip install matplotlib` (or kxla's `visualization` extra).") from None
    return plt


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True, dpi=60,
                       legend_handles=None, data_format=None):
    """A rows x cols grid of ``images`` (titles from ``label_map``), saved to ``path`` or shown."""
    plt = _pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError("If `y_true` or `y_pred` are provided, a `label_map` must also be provided.")
    show = show if show is not None else path is None
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError("`plot_images_gallery()` requires you to batch your `np.array` samples together.")
    batch = images.shape[0]
    rows = rows or int(math.ceil(math.sqrt(batch)))
    cols = cols or int(math.ceil(batch // rows))
    images = images[:min(rows * cols, batch)]
    if _data_format(data_format) == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    fig, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale), frameon=False,
                             layout="tight", squeeze=True, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if isinstance(axes, np.ndarray) and axes.ndim == 1:
        axes = np.expand_dims(axes, 0 if rows == 1 else -1)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    lo, hi = value_range
    images = (images.astype("float32") - lo) / (hi - lo) * 255.0
    for row in range(rows):
        for col in range(cols):
            index = row * cols + col
            axis = axes[row, col] if isinstance(axes, np.ndarray) else axes
            axis.imshow(images[index].astype("uint8"))
            axis.margins(x=0, y=0)
            axis.axis("off")
            title = [f"{name}: {label_map.get(values[index], 'Unknown')}"
                     for name, values in (("Label", y_true), ("Pred", y_pred))
                     if values is not None and index < len(values)]
            if title:
                axis.set_title("  ".join(title), fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        plt.close()
    elif show:
        plt.show()
        plt.close()


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None, value_range=(0, 255),
                              true_color=(0, 188, 212), pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None, rows=None, cols=None,
                              data_format=None, **kwargs):
    """``plot_image_gallery`` of the images with true and predicted boxes drawn."""
    _pyplot("plot_bounding_box_gallery")
    from matplotlib import patches
    images = _batched(images)
    if _data_format(data_format) == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    drawn = images
    for boxes, color, mapping in ((y_true, true_color, ground_truth_mapping or class_mapping),
                                  (y_pred, pred_color, prediction_mapping or class_mapping)):
        if boxes is not None:
            drawn = draw_bounding_boxes(drawn, boxes, bounding_box_format, class_mapping=mapping, color=color,
                                        line_thickness=line_thickness, text_thickness=text_thickness,
                                        font_scale=font_scale, data_format="channels_last")
    if legend:
        if legend_handles:
            raise ValueError("Only pass `legend` OR `legend_handles` to "
                             "`keras.visualization.plot_bounding_box_gallery()`.")
        legend_handles = [patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
                          patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction")]
    return plot_image_gallery(drawn, value_range=value_range, legend_handles=legend_handles, rows=rows, cols=cols,
                              data_format="channels_last", **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None, y_pred=None,
                                   color_mapping=None, blend=True, alpha=0.8, ignore_index=-1, data_format=None,
                                   **kwargs):
    """One row per image: the image, then its true and predicted masks drawn over it."""
    _pyplot("plot_segmentation_mask_gallery")
    images = _batched(images)
    cf = _data_format(data_format) == "channels_first"
    if cf:
        images = images.transpose(0, 2, 3, 1)
    drawn = []
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = np.asarray(masks).transpose(0, 2, 3, 1) if cf else np.asarray(masks)
            drawn.append(draw_segmentation_masks(images, masks.astype("int32"), num_classes, color_mapping, alpha,
                                                 blend, ignore_index, data_format="channels_last"))
    gallery = np.stack([img for i in range(len(images)) for img in [images[i]] + [d[i] for d in drawn]])
    return plot_image_gallery(gallery, value_range=value_range, rows=len(images), cols=1 + len(drawn),
                              data_format="channels_last", **kwargs)
