"""A functional-API CNN with two branches, BatchNormalization and a residual Add, on digits.

Shows the functional API (Input, layers called on tensors, Model(inputs, outputs)), the IR
kxla builds for it, and training. Uses scikit-learn's 8x8 digits when installed, otherwise
synthetic data; the output says which.

Run: python examples/functional_cnn.py
"""
import kxla
from kxla import layers


def build_model():
    inputs = kxla.Input(shape=(8, 8, 1), name="image")
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    shortcut = x
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.Add()([x, shortcut])
    x = layers.MaxPooling2D(2)(x)
    pooled = layers.GlobalAveragePooling2D()(x)
    flat = layers.Flatten()(x)
    x = layers.Concatenate()([pooled, flat])
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10, activation="softmax", name="digit")(x)
    return kxla.Model(inputs, outputs, name="functional_cnn")


def main(epochs: int = 8):
    kxla.utils.set_random_seed(7)
    ((x_train, y_train), (x_test, y_test)), source = kxla.datasets.digits.load_data_or_synthetic()
    print(f"data: {source}")
    x_train, x_test = x_train[..., None], x_test[..., None]

    model = build_model()
    model.summary()
    print(model.to_ir(training=True))

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
