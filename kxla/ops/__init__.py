"""kxla.ops — every op defined once (schema, shape rule, JAX lowering) and the keras.ops-named functions.

Called on symbolic tensors these record IR nodes; called on arrays they
compute eagerly through the same lowering rule.
"""
from .core import apply, defop, LowerContext
from .tracing import Builder, KerasTensor, Variable, current_builder
from .math import *  # noqa: F401,F403
from .math import abs, max, min, sum  # noqa: F401  (names shadowing builtins)
from .nn import *  # noqa: F401,F403
from .array import *  # noqa: F401,F403
from . import nn_conv, nn_norm, array_more, array_index, random_ops  # noqa: F401  (register ops)
from .nn_conv import *  # noqa: F401,F403
from .nn_norm import *  # noqa: F401,F403
from .array_more import *  # noqa: F401,F403
from .array_index import *  # noqa: F401,F403
from .random_ops import *  # noqa: F401,F403
from .jax_call import jax_call, register_function  # noqa: F401
from . import fused  # noqa: F401  (fused ops made by passes)
from . import quantized  # noqa: F401,E402  (quantized_dot, fake_quant_with_min_max_vars)
from . import float8  # noqa: F401,E402  (float8_qdq, float8_grad_qdq)
from .rnn import *  # noqa: F401,F403  (registers simple_rnn, lstm, gru)
from . import region_scan  # noqa: F401,E402  (registers scan: a loop whose body is a region)
from .nn_extra import *  # noqa: F401,F403  (registers resize)
# Keras's namespaces: ops.numpy (its names also top-level), ops.nn, ops.linalg (also top-level), ops.image
from . import numpy_elementwise, numpy_reduce, numpy_shape, nn_catalog, linalg, core_api  # noqa: E402,F401
from . import image, control_flow  # noqa: E402,F401
from . import spectral, numpy_more, nn_more, nn_sequence  # noqa: E402,F401  (fft family, stft, complex views; bincount, eig, ...)
from . import numpy  # noqa: E402
from .numpy import *  # noqa: F401,F403,E402
from ._gather import fill_nn as _fill_nn, publish_core as _publish_core  # noqa: E402
_publish_core(globals(), "core")
_publish_core(globals(), "linalg")
_fill_nn()
