"""kxla.distribution — Keras 3's distribution API on ``jax.sharding``: DataParallel, ModelParallel.

See ``distribution_lib`` and docs/distribution.md.
"""
from .distribution_lib import (DataParallel, DeviceMesh, Distribution, LayoutMap, ModelParallel,
                               TensorLayout, distribute_tensor, distribution, get_device_count, initialize,
                               list_devices, set_distribution)

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel", "TensorLayout",
           "distribute_tensor", "distribution", "get_device_count", "initialize", "list_devices",
           "set_distribution"]
