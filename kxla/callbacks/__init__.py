"""kxla.callbacks — Keras 3 callbacks: hooks into fit / evaluate / predict."""
from .callback import Callback, CallbackList
from .history import History
from .progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger"]
