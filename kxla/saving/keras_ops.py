"""``kxla.saving.keras_ops`` is ``kxla.serialization.keras_ops`` (moved below models, which write op entries).

The module object itself is re-exported, so every name works through either path.
"""
import sys

from ..serialization import keras_ops as _moved

sys.modules[__name__] = _moved
