"""Identifier resolution lives in ``kxla.naming`` (below every package that names things); kept importable."""
from ..naming import closest, edit_distance, resolve, snake_case  # noqa: F401
