"""The ResNet identity block (Keras's "Making new layers and models via subclassing" guide) as a
subclassed ``kxla.Model``: three Conv2D + BatchNormalization, relu, a residual add. Python control
flow on ``training`` picks one of two traced graphs (batch statistics or moving statistics).

Run: python examples/subclassed_resnet.py
"""
import numpy as np

import kxla
from kxla import layers, ops


class ResNetBlockModel(kxla.Model):
    def __init__(self, filters=16, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Conv2D(filters, 3, padding="same")
        self.conv1 = layers.Conv2D(filters, 1)
        self.bn1 = layers.BatchNormalization(momentum=0.9)
        self.conv2 = layers.Conv2D(filters, 3, padding="same")
        self.bn2 = layers.BatchNormalization(momentum=0.9)
        self.conv3 = layers.Conv2D(filters, 1)
        self.bn3 = layers.BatchNormalization(momentum=0.9)
        self.pool = layers.GlobalAveragePooling2D()
        self.classifier = layers.Dense(num_classes, activation="softmax")

    def call(self, x, training=False):
        x = self.stem(x)
        h = ops.relu(self.bn1(self.conv1(x), training=training))
        h = ops.relu(self.bn2(self.conv2(h), training=training))
        h = self.bn3(self.conv3(h), training=training)
        x = ops.relu(h + x)                       # the identity shortcut
        return self.classifier(self.pool(x))


def main(epochs: int = 5):
    kxla.utils.set_random_seed(0)
    ((x_train, y_train), (x_test, y_test)), source = kxla.datasets.digits.load_data_or_synthetic()
    print(f"data: {source}")
    x_train, x_test = x_train[..., None], x_test[..., None]          # (n, 8, 8, 1)

    model = ResNetBlockModel(name="resnet_block")
    model.build((None, 8, 8, 1))
    model.summary()
    n_train = [n.op for n in model.to_ir(training=True).nodes]
    n_infer = [n.op for n in model.to_ir(training=False).nodes]
    print(f"training graph: {len(n_train)} nodes, inference graph: {len(n_infer)} nodes")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f}  Test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
