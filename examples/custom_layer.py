"""Custom layers: a Dense written with ``add_variable`` (the Keras tutorial way) and a gated
activation written with ``kxla.ops``; both become ordinary IR nodes, train and save.

Run: python examples/custom_layer.py
"""
import numpy as np

import kxla
from kxla import layers, ops


@kxla.saving.register_serializable(package="examples")
class MyDense(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_variable(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_variable(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return inputs @ self.w + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@kxla.saving.register_serializable(package="examples")
class GatedTanh(layers.Layer):
    """tanh(x) * sigmoid(x), written with kxla.ops."""

    def call(self, x):
        return ops.multiply(ops.tanh(x), ops.sigmoid(x))


def main(epochs: int = 10):
    kxla.utils.set_random_seed(0)
    ((x_train, y_train), (x_test, y_test)), source = kxla.datasets.digits.load_data_or_synthetic()
    print(f"data: {source}")
    x_train, x_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)

    inputs = kxla.Input((64,))
    h = GatedTanh(name="gate")(MyDense(64, name="my_dense")(inputs))
    outputs = layers.Dense(10, activation="softmax")(h)
    model = kxla.Model(inputs, outputs, name="custom_layers")
    model.summary()
    print(model.to_ir())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
