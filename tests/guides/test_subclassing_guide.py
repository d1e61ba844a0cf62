"""The Keras guide "Making new layers and models via subclassing", section by section.

Our own code following the guide's steps with the same API calls (Keras 3 idioms: ``ops``,
``keras.random`` with a ``SeedGenerator``; small synthetic data in place of MNIST), asserting
what the guide says.
"""
import numpy as np
import pytest

import kxla as keras
from kxla import layers, ops


class Linear(keras.layers.Layer):
    """Weights created in ``build`` once the input size is known; serializable."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_weights_created_in_init_are_tracked():
    class EagerLinear(keras.layers.Layer):
        def __init__(self, units=32, input_dim=32):
            super().__init__()
            self.w = self.add_weight(shape=(input_dim, units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    layer = EagerLinear(4, 2)
    y = layer(ops.ones((2, 2)))
    assert layer.weights == [layer.w, layer.b]
    np.testing.assert_allclose(np.asarray(y), np.ones((2, 2)) @ np.asarray(layer.w), rtol=1e-6)


def test_non_trainable_weight_accumulates_across_calls():
    class ComputeSum(keras.layers.Layer):
        def __init__(self, input_dim):
            super().__init__()
            self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

        def call(self, inputs):
            self.total.assign_add(ops.sum(inputs, axis=0))
            return self.total

    my_sum = ComputeSum(2)
    x = ops.ones((2, 2))
    np.testing.assert_array_equal(np.asarray(my_sum(x)), [2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(my_sum(x)), [4.0, 4.0])
    assert len(my_sum.weights) == 1 and len(my_sum.non_trainable_weights) == 1
    assert my_sum.trainable_weights == []


def test_deferred_build_and_recursive_composition():
    linear_layer = Linear(32)
    assert linear_layer.weights == []
    assert tuple(linear_layer(ops.ones((2, 2))).shape) == (2, 32)

    class MLPBlock(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.linear_1 = Linear(32)
            self.linear_2 = Linear(32)
            self.linear_3 = Linear(1)

        def call(self, inputs):
            x = ops.relu(self.linear_1(inputs))
            x = ops.relu(self.linear_2(x))
            return self.linear_3(x)

    mlp = MLPBlock()
    assert tuple(mlp(ops.ones(shape=(3, 64))).shape) == (3, 1)
    assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


def test_add_loss_is_reset_on_every_call():
    class OuterLayer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.activity_reg = ActivityRegularizationLayer(1e-2)

        def call(self, inputs):
            return self.activity_reg(inputs)

    layer = OuterLayer()
    assert len(layer.losses) == 0
    layer(ops.ones((1, 1)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 1e-2, rtol=1e-6)
    layer(ops.zeros((1, 1)))
    assert len(layer.losses) == 1 and float(layer.losses[0]) == 0.0


def test_losses_include_weight_regularizers():
    class OuterLayerWithKernelRegularizer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

        def call(self, inputs):
            return self.dense(inputs)

    layer = OuterLayerWithKernelRegularizer()
    layer(ops.zeros((1, 1)))
    want = 1e-3 * np.sum(np.asarray(layer.dense.kernel) ** 2)
    np.testing.assert_allclose(float(sum(layer.losses)), want, rtol=1e-5)


@pytest.mark.parametrize("with_loss", [True, False])
def test_added_losses_work_with_fit(with_loss):
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, ActivityRegularizationLayer()(inputs))
    rng = np.random.default_rng(0)
    x, y = rng.random((2, 3)).astype("float32"), rng.random((2, 3)).astype("float32")
    if with_loss:
        model.compile(optimizer="adam", loss="mse")
        want = np.mean((x - y) ** 2) + 1e-2 * np.mean(x)
    else:
        model.compile(optimizer="adam")          # the model's own add_loss is the whole loss
        want = 1e-2 * np.mean(x)
    history = model.fit(x, y, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], want, rtol=1e-5)


def test_config_round_trip():
    layer = Linear(64, name="lin")
    config = layer.get_config()
    assert config["units"] == 64 and config["name"] == "lin"
    new_layer = Linear.from_config(config)
    assert new_layer.units == 64 and new_layer.name == "lin"


def test_privileged_training_argument():
    class CustomDropout(keras.layers.Layer):
        def __init__(self, rate, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs, training=False):
            if training:
                return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
            return inputs

    inputs = keras.Input((100,))
    model = keras.Model(inputs, CustomDropout(0.5)(inputs))
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(np.asarray(model(x)), x)
    dropped = np.asarray(model(x, training=True))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.2 < np.mean(dropped == 0) < 0.8


class Sampling(layers.Layer):
    """(z_mean, z_log_var) -> z = z_mean + exp(z_log_var / 2) * epsilon."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch, dim = ops.shape(z_mean)[0], ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    def __init__(self, latent_dim=4, intermediate_dim=8, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean, z_log_var = self.dense_mean(x), self.dense_log_var(x)
        return z_mean, z_log_var, self.sampling((z_mean, z_log_var))


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=8, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        return self.dense_output(self.dense_proj(inputs))


class VariationalAutoEncoder(keras.Model):
    def __init__(self, original_dim, intermediate_dim=8, latent_dim=4, name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        kl_loss = -0.5 * ops.mean(z_log_var - ops.square(z_mean) - ops.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def test_end_to_end_variational_autoencoder():
    x_train = np.random.default_rng(0).random((128, 16)).astype("float32")
    vae = VariationalAutoEncoder(16, 8, 4)
    vae.compile(keras.optimizers.Adam(learning_rate=1e-2), loss=keras.losses.MeanSquaredError())
    history = vae.fit(x_train, x_train, epochs=3, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] and np.all(np.isfinite(losses))
    assert vae.losses == []                         # as Keras: fit's traced steps leave no loss terms
    out = vae(x_train[:5])                          # a call on arrays draws epsilon and records the KL term
    assert out.shape == (5, 16) and len(vae.losses) == 1
