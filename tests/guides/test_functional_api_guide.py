"""The Keras guide "The Functional API" (keras-io guides/functional_api.py), section by section.

Our own code following the guide's steps with the same API calls (small synthetic data in place of
MNIST/CIFAR downloads, small sizes), asserting what the guide says: shapes, dtypes, summaries,
round trips, shared weights, nested models, multi-input/-output training.
"""
import numpy as np
import pytest

import kxla as keras
from kxla import layers, ops

RNG = np.random.default_rng(0)


def _summary(model):
    lines = []
    model.summary(print_fn=lambda line, *a, **k: lines.append(line))
    return "\n".join(lines)


def _mnist_mlp():
    inputs = keras.Input(shape=(784,))
    assert tuple(inputs.shape) == (None, 784) and inputs.dtype == "float32"
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_introduction_training_and_saving(tmp_path):
    model = _mnist_mlp()
    assert "mnist_model" in _summary(model) and "Total params: 55,050" in _summary(model)
    x = RNG.random((256, 784)).astype("float32")
    y = (x[:, :10].argmax(axis=1)).astype("int64")
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=keras.optimizers.RMSprop(), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=2, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    test_scores = model.evaluate(x, y, verbose=0)
    assert len(test_scores) == 2 and 0.0 <= test_scores[1] <= 1.0
    path = str(tmp_path / "my_model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def _encoder(name):
    encoder_input = keras.Input(shape=(28, 28, 1), name=name)
    x = layers.Conv2D(4, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(8, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    return encoder_input, layers.GlobalMaxPooling2D()(x)


def _decode(x):
    x = layers.Reshape((4, 4, 1))(x)
    x = layers.Conv2DTranspose(4, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(8, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(4, 3, activation="relu")(x)
    return layers.Conv2DTranspose(1, 3, activation="relu")(x)


def test_one_graph_of_layers_defines_several_models():
    encoder_input, encoder_output = _encoder("img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    autoencoder = keras.Model(encoder_input, _decode(encoder_output), name="autoencoder")
    assert tuple(autoencoder.output_shape) == (None, 28, 28, 1)      # symmetrical: output shape = input shape
    x = RNG.random((2, 28, 28, 1)).astype("float32")
    assert tuple(encoder.predict(x, verbose=0).shape) == (2, 16)
    assert set(id(w) for w in encoder.weights) <= set(id(w) for w in autoencoder.weights)


def test_models_are_callable_like_layers_and_nest():
    encoder_input, encoder_output = _encoder("original_img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    decoder = keras.Model(decoder_input, _decode(decoder_input), name="decoder")
    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    autoencoder = keras.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
    x = RNG.random((2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(autoencoder.predict(x, verbose=0), decoder.predict(encoder.predict(x, verbose=0),
                               verbose=0), rtol=1e-5, atol=1e-6)
    assert "encoder" in _summary(autoencoder) and "decoder" in _summary(autoencoder)


def test_ensembling():
    def get_model():
        inputs = keras.Input(shape=(128,))
        return keras.Model(inputs, layers.Dense(1)(inputs))

    members = [get_model() for _ in range(3)]
    inputs = keras.Input(shape=(128,))
    ensemble = keras.Model(inputs=inputs, outputs=layers.average([m(inputs) for m in members]))
    x = RNG.random((4, 128)).astype("float32")
    want = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)


def _ticket_model(num_tags=12, num_words=100, num_departments=4):
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(num_tags,), name="tags")
    title_features = layers.LSTM(8)(layers.Embedding(num_words, 6)(title_input))
    body_features = layers.LSTM(4)(layers.Embedding(num_words, 6)(body_input))
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(num_departments, name="department")(x)
    return keras.Model(inputs=[title_input, body_input, tags_input], outputs=[priority_pred, department_pred])


@pytest.mark.parametrize("by_name", [False, True])
def test_multiple_inputs_and_outputs(by_name):
    model = _ticket_model()
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    cce = keras.losses.CategoricalCrossentropy(from_logits=True)
    if by_name:
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss={"priority": bce, "department": cce},
                      loss_weights={"priority": 1.0, "department": 0.2})
    else:
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=[bce, cce], loss_weights=[1.0, 0.2])
    n = 64
    data = {"title": RNG.integers(100, size=(n, 10)), "body": RNG.integers(100, size=(n, 20)),
            "tags": RNG.integers(2, size=(n, 12)).astype("float32")}
    targets = {"priority": RNG.random(size=(n, 1)), "department": RNG.integers(2, size=(n, 4))}
    history = model.fit(data, targets, epochs=2, batch_size=32, verbose=0)
    assert len(history.history["loss"]) == 2
    # The total loss is the weighted sum of the two outputs' losses.
    total, priority, department = model.evaluate(data, targets, verbose=0)
    np.testing.assert_allclose(total, priority + 0.2 * department, rtol=1e-5)


def test_toy_resnet():
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(16, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    model = keras.Model(inputs, layers.Dense(10)(x), name="toy_resnet")
    x_train = RNG.integers(0, 256, (80, 32, 32, 3)).astype("float32") / 255.0
    y_train = keras.utils.to_categorical(RNG.integers(0, 10, (80, 1)), 10)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True), metrics=["acc"])
    history = model.fit(x_train, y_train, batch_size=16, epochs=1, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}


def test_shared_layers_share_weights():
    shared_embedding = layers.Embedding(1000, 8)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    model = keras.Model([text_input_a, text_input_b], [shared_embedding(text_input_a), shared_embedding(text_input_b)])
    assert len(model.weights) == 1
    ids = RNG.integers(0, 1000, (2, 5))
    a, b = model.predict([ids, ids], verbose=0)
    np.testing.assert_array_equal(a, b)


def test_extract_and_reuse_nodes():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    features_list = [layer.output for layer in base.layers]
    feat_extraction_model = keras.Model(inputs=base.input, outputs=features_list)
    img = RNG.random((1, 32, 32, 3)).astype("float32")
    extracted = feat_extraction_model(img)
    assert len(extracted) == len(base.layers)
    np.testing.assert_allclose(np.asarray(extracted[-1]), np.asarray(base(img)), rtol=1e-4, atol=1e-5)


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


def test_custom_layer_and_config_round_trip():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(10)(inputs))
    new_model = keras.Model.from_config(model.get_config(), custom_objects={"CustomDense": CustomDense})
    assert [tuple(w.shape) for w in new_model.weights] == [(4, 10), (10,)]
    x = RNG.random((3, 4)).astype("float32")
    new_model.set_weights(model.get_weights())
    np.testing.assert_allclose(new_model.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def _custom_rnn_class(units, classifier):
    class CustomRNN(layers.Layer):
        def __init__(self):
            super().__init__()
            self.units = units
            self.projection_1 = layers.Dense(units=units, activation="tanh")
            self.projection_2 = layers.Dense(units=units, activation="tanh")
            self.classifier = classifier()

        def call(self, inputs):
            outputs = []
            state = ops.zeros(shape=(inputs.shape[0], self.units))
            for t in range(inputs.shape[1]):
                x = inputs[:, t, :]
                h = self.projection_1(x)
                y = h + self.projection_2(state)
                state = y
                outputs.append(y)
            return self.classifier(ops.stack(outputs, axis=1))
    return CustomRNN


def test_mix_and_match_api_styles():
    units, timesteps, input_dim = 8, 5, 3
    inputs = keras.Input((None, units))
    functional = keras.Model(inputs, layers.Dense(1)(layers.GlobalAveragePooling1D()(inputs)))
    rnn_model = _custom_rnn_class(units, lambda: functional)()
    assert tuple(rnn_model(ops.zeros((1, timesteps, input_dim))).shape) == (1, 1)
    rnn_cls = _custom_rnn_class(units, lambda: layers.Dense(1))
    inputs = keras.Input(batch_shape=(4, timesteps, input_dim))
    model = keras.Model(inputs, rnn_cls()(layers.Conv1D(8, 3)(inputs)))
    assert tuple(model.predict(RNG.random((4, timesteps, input_dim)).astype("float32"), verbose=0).shape) == (4, 3, 1)
