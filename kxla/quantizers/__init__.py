"""kxla.quantizers = keras.quantizers: quantizer classes, quantization configs and array functions.

``model.quantize("int8" | "int4")`` and ``layer.quantize`` (Dense, EinsumDense,
Embedding) use these; the quantized forward is the ``quantized_dot`` /
``quantized_take`` ops (kxla/ops/quantized.py). See docs/quantization.md.
"""
from __future__ import annotations

import inspect

from .config import (AWQConfig, Float8QuantizationConfig, GPTQConfig, Int4QuantizationConfig,
                     Int8QuantizationConfig, QuantizationConfig)
from .int4 import pack_int4, unpack_int4
from .quantizers import (AbsMaxQuantizer, Quantizer, abs_max_quantize, abs_max_quantize_grouped_with_zero_point,
                         compute_float8_amax_history, compute_float8_scale, fake_quant_with_min_max_vars,
                         quantize_and_dequantize)
from . import serial as _serial
from ..naming import snake_case as _snake_case

__all__ = ["AbsMaxQuantizer", "Quantizer", "QuantizationConfig", "Int8QuantizationConfig",
           "Int4QuantizationConfig", "Float8QuantizationConfig", "GPTQConfig", "AWQConfig", "abs_max_quantize",
           "abs_max_quantize_grouped_with_zero_point", "compute_float8_amax_history", "compute_float8_scale",
           "fake_quant_with_min_max_vars", "pack_int4", "unpack_int4", "quantize_and_dequantize", "get",
           "serialize", "deserialize"]

_CLASSES = (Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig, Int4QuantizationConfig,
            Float8QuantizationConfig, GPTQConfig, AWQConfig)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({_snake_case(cls.__name__): cls for cls in _CLASSES})


def serialize(initializer):
    """A quantizer or quantization config in Keras's serialized form."""
    return _serial.serialize(initializer, "keras.quantizers")


def deserialize(config, custom_objects=None):
    """The quantizer or config a ``serialize`` entry describes."""
    return _serial.deserialize(config, ALL_OBJECTS_DICT, custom_objects, what="quantizer")


def get(identifier, **kwargs):
    """A quantizer from None, a serialized dict, a class name (``"AbsMaxQuantizer"`` /
    ``"abs_max_quantizer"``, instantiated as Keras does) or a quantizer object."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        if inspect.isclass(obj):
            obj = obj(kwargs)
        return obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
