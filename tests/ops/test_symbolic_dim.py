"""ops.shape's unknown dimensions (kxla/ops/symbolic_dim.py): None-like, and usable in random draws."""
import numpy as np
import pytest

import kxla
from kxla import layers, ops


class _Noise(layers.Layer):
    """Adds draws shaped like its input, the shape written with ops.shape as the Keras guides do."""

    def __init__(self, kind, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.kind, self.seed = kind, seed

    def call(self, x):
        shape = (ops.shape(x)[0], ops.shape(x)[1])
        if self.kind == "normal":
            return x + kxla.random.normal(shape, seed=self.seed)
        if self.kind == "uniform":
            return x + kxla.random.uniform(shape, seed=self.seed)
        if self.kind == "truncated_normal":
            return x + kxla.random.truncated_normal(shape, seed=self.seed)
        return x + ops.cast(kxla.random.randint(shape, 0, 10, seed=self.seed), "float32")


def test_unknown_dimensions_equal_none_as_keras_shapes_do():
    x = kxla.Input((4, 6))
    shape = ops.shape(x)
    assert shape == (None, 4, 6) and None in shape and repr(shape) == "(None, 4, 6)"
    with pytest.raises(TypeError, match="known only when the graph runs"):
        shape[0] + 1
    with pytest.raises(TypeError, match="known only when the graph runs"):
        int(shape[0])


@pytest.mark.parametrize("kind", ["normal", "uniform", "truncated_normal", "randint"])
def test_seeded_draw_shaped_by_the_batch_equals_keras(keras, kind):
    inp = kxla.Input((3,))
    model = kxla.Model(inp, _Noise(kind, seed=7)(inp))
    x = np.zeros((5, 3), "float32")
    expected = {"normal": lambda: keras.random.normal((5, 3), seed=7),
                "uniform": lambda: keras.random.uniform((5, 3), seed=7),
                "truncated_normal": lambda: keras.random.truncated_normal((5, 3), seed=7),
                "randint": lambda: keras.random.randint((5, 3), 0, 10, seed=7)}[kind]()
    np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(expected, "float32"), rtol=1e-6)
    assert model.predict(np.zeros((2, 3), "float32"), verbose=0).shape == (2, 3)   # the batch decides


def test_unseeded_draw_in_call_differs_per_row_and_call():
    inp = kxla.Input((3,))
    model = kxla.Model(inp, _Noise("normal")(inp))
    x = np.zeros((64, 3), "float32")
    first, second = np.asarray(model(x)), np.asarray(model(x))
    assert first.shape == (64, 3) and not np.allclose(first, second)
    assert abs(first.mean()) < 0.3 and 0.7 < first.std() < 1.3


def test_the_ir_records_the_source_tensor_and_axes():
    inp = kxla.Input((3,))
    model = kxla.Model(inp, _Noise("normal", seed=1)(inp))
    text = str(model.trace(False).graph)
    assert "random_normal(%input" in text and "shape=[-1,3]" in text and "like_axes=[0,-1]" in text


def test_dimensions_of_two_tensors_in_one_draw_are_refused():
    a, b = kxla.Input((3,)), kxla.Input((3,))
    with pytest.raises(ValueError, match="2 different tensors"):
        kxla.random.normal((ops.shape(a)[0], ops.shape(b)[0]))
