"""FeatureSpace's helpers: adapt data split into per-feature batches, output specs, host arrays, config entries.

``adapt`` batches each feature as Keras's FeatureSpace does on a tf.data
dataset: a dict of arrays is sliced into rows (``from_tensor_slices``);
scalar rows are grouped 32 at a time; rank-1 rows (and rank-1 batches) get a
trailing axis, so every preprocessor adapts on ``(batch, 1)`` batches.
"""
from __future__ import annotations

import numpy as np

from ...ir import TensorType
from ...ops.tracing import KerasTensor

_MODULE = "keras.src.layers.preprocessing.feature_space"
_ADAPT_BATCH = 32          # Keras batches a dataset of scalar rows by 32 before adapting


class RawInput(KerasTensor):
    """A raw feature input of a FeatureSpace (``get_inputs()``): its name, ``shape=(None, 1)`` and dtype.

    Not a graph input (the FeatureSpace runs on the host): ``Model(inputs=...)`` refuses it with a message
    saying to build the model on ``get_encoded_features()``.
    """

    def __init__(self, name, dtype):
        graph_dtype = dtype if dtype in ("float32", "int32", "int64", "float64") else "float32"
        super().__init__(TensorType((None, 1), graph_dtype), name=name)
        self._raw_dtype = dtype
        self._input_layer = None

    @property
    def dtype(self):
        return self._raw_dtype

    def __repr__(self):
        return (f"<FeatureSpace raw input {self.name!r} shape=(None, 1) dtype={self.dtype}: not a graph input; "
                "kxla runs the FeatureSpace on the host, so build the Model on "
                "feature_space.get_encoded_features() and call it on feature_space(raw_data)>")


# -- adapt data -------------------------------------------------------------------------------
def dataset_elements(dataset):
    """``("slices", {name: array})`` for a dict of arrays, else ``("batches", [dict, ...])``."""
    if isinstance(dataset, dict):
        arrays = {k: np.asarray(v) for k, v in dataset.items()}
        lengths = {k: (a.shape[0] if a.ndim else None) for k, a in arrays.items()}
        if None in lengths.values() or len(set(lengths.values())) > 1:
            raise ValueError(f"adapt() on a dict needs arrays with the same first dimension (one row per "
                             f"sample). Received lengths {lengths}")
        return "slices", arrays
    if _is_py_dataset(dataset):
        elements = [dataset[i] for i in range(dataset.num_batches)]
    elif hasattr(dataset, "__iter__") and not isinstance(dataset, (str, bytes, np.ndarray)):
        elements = list(dataset)
    else:
        raise TypeError("FeatureSpace.adapt() takes a dict of arrays or lists, a kxla.utils.PyDataset or an "
                        f"iterable of dicts of feature batches. Received: {type(dataset).__name__}")
    for element in elements:
        if not isinstance(element, dict):
            raise TypeError("FeatureSpace.adapt() needs dicts of feature values (no labels); the dataset "
                            f"yielded a {type(element).__name__}. Drop the labels first (Keras: "
                            "`ds.map(lambda x, y: x)`).")
    return "batches", elements


def _is_py_dataset(obj):
    """A ``kxla.utils.PyDataset`` (kxla.utils sits above layers: recognised by class, not imported)."""
    return any(c.__name__ == "PyDataset" and c.__module__.startswith("kxla.utils") for c in type(obj).__mro__)


def _with_axis(x):
    return x[:, None] if x.ndim == 1 else x


def feature_batches(elements, name):
    """A generator of the ``(batch, ...)`` arrays feature ``name`` is adapted on."""
    kind, data = elements
    if kind == "slices":
        rows = data[name]
        if rows.ndim == 1:
            return (rows[i:i + _ADAPT_BATCH, None] for i in range(0, len(rows), _ADAPT_BATCH))
        return (_with_axis(row) for row in rows)
    values = [np.asarray(e[name]) for e in data]
    if values and values[0].ndim == 0:
        return (np.stack(values[i:i + _ADAPT_BATCH])[:, None] for i in range(0, len(values), _ADAPT_BATCH))
    return (_with_axis(v) for v in values)


# -- calling ----------------------------------------------------------------------------------
def host(x):
    """A layer's output as a numpy array."""
    return np.asarray(x)


def preprocess(layer, x):
    """``layer(x)`` as a numpy array. Normalization, Rescaling, Discretization ("int") and the identity are
    computed here in numpy with the layers' own float32 formulas (no per-batch-size XLA compile on the host);
    other layers are called."""
    from .. import Discretization, Normalization, Rescaling
    from .feature_space import TFDIdentity
    kind = type(layer)
    if kind is TFDIdentity:
        return x
    if kind is Normalization and not layer.invert and layer.axis == (-1,) and x.ndim == 2 and x.shape[-1] == 1:
        if layer.input_mean is not None:
            mean = np.asarray(layer.input_mean, "float32").reshape(-1)
            var = np.asarray(layer.input_variance, "float32").reshape(-1)
        elif layer.built:
            mean, var = np.asarray(layer.adapt_mean), np.asarray(layer.adapt_variance)
        else:
            return host(layer(x))
        std = np.maximum(np.sqrt(var.astype("float32")), np.float32(1e-7))
        return (x.astype("float32") - mean.astype("float32")) / std
    if kind is Rescaling and np.ndim(layer.scale) == 0 and np.ndim(layer.offset) == 0:
        return x.astype("float32") * np.float32(layer.scale) + np.float32(layer.offset)
    if kind is Discretization and layer.output_mode == "int" and layer.bin_boundaries is not None:
        bounds = np.asarray(layer.bin_boundaries, "float32")
        return (x.astype("float32")[..., None] >= bounds).sum(axis=-1).astype("int32")
    return host(layer(x))


