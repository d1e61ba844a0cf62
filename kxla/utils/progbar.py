"""``kxla.utils.Progbar``: Keras's progress bar, implemented in ``kxla.callbacks.progbar`` (below training,
where ``ProgbarLogger`` uses the same class)."""
from ..callbacks.progbar import Progbar  # noqa: F401

__all__ = ["Progbar"]
