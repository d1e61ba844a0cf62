"""Attention layers (Keras 3 names): MultiHeadAttention."""
from .multi_head_attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
