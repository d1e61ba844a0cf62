"""``Model.quantize`` (Keras 3): quantize every leaf layer that has a quantized form.

Layers are visited as Keras's ``_flatten_layers`` does (the model, then its
layers depth first); ``filters`` (a regex, a list of them, or a callable)
selects layers by name. A layer without a quantized form warns and stays as it
is, as in Keras. GPTQ then calibrates (``quantize_gptq``). AWQ raises
``NotImplementedError`` before any layer changes; so does a layer Keras
quantizes in a mode kxla cannot (``ReversibleEmbedding`` int4): an
``UnsupportedQuantization`` error, not a warning.
"""
from __future__ import annotations

import re
import warnings
from collections.abc import Callable


def _flatten(layer, seen=None) -> list:
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    out = [layer]
    children = list(getattr(layer, "_layers", []))
    if hasattr(layer, "layers"):
        children += [l for l in layer.layers if all(l is not c for c in children)]
    for child in children:
        out += _flatten(child, seen)
    return out


def should_quantize_layer(layer, filters) -> bool:
    """Keras's filter rule: None (all), a regex searched in the name, a list of regexes, or a callable."""
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(p, layer.name) for p in filters)
    return bool(filters(layer))


def quantize_model(model, mode=None, config=None, filters=None, **kwargs):
    """Quantize ``model``'s layers in place (see the module docstring)."""
    from ..quantizers.config import UnsupportedQuantization, check_supported, validate_and_resolve_config
    type_check = kwargs.pop("type_check", True)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments passed to {type(model).__name__}: {kwargs}")
    if filters is not None and not isinstance(filters, (str, Callable, list, tuple)):
        raise ValueError("The `filters` argument must be a regex string, a list of regex strings, or a callable. "
                         f"Received: {type(filters)}")
    resolved = validate_and_resolve_config(mode, config)
    check_supported(resolved.mode, f"{type(model).__name__}.quantize")
    if resolved.mode == "gptq":                 # what kxla cannot calibrate, before any layer changes
        from ..layers.core.quantized import refuse_gptq
        for layer in _flatten(model):
            if should_quantize_layer(layer, filters) and len(_flatten(layer)) == 1:
                refuse_gptq(layer, "gptq")
    changed = False
    for layer in _flatten(model):
        if not should_quantize_layer(layer, filters) or len(_flatten(layer)) != 1:
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
            changed = True
        except UnsupportedQuantization:          # Keras quantizes this layer this way; kxla cannot: an error
            raise
        except NotImplementedError as e:
            warnings.warn(str(e), stacklevel=2)
        except AttributeError:
            pass
    if resolved.mode == "gptq":
        from .quantize_gptq import gptq_quantize
        try:
            gptq_quantize(model, resolved, filters)
        finally:
            model._invalidate()
    elif changed:
        model._invalidate()
