"""kxla.ops.nn_norm: batch_norm, layer_norm and moments against numpy."""
import numpy as np
import pytest

from kxla import ops
from kxla.ir import TensorType, get_op
from op_check import check_op, rand


def np_batch_norm(x, mean, var, axis, offset, scale, eps):
    shape = [1] * x.ndim
    shape[axis] = -1
    r = lambda v: np.reshape(v, shape).astype(np.float64)      # noqa: E731
    return (x - r(mean)) / np.sqrt(r(var) + eps) * r(scale) + r(offset)


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_normalization_matches_numpy(axis):
    x = rand(4, 3, 5, 6, seed=1)
    c = x.shape[axis]
    mean, var = rand(c, seed=2), np.abs(rand(c, seed=3)) + 0.5
    scale, offset = rand(c, seed=4), rand(c, seed=5)
    out = check_op(lambda a, m, v, s, o: ops.batch_normalization(a, m, v, axis, offset=o, scale=s,
                                                                 epsilon=1e-2),
                   x, mean, var, scale, offset)
    np.testing.assert_allclose(out, np_batch_norm(x, mean, var, axis, offset, scale, 1e-2),
                               rtol=1e-5, atol=1e-5)


def test_batch_normalization_without_offset_and_scale():
    x, mean, var = rand(3, 4, seed=6), rand(4, seed=7), np.abs(rand(4, seed=8)) + 1
    out = check_op(lambda a, m, v: ops.batch_normalization(a, m, v, axis=-1), x, mean, var)
    np.testing.assert_allclose(out, np_batch_norm(x, mean, var, 1, np.zeros(4), np.ones(4), 1e-3),
                               rtol=1e-5, atol=1e-5)


def test_batch_normalization_matches_keras(keras):
    x, mean, var = rand(3, 4, 5, seed=9), rand(5, seed=10), np.abs(rand(5, seed=11))
    ours = ops.batch_normalization(x, mean, var, -1, offset=rand(5), scale=rand(5, seed=1))
    ref = keras.ops.batch_normalization(x, mean, var, -1, offset=rand(5), scale=rand(5, seed=1))
    np.testing.assert_allclose(ours, np.asarray(ref), rtol=1e-6, atol=1e-6)


def test_batch_norm_declares_axis_layout_and_remaps():
    opdef = get_op("batch_norm")
    assert opdef.layout == "axis"
    # NHWC -> NCHW: new axis i is old axis perm[i]; channel axis 3 becomes 1
    assert opdef.remap_axes({"axis": -1, "epsilon": 1e-3}, [0, 3, 1, 2])["axis"] == 1


@pytest.mark.parametrize("bad,match", [
    (rand(3), "mean of shape"),
    (rand(4, 1), "mean of shape"),
])
def test_batch_norm_bad_stats(bad, match):
    x = rand(2, 4)
    with pytest.raises(ValueError, match=match):
        ops.apply("batch_norm", x, bad, rand(4), rand(4), rand(4), axis=-1, epsilon=1e-3)
    with pytest.raises(ValueError, match="axis 5 is out of range"):
        ops.batch_normalization(x, rand(4), rand(4), axis=5)


def np_layer_norm(x, axes, gamma, beta, eps):
    mean = x.mean(axis=tuple(axes), keepdims=True)
    var = x.var(axis=tuple(axes), keepdims=True)
    shape = [x.shape[i] if i in axes else 1 for i in range(x.ndim)]
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("axis", [-1, [1, 2], [-2, -1]])
def test_layer_normalization_matches_numpy(axis):
    x = rand(3, 4, 5, seed=12)
    axes = sorted(a % 3 for a in ([axis] if isinstance(axis, int) else axis))
    shape = tuple(x.shape[a] for a in axes)
    gamma, beta = rand(*shape, seed=13), rand(*shape, seed=14)
    out = check_op(lambda a, g, b: ops.layer_normalization(a, g, b, axis=axis, epsilon=1e-3), x, gamma, beta)
    np.testing.assert_allclose(out, np_layer_norm(x, axes, gamma, beta, 1e-3), rtol=1e-4, atol=1e-4)


def test_layer_normalization_defaults_match_keras(keras):
    x = rand(2, 7, seed=15) * 3 + 1
    out = check_op(lambda a: ops.layer_normalization(a), x)
    np.testing.assert_allclose(out, np.asarray(keras.ops.layer_normalization(x)), rtol=1e-5, atol=1e-5)


def test_layer_norm_keeps_half_precision_dtype():
    import jax.numpy as jnp
    x = jnp.asarray(rand(2, 8, seed=16), jnp.bfloat16)
    y = ops.layer_normalization(x)
    assert y.dtype == jnp.bfloat16


def test_layer_norm_errors_and_remap():
    with pytest.raises(ValueError, match="scale of shape"):
        ops.layer_normalization(rand(2, 5), rand(4), rand(4))
    with pytest.raises(ValueError, match="distinct"):
        ops.layer_normalization(rand(2, 5, 3), axis=[1, -2])
    remap = get_op("layer_norm").remap_axes
    assert remap({"axis": [-1], "epsilon": 1e-3}, [0, 3, 1, 2])["axis"] == [1]
    with pytest.raises(ValueError, match="reorders"):
        remap({"axis": [1, 2], "epsilon": 1e-3}, [0, 2, 1])


@pytest.mark.parametrize("axes,keepdims", [([0], False), ([0, 1, 2], False), ([1], True), (-1, False)])
def test_moments_matches_numpy(axes, keepdims):
    x = rand(4, 3, 5, seed=17) * 2 + 3
    mean, var = check_op(lambda a: ops.moments(a, axes, keepdims=keepdims), x)
    ax = tuple([axes] if isinstance(axes, int) else axes)
    np.testing.assert_allclose(mean, x.mean(axis=ax, keepdims=keepdims), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(var, x.var(axis=ax, keepdims=keepdims), rtol=1e-4, atol=1e-5)


def test_moments_shape_rule_and_errors():
    t = get_op("moments").infer_types([TensorType((None, 4, 4, 8))], {"axes": [0, 1, 2], "keepdims": False})
    assert [u.shape for u in t] == [(8,), (8,)]
    with pytest.raises(ValueError, match="out of range"):
        ops.moments(rand(2, 3), axes=[2])
    with pytest.raises(ValueError, match="synchronized"):
        ops.moments(rand(2, 3), axes=[0], synchronized=True)
