"""kxla in one page: build a model, look at its IR, train, evaluate, predict.

Run: python examples/quickstart.py
"""
import numpy as np

import kxla
from kxla import layers

kxla.utils.set_random_seed(0)
(train, test), source = kxla.datasets.digits.load_data_or_synthetic()
(x_train, y_train), (x_test, y_test) = train, test
print(f"data: {source}; {len(x_train)} train / {len(x_test)} test images of 8x8")

model = kxla.Sequential([
    layers.Input(shape=(8, 8)),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
], name="digits_mlp")
model.summary()

print("\nThe IR kxla builds from the model (inference graph):")
print(model.to_ir())

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=15, validation_split=0.1, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"\ntest loss {loss:.4f}, test accuracy {accuracy:.4f}")
probabilities = model.predict(x_test[:5], verbose=0)
print("predicted classes:", np.argmax(probabilities, axis=-1), "true:", y_test[:5])
print("compile stats:", model.compile_stats())