def multi_hot(ids, depth):
    """What the one-hot encoders (``CategoryEncoding(depth, "multi_hot")``) give on ``(batch, k)`` ids, in numpy:
    a 1 at each id of the row, ids outside ``[0, depth)`` ignored (``one_hot``'s rule)."""
    ids = np.asarray(ids).astype(np.int64)
    rows = ids if ids.ndim > 1 else ids[None]
    out = (rows[..., None] == np.arange(depth)).any(axis=-2).astype("float32")
    return out if ids.ndim > 1 else out[0]


def _to_backend(x):
    import jax.numpy as jnp
    return x if x.dtype.kind in "USO" else jnp.asarray(x)


def finish(merged, rebatched, output_mode):
    """Undo the batch axis added to a single sample and return backend (jax) arrays, as Keras."""
    if rebatched:
        if output_mode == "concat":
            if merged.shape[0] != 1:
                raise ValueError(f"Expected rebatched data to have batch size 1. Received: shape={merged.shape}")
            merged = merged[0]
        else:
            merged = {k: (v[0] if v.ndim == 2 and v.shape[0] == 1 else v) for k, v in merged.items()}
    if output_mode == "concat":
        return _to_backend(merged)
    return {k: _to_backend(v) for k, v in merged.items()}


# -- encoded output specs -------------------------------------------------------------------------
def _lookup_depth(layer):
    return layer.max_tokens if layer.pad_to_max_tokens and layer.max_tokens else layer.vocabulary_size()


def output_spec(layer, spec, name):
    """``(dtype, width)`` that ``layer`` outputs on a ``(batch, 1)`` input of feature ``name``."""
    from .. import Discretization
    from .encoding import CategoryEncoding
    from .hashing import HashedCrossing, Hashing
    from .lookup import HostLayer, IndexLookup
    from .text_vectorization import TextVectorization
    mode = getattr(layer, "output_mode", None)
    if isinstance(layer, (Hashing, HashedCrossing)):
        return ("int64", 1) if mode == "int" else ("float32", layer.num_bins)
    if isinstance(layer, IndexLookup):
        return ("int64", 1) if mode == "int" else ("float32", _lookup_depth(layer))
    if isinstance(layer, Discretization):
        depth = len(layer.bin_boundaries) + 1 if layer.bin_boundaries is not None else layer.num_bins
        return ("int64", 1) if mode == "int" else ("float32", depth)
    if isinstance(layer, CategoryEncoding):
        return "float32", layer.num_tokens
    if isinstance(layer, TextVectorization):
        if layer._output_mode != "int":
            return "float32", _lookup_depth(layer._lookup_layer)
        if layer._output_sequence_length is None:
            raise ValueError(f"Feature '{name}': a TextVectorization with output_mode='int' needs "
                             "`output_sequence_length` in a FeatureSpace (its width must be known)")
        return "int64", layer._output_sequence_length
    if isinstance(layer, HostLayer) or spec.dtype == "string":
        raise ValueError(f"Feature '{name}': kxla cannot tell the output width of its {type(layer).__name__} "
                         "preprocessor without running it (a host layer on string data)")
    from ..core.input_layer import Input
    out = layer(Input(shape=(1,), dtype=spec.dtype))
    return str(out.dtype), int(out.shape[-1])


def cardinality(layer, name):
    """The one-hot depth of ``layer``'s integer output (Keras's rule per preprocessor type)."""
    from .. import Discretization
    from .encoding import CategoryEncoding
    from .hashing import HashedCrossing, Hashing
    from .lookup import IntegerLookup, StringLookup
    if isinstance(layer, (IntegerLookup, StringLookup)):
        return layer.vocabulary_size()
    if isinstance(layer, CategoryEncoding):
        return layer.num_tokens
    if isinstance(layer, (Discretization, Hashing, HashedCrossing)):
        return layer.num_bins
    raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature and the "
                     "dimensionality of its output space is not known, thus it cannot be one-hot encoded. Try "
                     "using `output_mode='int'`.")


# -- configs --------------------------------------------------------------------------------------
def serialize_entry(obj, class_name):
    return {"module": _MODULE, "class_name": class_name, "config": obj.get_config(), "registered_name": class_name}


def deserialize_entry(entry, classes):
    cls = classes.get(entry.get("class_name"))
    if cls is None:
        raise ValueError(f"Expected a {' or '.join(classes)} entry, received class_name="
                         f"{entry.get('class_name')!r}")
    return cls.from_config(dict(entry["config"]))


def serialize_preprocessor(layer):
    from ..core.wrapper import serialize
    from .feature_space import TFDIdentity
    if isinstance(layer, TFDIdentity):
        config = {"name": layer.name, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                                "config": {"name": layer.dtype}, "registered_name": None},
                  "trainable": layer.trainable}
        return {"module": _MODULE, "class_name": "TFDIdentity", "config": config, "registered_name": "TFDIdentity"}
    return serialize(layer)


def deserialize_preprocessor(entry):
    from ..core.wrapper import deserialize
    from .feature_space import TFDIdentity
    if entry.get("class_name") == "TFDIdentity":
        config = dict(entry["config"])
        dtype = config.get("dtype")
        if isinstance(dtype, dict):
            config["dtype"] = dtype.get("config", {}).get("name", "float32")
        return TFDIdentity(**{k: v for k, v in config.items() if k in ("name", "dtype", "trainable")})
    return deserialize(entry)


def build_config(layer):
    """Keras's ``get_build_config()`` of a preprocessor: its input shape once built, ``{}`` for host layers."""
    from .lookup import HostLayer
    if isinstance(layer, HostLayer):
        return {}
    if not layer.built:
        return None
    shape = getattr(layer, "_build_input_shape", None) or (None, 1)
    return {"input_shape": list(shape)}
