"""FeatureSpace (``keras.utils.FeatureSpace``): one object that indexes, preprocesses and encodes tabular features.

Keras runs a FeatureSpace in tf.data (its lookups and hashes are TensorFlow
ops). kxla runs it on the host, before the graph, as its other lookup and
hashing layers: ``adapt`` learns each feature's vocabulary / statistics /
bin boundaries, ``feature_space(dict_of_arrays)`` returns the encoded batch
(the same values, order and widths as Keras: features sorted by name, then
crosses sorted by name; ``one_hot`` features as ``CategoryEncoding``
multi-hot vectors). ``get_encoded_features()`` gives tensors that are model
inputs (``Model(inputs=fs.get_encoded_features(), ...)`` is fed
``fs(raw_batch)``); with numeric features only they are also computed from
``get_inputs()`` by one host-callback node (``feature_space_graph``), so a
model can start from the raw inputs too, as on Keras's JAX backend.
"""
from __future__ import annotations

import numpy as np

from ..layer import Layer, unique_name
from . import feature_space_data as data_lib
from . import feature_space_graph as graph_lib


class Cross:
    """A feature cross: the features it hashes together, the hashing space size and its output mode."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in {"int", "one_hot"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot'}. "
                             f"Received: output_mode={output_mode}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """A feature: its input dtype, its preprocessing layer and its output mode (int / one_hot / float)."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in {"int", "one_hot", "float"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'int', 'one_hot', "
                             f"'float'}}. Received: output_mode={output_mode}")
        self.dtype = dtype
        if isinstance(preprocessor, dict):
            preprocessor = data_lib.deserialize_preprocessor(preprocessor)
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": data_lib.serialize_preprocessor(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class TFDIdentity(Layer):
    """The preprocessor of ``FeatureSpace.float`` features: the values unchanged (Keras's ``TFDIdentity``)."""

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _layers():
    from .. import Discretization, Normalization, Rescaling
    from .hashing import Hashing
    from .lookup import IntegerLookup, StringLookup
    return Discretization, Normalization, Rescaling, Hashing, IntegerLookup, StringLookup


