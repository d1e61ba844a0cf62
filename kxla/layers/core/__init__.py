"""Core layers: Dense, Activation, Dropout, Flatten, Reshape, Input handling."""
from .lambda_layer import Lambda  # noqa: E402,F401
