"""The classic Keras MLP tutorial (Sequential, Dense + Dropout), on handwritten digits.

Uses scikit-learn's bundled 8x8 digits when scikit-learn is installed (no network needed),
otherwise synthetic digit-like data; the output says which.

Run: python examples/mnist_mlp.py
"""
import numpy as np

import kxla
from kxla import layers


def main(epochs: int = 20):
    kxla.utils.set_random_seed(42)
    ((x_train, y_train), (x_test, y_test)), source = kxla.datasets.digits.load_data_or_synthetic()
    print(f"data: {source}")
    x_train = x_train.reshape(len(x_train), -1)
    x_test = x_test.reshape(len(x_test), -1)
    y_train = kxla.utils.to_categorical(y_train, 10)
    y_test = kxla.utils.to_categorical(y_test, 10)

    model = kxla.Sequential()
    model.add(layers.Dense(128, activation="relu", input_shape=(64,)))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(10, activation="softmax"))
    model.summary()

    model.compile(loss="categorical_crossentropy",
                  optimizer=kxla.optimizers.RMSprop(learning_rate=0.001),
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=2,
              validation_data=(x_test, y_test))
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
