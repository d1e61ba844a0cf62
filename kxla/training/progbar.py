"""Keras's progress display lives in ``kxla.callbacks.progbar`` (callbacks sit below training); kept importable."""
from ..callbacks.progbar import *  # noqa: F401,F403
from ..callbacks.progbar import Progbar, format_logs  # noqa: F401
