"""kxla.visualization — Keras's ``keras.visualization``: draw boxes and masks on images, plot galleries.

Host-side helpers on numpy arrays, as Keras's are. ``draw_bounding_boxes``
needs OpenCV (``cv2``) and the ``plot_*`` galleries need matplotlib, as in
Keras: without them they raise an ImportError naming the package (the
``visualization`` extra installs both).
"""
from .draw import draw_bounding_boxes, draw_segmentation_masks
from .plot import plot_bounding_box_gallery, plot_image_gallery, plot_segmentation_mask_gallery

__all__ = ["draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery", "plot_image_gallery",
           "plot_segmentation_mask_gallery"]
