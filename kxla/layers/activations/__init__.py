"""Activation layers (Keras 3 names): LeakyReLU, PReLU, ELU, Softmax."""
from .leaky_relu import LeakyReLU
from .prelu import PReLU
from .elu import ELU
from .softmax import Softmax

__all__ = ["LeakyReLU", "PReLU", "ELU", "Softmax"]