class FeatureSpace(Layer):
    """Preprocess and encode structured data in one object (``keras.utils.FeatureSpace``).

    ``features`` maps names to a type name (``"float"``, ``"float_rescaled"``, ``"float_normalized"``,
    ``"float_discretized"``, ``"integer_categorical"``, ``"string_categorical"``, ``"integer_hashed"``,
    ``"string_hashed"``) or a ``FeatureSpace.<type>(...)`` / ``FeatureSpace.feature(...)`` object;
    ``crosses`` lists tuples of feature names or ``FeatureSpace.cross(...)`` objects; ``output_mode``
    is ``"concat"`` (one float vector per sample) or ``"dict"``.

    ``adapt(data)`` takes a dict of arrays or lists (one row per sample, as Keras's dict argument),
    a ``kxla.utils.PyDataset`` or any iterable yielding dicts of feature batches (no labels);
    anything else raises TypeError. Call it on a dict of arrays (batched, or one sample of scalars).
    """

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or unique_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or unique_name("float_rescaled")
        layer = _layers()[2](scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or unique_name("float_normalized")
        return Feature("float32", _layers()[1](axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or unique_name("float_discretized")
        layer = _layers()[0](num_bins=num_bins, bin_boundaries=bin_boundaries, name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or unique_name("integer_categorical")
        layer = _layers()[4](name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or unique_name("string_categorical")
        layer = _layers()[5](name=f"{name}_preprocessor", max_tokens=max_tokens, num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("string_hashed")
        return Feature("string", _layers()[3](name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("integer_hashed")
        return Feature("int32", _layers()[3](name=f"{name}_preprocessor", num_bins=num_bins), output_mode)

    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        self.crossing_dim, self.hashing_dim = crossing_dim, hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross, set(features)) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        if output_mode not in {"dict", "concat"}:
            raise ValueError("Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                             f"Received: output_mode={output_mode}")
        self.output_mode = output_mode
        self.inputs = graph_lib.raw_inputs(self.features)
        self.preprocessors = {key: value.preprocessor for key, value in self.features.items()}
        from .hashing import HashedCrossing
        self.crossers = {c.name: HashedCrossing(c.crossing_dim, name=c.name) for c in self.crosses}
        self.encoded_features = None
        self.one_hot_encoders = {}
        self._encoded_specs = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_cross(self, cross, feature_set):
        if isinstance(cross, dict):
            cross = data_lib.deserialize_entry(cross, {"Cross": Cross})
        if isinstance(cross, Cross):
            return cross
        if not self.crossing_dim:
            raise ValueError("When specifying `crosses`, the argument `crossing_dim` (dimensionality of the "
                             "crossing space) should be specified as well.")
        if any(key not in feature_set for key in cross):
            raise ValueError("All features referenced in the `crosses` argument should be present in the "
                             f"`features` dict. Received unknown features: {cross}")
        return Cross(cross, crossing_dim=self.crossing_dim)

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return data_lib.deserialize_entry(feature, {"Feature": Feature})
        makers = {"float": lambda: self.float(name=name), "float_normalized": lambda: self.float_normalized(name=name),
                  "float_rescaled": lambda: self.float_rescaled(name=name),
                  "float_discretized": lambda: self.float_discretized(self.num_discretization_bins, name=name),
                  "integer_categorical": lambda: self.integer_categorical(name=name),
                  "string_categorical": lambda: self.string_categorical(name=name),
                  "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
                  "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name)}
        if not isinstance(feature, str) or feature not in makers:
            raise ValueError(f"Invalid feature type: {feature}")
        return makers[feature]()

    # -- adapting -----------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self):
        from .text_vectorization import TextVectorization
        normalization = _layers()[1]
        out = []
        for name in self.features:
            layer = self.preprocessors[name]
            if isinstance(layer, normalization) and layer.input_mean is not None:
                continue
            if isinstance(layer, TextVectorization) and layer._lookup_layer.input_vocabulary is not None:
                continue
            if hasattr(layer, "adapt"):
                out.append(name)
        return out

    def adapt(self, dataset):
        """Adapt every adaptable preprocessor on its feature of ``dataset`` (see the class docstring)."""
        elements = data_lib.dataset_elements(dataset)
        for name in self._list_adaptable_preprocessors():
            self.preprocessors[name].adapt(data_lib.feature_batches(elements, name))
        self._is_adapted = True
        self.get_encoded_features()
        self.built = True
        self._sublayers_built = True

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
                                 "using it.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # -- symbolic ends --------------------------------------------------------------------------
    def get_inputs(self):
        """The raw inputs ``{name: tensor}`` (shape ``(None, 1)``, the feature's dtype).

        ``kxla.Input`` tensors when every feature is numeric (a Model can start from them); with a string
        feature, ``RawInput`` descriptions that a Model refuses (build it on ``get_encoded_features()``).
        """
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded data as model inputs: ``(None, width)`` float32, or a dict of them (see the module)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = graph_lib.encoded_features(self, self._build_encoded_specs())
        return self.encoded_features

    def _build_encoded_specs(self):
        """``{name: (dtype, width)}`` of the encoded outputs in output order; creates the one-hot encoders."""
        from .encoding import CategoryEncoding
        specs = {}
        for name, spec in self._all_specs():
            layer = self.preprocessors.get(name) or self.crossers.get(name)
            dtype, dim = data_lib.output_spec(layer, spec, name)
            if spec.output_mode == "one_hot":
                if not dtype.startswith("int"):
                    raise ValueError(f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor should "
                                     f"return an integer dtype. Instead it returns a {dtype} dtype.")
                cardinality = data_lib.cardinality(layer, name)
                if cardinality is not None:
                    self.one_hot_encoders[name] = CategoryEncoding(num_tokens=cardinality, output_mode="multi_hot")
                    dtype, dim = "float32", cardinality
            if self.output_mode == "concat" and (dtype.startswith("int") or dtype == "string"):
                raise ValueError(f"Cannot concatenate features because feature '{name}' has not been encoded (it "
                                 f"has dtype {dtype}). Consider using `output_mode='dict'`.")
            specs[name] = (dtype, dim)
        self._encoded_specs = specs
        return specs

    def _all_specs(self):
        return [(n, self.features[n]) for n in sorted(self.features)] + \
               [(n, self.crosses_by_name[n]) for n in sorted(self.crosses_by_name)]

    # -- calling on data ------------------------------------------------------------------------
    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict. Received: data={data} (of type "
                             f"{type(data)}")
        unknown = sorted(set(data) - set(self.features))
        missing = sorted(set(self.features) - set(data))
        if unknown or missing:
            raise KeyError(f"FeatureSpace {self.name!r} was called with features {sorted(data)}; expected exactly "
                           f"{sorted(self.features)} (unknown: {unknown}, missing: {missing})")
        arrays, rebatched = {}, False
        for name, value in data.items():
            x = np.asarray(value)
            if x.ndim == 0:
                x, rebatched = x.reshape(1, 1), True
            elif x.ndim == 1:
                x = x[:, None]
            arrays[name] = x
        pre = {name: data_lib.preprocess(self.preprocessors[name], arrays[name]) for name in self.features}
        crossed = {c.name: data_lib.host(self.crossers[c.name]([pre[k] for k in c.feature_names]))
                   for c in self.crosses}
        return data_lib.finish(self._merge(pre, crossed), rebatched, self.output_mode)

    def _merge(self, pre, crossed):
        merged = {}
        for name, _ in self._all_specs():
            value = pre[name] if name in pre else crossed[name]
            encoder = self.one_hot_encoders.get(name)
            spec = self.features.get(name) or self.crosses_by_name[name]
            if encoder is not None:
                value = data_lib.multi_hot(value, encoder.num_tokens)
            elif spec.output_mode == "float" and value.dtype.kind in "fiub":
                value = value.astype("float32")
            merged[name] = value
        if self.output_mode == "dict":
            return merged
        return np.concatenate(list(merged.values()), axis=-1)

    # -- configuration and saving ---------------------------------------------------------------
    def get_config(self):
        return {"features": {k: data_lib.serialize_entry(v, "Feature") for k, v in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [data_lib.serialize_entry(c, "Cross") for c in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {name: data_lib.build_config(f.preprocessor) for name, f in self.features.items()}

    def build_from_config(self, config):
        for name, build in config.items():
            layer = self.features[name].preprocessor
            if build and not layer.built and build.get("input_shape") is not None:
                layer.build(tuple(build["input_shape"]))
        self._is_adapted = True

    def save(self, filepath):
        """Save to a Keras ``.keras`` archive (Keras's layout); ``kxla.models.load_model`` reloads it."""
        from .feature_space_io import save_feature_space
        save_feature_space(self, filepath)
