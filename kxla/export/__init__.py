"""kxla.export — Keras 3's ``keras.export`` namespace, and still callable as ``kxla.export(model, path)``.

Keras's namespace holds ``ExportArchive``, a TensorFlow SavedModel builder
(excluded: see docs/keras_compatibility.md). kxla exports the inference
function as serialized StableHLO: ``kxla.export.export(model, path)``; the
module itself stays callable with the same arguments so existing code
(``kxla.export(model, path)``) keeps working.
"""
import sys as _sys
import types as _types

from ..saving.export import export

__all__ = ["export"]


class _CallableModule(_types.ModuleType):
    """``kxla.export(...)`` calls ``kxla.export.export(...)``."""

    def __call__(self, model, filepath, batch_size=None, platforms=None):
        return export(model, filepath, batch_size=batch_size, platforms=platforms)


_sys.modules[__name__].__class__ = _CallableModule
