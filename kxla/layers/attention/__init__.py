"""Attention layers (Keras 3 names): MultiHeadAttention."""
from .multi_head_attention import MultiHeadAttention

__all__ = ["MultiHeadAttention"]
from .attention import AdditiveAttention, Attention  # noqa: E402
__all__ += ["AdditiveAttention", "Attention"]
from .grouped_query_attention import GroupedQueryAttention, GroupQueryAttention  # noqa: E402
__all__ += ["GroupedQueryAttention", "GroupQueryAttention"]
