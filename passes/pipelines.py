"""Default pipelines, as data: what ``compile()`` runs on training and inference graphs.

``TRAINING_PIPELINE`` converts to the backend's preferred data layout (so a
``channels_first`` model trains in the layout XLA runs fastest; gradients flow
through the same converted graph, weights never move) and cleans up; it never
folds BatchNorm (training updates the statistics and the graph must keep
reading them). ``INFERENCE_PIPELINE`` also folds BatchNorm into the preceding
conv/matmul and fuses bias + activation. ``training_pipeline(p)`` /
``inference_pipeline(p)`` fill in the layout for platform ``p``.
"""
from __future__ import annotations

__all__ = ["TRAINING_PIPELINE", "INFERENCE_PIPELINE", "training_pipeline", "inference_pipeline",
           "preferred_layout"]

_TRAINING_TEMPLATE = "convert-layout{{to={layout}}},cancel-transposes,canonicalize,cse,dce"
_INFERENCE_TEMPLATE = ("shape-inference,fold-batchnorm,convert-layout{{to={layout}}},cancel-transposes,"
                       "constant-folding,fuse-bias-activation,canonicalize,cse,dce")


def preferred_layout(platform: str | None = None) -> str:
    """The data format XLA runs fastest on ``platform`` ("cpu", "gpu"/"cuda"/"rocm", "tpu").

    XLA's convolution emitters on all three prefer NHWC (channels_last); an
    unknown platform gets channels_last too.
    """
    return "channels_last"


def training_pipeline(platform: str | None = None) -> str:
    """``TRAINING_PIPELINE`` with the layout preferred on ``platform``."""
    return _TRAINING_TEMPLATE.format(layout=preferred_layout(platform))


def inference_pipeline(platform: str | None = None) -> str:
    """``INFERENCE_PIPELINE`` with the layout preferred on ``platform``."""
    return _INFERENCE_TEMPLATE.format(layout=preferred_layout(platform))


TRAINING_PIPELINE = training_pipeline()
INFERENCE_PIPELINE = inference_pipeline()
