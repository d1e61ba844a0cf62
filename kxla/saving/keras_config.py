"""Layers and models in Keras 3's config format (moved; this module re-exports them).

Layer entries live below layers and models, in ``kxla.serialization.keras_entries``;
each model kind writes and rebuilds its own config in ``kxla.models.keras_config``
(``Sequential.get_config`` / ``from_config``, the functional config).
"""
from __future__ import annotations

from ..models.keras_config import (functional_config, functional_from_config, model_build_config,  # noqa: F401
                                   sequential_config, sequential_from_config)
from ..serialization.keras_entries import deserialize_entry, keras_class_name, serialize_layer_entry  # noqa: F401

__all__ = ["serialize_layer_entry", "deserialize_entry", "functional_config", "functional_from_config",
           "sequential_config", "sequential_from_config", "model_build_config"]
