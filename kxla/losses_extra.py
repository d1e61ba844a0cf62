"""Keras 3's newer losses live in ``kxla.losses.extra`` (re-exported by ``kxla.losses``); kept importable."""
from .losses.extra import *  # noqa: F401,F403
from .losses.extra import __all__  # noqa: F401
