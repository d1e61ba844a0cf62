"""kxla.datasets — small datasets that need no network (digits) and Keras's download-and-cache sets."""
from . import digits

__all__ = ["digits"]
