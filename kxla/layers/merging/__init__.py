"""Merging layers (Keras 3 names): Add, Concatenate and their functional forms add, concatenate."""
from .base_merge import Merge
from .add import Add, add
from .concatenate import Concatenate, concatenate

__all__ = ["Merge", "Add", "add", "Concatenate", "concatenate"]
from .subtract import Subtract, subtract  # noqa: E402
from .multiply import Multiply, multiply  # noqa: E402
from .average import Average, average  # noqa: E402
from .maximum import Maximum, maximum  # noqa: E402
from .minimum import Minimum, minimum  # noqa: E402
from .dot import Dot, dot  # noqa: E402
__all__ += ["Subtract", "subtract", "Multiply", "multiply", "Average", "average", "Maximum", "maximum",
            "Minimum", "minimum", "Dot", "dot"]
