"""The ResNet identity block (Keras guide): as a subclassed Model and as a custom Layer in a functional model."""
import numpy as np

import kxla
from kxla import layers, ops


@kxla.saving.register_serializable(package="tests_resnet")
class IdentityBlock(layers.Layer):
    """Three Conv2D + BatchNorm, relu, residual add (filters[-1] must equal the input channels)."""

    def __init__(self, kernel_size=3, filters=(4, 4, 4), **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.filters = tuple(filters)
        f1, f2, f3 = self.filters
        self.conv1 = layers.Conv2D(f1, 1)
        self.bn1 = layers.BatchNormalization()
        self.conv2 = layers.Conv2D(f2, kernel_size, padding="same")
        self.bn2 = layers.BatchNormalization()
        self.conv3 = layers.Conv2D(f3, 1)
        self.bn3 = layers.BatchNormalization()

    def call(self, x, training=False):
        h = ops.relu(self.bn1(self.conv1(x), training=training))
        h = ops.relu(self.bn2(self.conv2(h), training=training))
        h = self.bn3(self.conv3(h), training=training)
        return ops.relu(h + x)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "filters": list(self.filters)}


@kxla.saving.register_serializable(package="tests_resnet")
class ResNetBlockModel(kxla.Model):
    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.conv1 = layers.Conv2D(4, 3, padding="same")
        self.bn1 = layers.BatchNormalization()
        self.conv2 = layers.Conv2D(4, 3, padding="same")
        self.bn2 = layers.BatchNormalization()
        self.conv3 = layers.Conv2D(4, 3, padding="same")
        self.bn3 = layers.BatchNormalization()
        self.pool = layers.GlobalAveragePooling2D()
        self.classifier = layers.Dense(num_classes, activation="softmax")

    def call(self, x, training=False):
        h = ops.relu(self.bn1(self.conv1(x), training=training))
        h = ops.relu(self.bn2(self.conv2(h), training=training))
        h = self.bn3(self.conv3(h), training=training)
        h = ops.relu(h + x)
        return self.classifier(self.pool(h))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 8, 4)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32") + (x[:, 0, 0, 0] > 1).astype("int32")
    return x, y


def _ops(graph):
    return [n.op for n in graph.nodes]


def test_subclassed_summary_graphs_fit(capsys):
    model = ResNetBlockModel(name="resnet_block")
    model.build((None, 8, 8, 4))
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "resnet_block"' in out and "Total params" in out
    # 3 convs (3*3*4*4 + 4 each) + 3 BN (4*4 each) + dense (4*3 + 3)
    assert model.count_params() == 3 * (144 + 4) + 3 * 16 + 15
    train_g, infer_g = model.to_ir(training=True), model.to_ir(training=False)
    assert str(train_g) != str(infer_g)
    assert _ops(train_g).count("conv") == _ops(infer_g).count("conv") == 3
    assert "add" in _ops(infer_g)
    x, y = _data()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    bn_mean = [w for w in model.weights if w.path.endswith("moving_mean")][0]
    assert not np.allclose(bn_mean.numpy(), 0)       # training graphs updated the BN statistics


def test_subclassed_save_load(tmp_path):
    model = ResNetBlockModel(name="resnet_block")
    x, y = _data(32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "resnet.kxla")
    loaded = kxla.saving.load_model(tmp_path / "resnet.kxla")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-5, atol=1e-6)


def test_block_as_layer_in_functional_model(tmp_path):
    inp = kxla.Input((8, 8, 4))
    h = IdentityBlock(name="block")(inp)
    out = layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(h))
    model = kxla.Model(inp, out)
    train_g, infer_g = model.to_ir(training=True), model.to_ir(training=False)
    assert str(train_g) != str(infer_g)
    assert _ops(infer_g).count("conv") == 3
    assert any(n.layer and n.layer.startswith("block") for n in infer_g.nodes)
    x, y = _data()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "f.kxla")
    loaded = kxla.saving.load_model(tmp_path / "f.kxla")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-5, atol=1e-6)


def test_block_inference_matches_numpy():
    block = IdentityBlock(kernel_size=1, filters=(4, 4, 4))
    x = np.random.default_rng(2).normal(size=(2, 3, 3, 4)).astype("float32")
    out = np.asarray(block(x, training=False))
    # kernel_size 1: each conv is a per-pixel matmul; fresh BN is x/sqrt(1+eps)
    eps = block.bn1.epsilon
    h = x
    for conv, last in ((block.conv1, False), (block.conv2, False), (block.conv3, True)):
        k, b = conv.get_weights()
        h = (h @ k[0, 0] + b) / np.sqrt(1 + eps)
        if not last:
            h = np.maximum(h, 0)
    np.testing.assert_allclose(out, np.maximum(h + x, 0), rtol=1e-4, atol=1e-5)
