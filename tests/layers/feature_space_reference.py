"""Writes Keras 3's FeatureSpace results for tests/layers/test_preprocessing_feature_space.py (not a test).

Keras's FeatureSpace needs TensorFlow (its lookups, hashes and tf.data), which
the test environment does not have, so its results are recorded once with
Keras 3.15.1 on the JAX backend plus tensorflow-cpu, in a separate env::

    KERAS_BACKEND=jax /path/to/env-with-tensorflow/bin/python tests/layers/feature_space_reference.py

It writes ``feature_space_keras.json`` (the data, adapted vocabularies /
statistics / boundaries, outputs) and ``feature_space_keras.keras`` (a
FeatureSpace saved by Keras) next to this file. The cases are defined in
``feature_space_cases.py``, shared with the test.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
from keras.utils import FeatureSpace  # noqa: E402

import feature_space_cases as cases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _plain(x):
    x = np.asarray(x)
    return x.tolist() if x.dtype.kind not in "USO" else [str(v) for v in x.reshape(-1)]


def _state(fs):
    out = {}
    for name, layer in fs.preprocessors.items():
        if isinstance(layer, (keras.layers.StringLookup, keras.layers.IntegerLookup, keras.layers.TextVectorization)):
            out[name] = {"vocabulary": [str(v) if isinstance(v, str) else int(v) for v in layer.get_vocabulary()]}
        elif isinstance(layer, keras.layers.Normalization):
            out[name] = {"mean": _plain(layer.mean), "variance": _plain(layer.variance)}
        elif isinstance(layer, keras.layers.Discretization):
            out[name] = {"bin_boundaries": [float(b) for b in layer.bin_boundaries]}
    return out


def run_case(name):
    spec = cases.CASES[name]
    data = cases.make_data(spec["seed"], spec["n"], spec["columns"])
    fs = cases.build(FeatureSpace, spec, keras.layers)
    import tensorflow as tf
    fs.adapt(cases.adapt_argument(data, spec["adapt"], tf=tf))
    batch = {k: v[:spec["call_rows"]] for k, v in data.items()}
    out = fs(batch)
    single = fs({k: v[0] for k, v in data.items()})
    if isinstance(out, dict):
        outputs = {k: _plain(v) for k, v in out.items()}
        single = {k: _plain(v) for k, v in single.items()}
        keys = list(out)
    else:
        outputs, single, keys = _plain(out), _plain(single), None
    result = {"state": _state(fs), "outputs": outputs, "single": single, "output_keys": keys,
              "config": keras.saving.serialize_keras_object(fs)}
    if name == "numeric":                       # Keras's model from the raw inputs (un-jitted on JAX)
        model = keras.Model(fs.get_inputs(), fs.get_encoded_features())
        result["model_outputs"] = _plain(model.predict({k: v[:, None] for k, v in batch.items()}, batch_size=4))
    return fs, result


def main():
    result = {}
    for name in cases.CASES:
        fs, result[name] = run_case(name)
        if name == "concat":
            fs.save(os.path.join(HERE, "feature_space_keras.keras"))
    with open(os.path.join(HERE, "feature_space_keras.json"), "w") as f:
        json.dump(result, f, indent=None, separators=(",", ":"), default=lambda o: list(o))
    print("wrote", sorted(result))


if __name__ == "__main__":
    main()
