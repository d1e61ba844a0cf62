"""kxla.ops.random_ops: dropout, gaussian_noise, random_normal, random_uniform."""
import jax
import numpy as np
import pytest

from kxla import ops
from kxla.ir import TensorType, get_op
from kxla.lowering import lower
from kxla.ops import Builder
from op_check import check_op, rand, trace

# Each new (shape, dtype) of a random draw costs a threefry compilation (~1 s on CPU): the tests
# share one shape.
SHAPE = (32, 64)


def test_dropout_scales_kept_entries_and_drops_about_rate():
    x = np.ones(SHAPE, "float32")
    y = check_op(lambda a: ops.dropout(a, 0.25), x, deterministic=False)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(1 - kept.mean() - 0.25) < 0.04


def test_dropout_noise_shape_broadcasts_mask():
    x = np.ones((32, 3, 64), "float32")
    y = np.asarray(ops.dropout(x, 0.5, noise_shape=(None, 1, 64)))
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))     # same mask along axis 1


def test_dropout_extremes_and_seed():
    x = rand(*SHAPE)
    np.testing.assert_array_equal(ops.dropout(x, 0.0), x)
    np.testing.assert_array_equal(ops.dropout(x, 1.0), np.zeros_like(x))
    np.testing.assert_array_equal(ops.dropout(x, 0.5, seed=3), ops.dropout(x, 0.5, seed=3))


def test_dropout_in_graph_depends_on_rng_and_node():
    x = np.ones(SHAPE, "float32")
    with Builder("t", training=True) as b:
        xi = b.input(TensorType((None, SHAPE[1])), "x")
        b.graph.outputs = [b.value_of(ops.dropout(xi, 0.5)), b.value_of(ops.dropout(xi, 0.5))]
    fn = lower(b.graph)
    (a1, b1), _ = fn({}, {}, [x], rng=jax.random.key(1))
    (a2, _), _ = fn({}, {}, [x], rng=jax.random.key(1))
    (a3, _), _ = fn({}, {}, [x], rng=jax.random.key(2))
    np.testing.assert_array_equal(a1, a2)            # pure for a given rng
    assert not np.array_equal(a1, a3)                # a new key gives a new mask
    assert not np.array_equal(a1, b1)                # two nodes draw differently
    assert get_op("dropout").effect == "random"
    with pytest.raises(ValueError, match="rng"):
        fn({}, {}, [x])


def test_dropout_errors_and_remap():
    with pytest.raises(ValueError, match="rate must be in"):
        ops.dropout(rand(2, 3), 1.5)
    with pytest.raises(ValueError, match="noise_shape"):
        ops.dropout(rand(2, 3), 0.5, noise_shape=(2, 2))
    with pytest.raises(ValueError, match="floating point"):
        ops.dropout(np.ones((2, 3), "int32"), 0.5)
    remap = get_op("dropout").remap_axes
    attrs = {"rate": 0.5, "noise_shape": [None, 1, 1, 8], "seed": None}
    assert remap(attrs, [0, 3, 1, 2])["noise_shape"] == [None, 8, 1, 1]


def test_gaussian_noise_statistics():
    x = np.zeros(SHAPE, "float32")
    y = check_op(lambda a: ops.gaussian_noise(a, 0.5), x, deterministic=False)
    assert abs(y.mean()) < 0.05 and abs(y.std() - 0.5) < 0.05
    with pytest.raises(ValueError, match="stddev"):
        ops.gaussian_noise(x, -1.0)


def test_random_normal_and_uniform_eager_and_traced():
    y = np.asarray(ops.random_normal(SHAPE, mean=1.0, stddev=2.0))
    assert y.shape == SHAPE and y.dtype == np.float32
    assert abs(y.mean() - 1.0) < 0.2 and abs(y.std() - 2.0) < 0.2
    u = np.asarray(ops.random_uniform(SHAPE, minval=-2.0, maxval=3.0))
    assert u.min() >= -2.0 and u.max() <= 3.0 and abs(u.mean() - 0.5) < 0.2
    np.testing.assert_array_equal(ops.random_normal(SHAPE, seed=7), ops.random_normal(SHAPE, seed=7))
    graph, types, (a, b) = trace(lambda x: [ops.add(x, ops.random_normal(SHAPE)), ops.random_uniform(SHAPE)],
                                 [np.zeros(SHAPE, "float32")])
    assert [t.shape for t in types] == [SHAPE, SHAPE]
    assert a.shape == b.shape == SHAPE
    half = get_op("random_uniform").infer_types([], get_op("random_uniform").normalize_attrs(
        {"shape": [2], "dtype": "float16"}))
    assert half == [TensorType((2,), "float16")]


def test_random_errors():
    with pytest.raises(ValueError, match="minval must be < maxval"):
        ops.random_uniform((2,), minval=1.0, maxval=1.0)
    with pytest.raises(ValueError, match="floating point"):
        ops.random_normal((2,), dtype="int32")
    with pytest.raises(ValueError, match="tuple of ints .or unknown dimensions from ops.shape"):
        ops.random_normal((None, 2))
