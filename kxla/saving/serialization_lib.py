"""``kxla.saving.serialization_lib`` is ``kxla.serialization.serialization_lib`` (moved below layers and models).

The module object itself is re-exported, so every name (and monkeypatching) works through either path.
"""
import sys

from ..serialization import serialization_lib as _moved

sys.modules[__name__] = _moved
