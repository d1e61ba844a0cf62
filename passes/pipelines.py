"""Default pipelines, as data: what ``compile()`` runs on training and inference graphs.

``TRAINING_PIPELINE`` never folds BatchNorm (training updates the statistics
and the graph must keep reading them). ``INFERENCE_PIPELINE`` folds
BatchNorm into the preceding conv/matmul, converts to the backend's preferred
data layout, fuses bias + activation and cleans up. ``inference_pipeline(p)``
fills in the layout for platform ``p``.
"""
from __future__ import annotations

__all__ = ["TRAINING_PIPELINE", "INFERENCE_PIPELINE", "inference_pipeline", "preferred_layout"]

TRAINING_PIPELINE = "canonicalize,cse,dce"

_INFERENCE_TEMPLATE = ("shape-inference,fold-batchnorm,convert-layout{{to={layout}}},cancel-transposes,"
                       "constant-folding,fuse-bias-activation,canonicalize,cse,dce")


def preferred_layout(platform: str | None = None) -> str:
    """The data format XLA runs fastest on ``platform`` ("cpu", "gpu"/"cuda"/"rocm", "tpu").

    XLA's convolution emitters on all three prefer NHWC (channels_last); an
    unknown platform gets channels_last too.
    """
    return "channels_last"


def inference_pipeline(platform: str | None = None) -> str:
    """``INFERENCE_PIPELINE`` with the layout preferred on ``platform``."""
    return _INFERENCE_TEMPLATE.format(layout=preferred_layout(platform))


INFERENCE_PIPELINE = inference_pipeline()
