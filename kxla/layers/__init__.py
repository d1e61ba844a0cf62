"""kxla.layers — Keras 3 layers by family; every layer's call() is written with kxla.ops."""
from .layer import Layer, InputSpec
from .core.dense import Dense
from .core.activation import Activation, Dropout, Flatten, Reshape
from .core.input_layer import InputLayer, Input
from .convolutional import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .merging import *  # noqa: F401,F403
from .reshaping import *  # noqa: F401,F403
from .regularization import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .core.embedding import Embedding  # noqa: F401
from .core.lambda_layer import Lambda  # noqa: F401
from .core.relu import ReLU  # noqa: F401
from .core.rescaling import Rescaling  # noqa: F401
from .core.normalization_layer import Normalization  # noqa: F401
from .activations import *  # noqa: F401,F403
from .core.identity import Identity, Masking  # noqa: F401
from .core.einsum_dense import EinsumDense  # noqa: F401
from .aliases import *  # noqa: F401,F403
from .preprocessing import *  # noqa: F401,F403
from .core.wrapper import Pipeline, Wrapper, deserialize, serialize  # noqa: F401
from .core.reversible_embedding import ReversibleEmbedding  # noqa: F401
from .core.jax_layer import FlaxLayer, JaxLayer  # noqa: F401,E402

# Every public Layer subclass here is a built-in layer of the name registry below this package
# (kxla.serialization): configs and files name them, and Wrapper / TimeDistributed rebuild inner layers with it.
from ..serialization import builtins as _builtins  # noqa: E402
from ..serialization.serialization_lib import LAYER_BASE_ARGS as _LAYER_BASE_ARGS  # noqa: E402
_builtins.register_namespace(globals(), Layer)
_builtins.register_base("layer", Layer, config_args=_LAYER_BASE_ARGS, final=True)
