"""The keras.io example "Structured data classification with FeatureSpace", step by step.

Our own code following the example's steps with the same API calls, on small synthetic heart-disease-like
data in place of the CSV download (13 features: integer and string categoricals, numbers to discretize or
normalize; a target that depends on them). Batches are lists of ``(dict, label)`` in place of tf.data.
One step differs: the end-to-end "inference model" from the raw inputs (which has a string feature, so
Keras's JAX backend cannot run it either) is refused by kxla with a message naming the way that works
(``model.predict(feature_space(raw))``), and the test does inference that way.
"""
import numpy as np
import pytest

import kxla as keras
from kxla.utils import FeatureSpace

RNG = np.random.default_rng(7)
N = 200


def _dataframe():
    cols = {"age": RNG.integers(29, 78, N), "sex": RNG.integers(0, 2, N), "cp": RNG.integers(0, 5, N),
            "trestbps": RNG.integers(94, 200, N), "chol": RNG.integers(126, 564, N), "fbs": RNG.integers(0, 2, N),
            "restecg": RNG.integers(0, 3, N), "thalach": RNG.integers(71, 202, N), "exang": RNG.integers(0, 2, N),
            "oldpeak": np.round(RNG.uniform(0, 6.2, N), 1), "slope": RNG.integers(1, 4, N),
            "ca": RNG.integers(0, 4, N), "thal": np.array(["normal", "fixed", "reversible"])[RNG.integers(0, 3, N)]}
    risk = (cols["age"] - 50) / 10 + cols["exang"] + (cols["thal"] == "reversible") + cols["oldpeak"] / 3 - 1.0
    cols["target"] = (risk + RNG.normal(0, 0.5, N) > 0).astype("int64")
    return cols


def _to_batches(frame, rows, batch_size=32):
    """``dataframe_to_dataset(...)`` then ``.batch(32)``: shuffled ``(features, target)`` batches."""
    rows = RNG.permutation(rows)
    features = {k: v for k, v in frame.items() if k != "target"}
    return [({k: v[rows[i:i + batch_size]] for k, v in features.items()}, frame["target"][rows[i:i + batch_size]])
            for i in range(0, len(rows), batch_size)]


def test_structured_data_classification_with_feature_space():
    frame = _dataframe()
    val_rows = RNG.choice(N, size=N // 5, replace=False)             # dataframe.sample(frac=0.2)
    train_rows = np.setdiff1d(np.arange(N), val_rows)
    train_ds, val_ds = _to_batches(frame, train_rows), _to_batches(frame, val_rows)
    x, y = train_ds[0]
    assert set(x) == set(frame) - {"target"} and y.shape == (32,)

    # Configuring a FeatureSpace by type names.
    plain = FeatureSpace(
        features={"sex": "integer_categorical", "cp": "integer_categorical", "fbs": "integer_categorical",
                  "restecg": "integer_categorical", "exang": "integer_categorical", "ca": "integer_categorical",
                  "thal": "string_categorical", "age": "float_discretized", "trestbps": "float_normalized",
                  "chol": "float_normalized", "thalach": "float_normalized", "oldpeak": "float_normalized",
                  "slope": "float_normalized"},
        crosses=[("sex", "age"), ("thal", "ca")], crossing_dim=32, output_mode="concat")
    plain.adapt([x for x, _ in train_ds])
    # one-hot widths with one OOV slot each: sex 3, cp 6, fbs 3, restecg 4, exang 3, ca 5, thal 4, age 32 bins,
    # 5 normalized, two crosses of 32
    assert plain(x).shape == (32, 3 + 6 + 3 + 4 + 3 + 5 + 4 + 32 + 5 + 64)

    # Further customizing: no OOV index, 30 bins for age, crosses with their own dims.
    feature_space = FeatureSpace(
        features={"sex": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
                  "thal": FeatureSpace.string_categorical(num_oov_indices=0),
                  "age": FeatureSpace.float_discretized(num_bins=30),
                  "trestbps": FeatureSpace.float_normalized(), "chol": FeatureSpace.float_normalized(),
                  "thalach": FeatureSpace.float_normalized(), "oldpeak": FeatureSpace.float_normalized(),
                  "slope": FeatureSpace.float_normalized()},
        crosses=[FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
                 FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16)],
        output_mode="concat")

    # Adapt on the training data without labels.
    train_ds_with_no_labels = [x for x, _ in train_ds]
    feature_space.adapt(train_ds_with_no_labels)
    width = 2 + 5 + 2 + 3 + 2 + 4 + 3 + 30 + 5 + 64 + 16
    preprocessed_x = feature_space(x)
    assert preprocessed_x.shape == (32, width) and preprocessed_x.dtype == "float32"

    # Preprocessing in the data pipeline.
    preprocessed_train_ds = [(feature_space(x), y) for x, y in train_ds]
    preprocessed_val_ds = [(feature_space(x), y) for x, y in val_ds]

    # Build a model: the training model on the encoded features.
    dict_inputs = feature_space.get_inputs()
    encoded_features = feature_space.get_encoded_features()
    h = keras.layers.Dense(32, activation="relu")(encoded_features)
    h = keras.layers.Dropout(0.5)(h)
    predictions = keras.layers.Dense(1, activation="sigmoid")(h)
    training_model = keras.Model(inputs=encoded_features, outputs=predictions)
    training_model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    with pytest.raises(ValueError, match="get_encoded_features"):
        keras.Model(inputs=dict_inputs, outputs=predictions)           # the raw-input inference model

    # Train on the preprocessed batches.
    x_train = np.concatenate([np.asarray(x) for x, _ in preprocessed_train_ds])
    y_train = np.concatenate([y for _, y in preprocessed_train_ds])
    x_val = np.concatenate([np.asarray(x) for x, _ in preprocessed_val_ds])
    y_val = np.concatenate([y for _, y in preprocessed_val_ds])
    history = training_model.fit(x_train, y_train, batch_size=32, epochs=20, validation_data=(x_val, y_val),
                                 verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.7

    # Inference on new data: one sample of raw values.
    sample = {"age": 60, "sex": 1, "cp": 1, "trestbps": 145, "chol": 233, "fbs": 1, "restecg": 2, "thalach": 150,
              "exang": 0, "oldpeak": 2.3, "slope": 3, "ca": 0, "thal": "fixed"}
    input_dict = {name: np.asarray([value]) for name, value in sample.items()}
    probability = training_model.predict(feature_space(input_dict), verbose=0)
    assert probability.shape == (1, 1) and 0.0 <= float(probability[0, 0]) <= 1.0
    single = feature_space(sample)                                      # a dict of scalars: one unbatched vector
    assert single.shape == (width,)
    np.testing.assert_allclose(training_model.predict(np.asarray(single)[None], verbose=0), probability, rtol=1e-6)
