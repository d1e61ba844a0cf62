"""FeatureSpace cases shared by the Keras reference writer and kxla's test (same data, same construction)."""
import numpy as np

_HEART = {"sex": ("int", 0, 2), "cp": ("int", 0, 5), "fbs": ("int", 0, 2), "restecg": ("int", 0, 3),
          "exang": ("int", 0, 2), "ca": ("int", 0, 4), "thal": ("choice", ["normal", "fixed", "reversible"]),
          "age": ("int", 29, 78), "trestbps": ("int", 94, 200), "chol": ("int", 126, 564),
          "thalach": ("int", 71, 202), "oldpeak": ("uniform", 0.0, 6.2), "slope": ("int", 1, 4)}

CASES = {
    "concat": {"seed": 0, "n": 70, "call_rows": 6, "adapt": "dict", "output_mode": "concat",
               "columns": {"f": ("normal",), "s": ("choice", ["a", "b", "c", "d", "e"]), "i": ("int", 0, 7),
                           "d": ("uniform", 0.0, 10.0), "r": ("int", 0, 100),
                           "h": ("choice", ["red", "green", "blue", "cyan"]), "k": ("int", 0, 1000),
                           "p": ("normal",)}},
    "dict": {"seed": 1, "n": 48, "call_rows": 5, "adapt": "batches16", "output_mode": "dict",
             "columns": {"s": ("choice", ["x", "y", "z"]), "i": ("int", 0, 4), "f": ("normal",),
                         "d": ("uniform", -1.0, 1.0)}},
    "heart": {"seed": 2, "n": 120, "call_rows": 8, "adapt": "batches32", "output_mode": "concat",
              "columns": _HEART},
    "custom": {"seed": 3, "n": 24, "call_rows": 4, "adapt": "dict", "output_mode": "dict",
               "columns": {"text": ("phrase",), "x": ("normal",), "r": ("int", 0, 10)}},
    "numeric": {"seed": 4, "n": 30, "call_rows": 9, "adapt": "dict", "output_mode": "concat",
                "columns": {"float_1": ("normal",), "float_2": ("normal",), "float_3": ("uniform", 0.0, 1.0),
                            "int_1": ("int", 0, 9), "int_2": ("int", 0, 50), "int_3": ("int", 0, 6)}},
}

_WORDS = ["red", "green", "blue", "cat", "dog", "the", "a", "runs", "sleeps"]


def make_data(seed, n, columns):
    rng = np.random.default_rng(seed)
    out = {}
    for name, kind in columns.items():
        if kind[0] == "normal":
            out[name] = rng.normal(size=n).astype("float32")
        elif kind[0] == "choice":
            out[name] = np.asarray(kind[1])[rng.integers(0, len(kind[1]), size=n)]
        elif kind[0] == "phrase":
            out[name] = np.asarray([" ".join(np.asarray(_WORDS)[rng.integers(0, len(_WORDS), 3)]) for _ in range(n)])
        elif kind[0] == "int":
            out[name] = rng.integers(kind[1], kind[2], size=n).astype("int64")
        else:
            out[name] = rng.uniform(kind[1], kind[2], size=n).astype("float32")
    return out


def build(FS, spec, layers=None):
    """The case's FeatureSpace, built with ``FS`` (keras.utils.FeatureSpace or kxla's) and its ``layers``."""
    if spec is CASES["custom"]:
        text = FS.feature(preprocessor=layers.TextVectorization(output_mode="tf_idf"), dtype="string",
                          output_mode="float")
        return FS({"text": text, "x": "float", "r": FS.float_rescaled(scale=2.0, offset=1.0)}, output_mode="dict")
    if spec is CASES["numeric"]:                    # every feature numeric: a model can start from the raw inputs
        features = {"float_1": FS.float(), "float_2": FS.float_normalized(), "float_3": FS.float_discretized(num_bins=3),
                    "int_1": FS.integer_categorical(max_tokens=5, num_oov_indices=2),
                    "int_2": FS.integer_hashed(num_bins=32), "int_3": FS.integer_categorical(max_tokens=5)}
        crosses = [FS.cross(("float_3", "int_1"), crossing_dim=32), FS.cross(("int_1", "int_2"), crossing_dim=32)]
        return FS(features, crosses=crosses, output_mode="concat")
    if spec is CASES["concat"]:
        features = {"f": "float_normalized", "s": "string_categorical", "i": FS.integer_categorical(max_tokens=5),
                    "d": FS.float_discretized(num_bins=4), "r": FS.float_rescaled(scale=0.01, offset=-0.5),
                    "h": "string_hashed", "k": FS.integer_hashed(num_bins=8), "p": "float"}
        crosses = [("s", "i"), FS.cross(("i", "d"), crossing_dim=4)]
        return FS(features, output_mode="concat", crosses=crosses, crossing_dim=8, hashing_dim=16)
    if spec is CASES["dict"]:
        features = {"s": FS.string_categorical(output_mode="int"),
                    "i": FS.integer_categorical(num_oov_indices=0, output_mode="int"), "f": "float_normalized",
                    "d": FS.float_discretized(num_bins=3, output_mode="int")}
        crosses = [FS.cross(("s", "i"), crossing_dim=16, output_mode="int")]
        return FS(features, output_mode="dict", crosses=crosses)
    categorical = {k: FS.integer_categorical(num_oov_indices=0) for k in ("sex", "cp", "fbs", "restecg", "exang", "ca")}
    features = {**categorical, "thal": FS.string_categorical(num_oov_indices=0),
                "age": FS.float_discretized(num_bins=30),
                **{k: FS.float_normalized() for k in ("trestbps", "chol", "thalach", "oldpeak", "slope")}}
    crosses = [FS.cross(feature_names=("sex", "age"), crossing_dim=64),
               FS.cross(feature_names=("thal", "ca"), crossing_dim=16)]
    return FS(features=features, crosses=crosses, output_mode="concat")


def adapt_argument(data, mode, tf=None):
    """What the case adapts on: the dict itself, or batches of rows (a tf.data dataset for Keras)."""
    if mode == "dict":
        return data
    size = int(mode[len("batches"):])
    if tf is not None:
        return tf.data.Dataset.from_tensor_slices(data).batch(size)
    n = len(next(iter(data.values())))
    return [{k: v[i:i + size] for k, v in data.items()} for i in range(0, n, size)]
