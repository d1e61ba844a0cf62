"""kxla.quantizers against keras.quantizers: array functions (values, dtypes, gradients), classes, configs."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla import quantizers as q
from tests.ops.op_check import check_op

RNG = np.random.RandomState(0)
SLOW = pytest.mark.slow
X = (RNG.randn(6, 5) * 2).astype("float32")


def _same(ours, theirs):
    ours, theirs = (ours if isinstance(ours, tuple) else (ours,)), (theirs if isinstance(theirs, tuple) else (theirs,))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if isinstance(b, (int, tuple)):
            assert a == b
            continue
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)


def test_names_match_keras(keras):
    assert set(q.__all__) == {n for n in dir(keras.quantizers) if not n.startswith("_")}
    assert kxla.Quantizer is q.Quantizer and kxla.quantizers is q


@pytest.mark.parametrize("axis,to_numpy", [(-1, False), (0, True), pytest.param(0, False, marks=SLOW),
                                           pytest.param((0, 1), False, marks=SLOW), pytest.param(-1, True, marks=SLOW)])
def test_abs_max_quantize(keras, axis, to_numpy):
    _same(q.abs_max_quantize(X, axis, to_numpy=to_numpy), keras.quantizers.abs_max_quantize(X, axis, to_numpy=to_numpy))
    _same(q.abs_max_quantize(X, axis, (-7, 7), "int8", 1e-3, to_numpy),
          keras.quantizers.abs_max_quantize(X, axis, (-7, 7), "int8", 1e-3, to_numpy))


@pytest.mark.parametrize("shape,block,to_numpy", [((9, 4), 4, True),
                                                  pytest.param((9, 4), 4, False, marks=SLOW),
                                                  pytest.param((8, 3), 4, True, marks=SLOW),
                                                  pytest.param((6, 2), 8, False, marks=SLOW)])
def test_grouped_with_zero_point(keras, shape, block, to_numpy):
    x = RNG.randn(*shape).astype("float32")
    x[:, 0] = 0.25                                     # a constant column: min == max
    _same(q.abs_max_quantize_grouped_with_zero_point(x, block, to_numpy=to_numpy),
          keras.quantizers.abs_max_quantize_grouped_with_zero_point(x, block, to_numpy=to_numpy))


@pytest.mark.parametrize("shape,axis", [((3, 5), 0), pytest.param((2, 3, 5), -1, marks=SLOW),
                                        pytest.param((3, 5), 1, marks=SLOW)])
def test_pack_unpack_int4(keras, shape, axis):
    v = RNG.randint(-8, 8, shape).astype("int8")
    ours, theirs = q.pack_int4(v, axis), keras.quantizers.pack_int4(v, axis)
    _same(ours, theirs)
    _same(q.unpack_int4(ours[0], ours[2], axis), keras.quantizers.unpack_int4(theirs[0], theirs[2], axis))
    np.testing.assert_array_equal(q.unpack_int4(ours[0], ours[2], axis), v)
    u = RNG.randint(0, 16, shape).astype("uint8")
    _same(q.pack_int4(u, axis, "uint8"), keras.quantizers.pack_int4(u, axis, "uint8"))
    _same(q.unpack_int4(q.pack_int4(u, axis, "uint8")[0], shape[axis], axis, "uint8"),
          keras.quantizers.unpack_int4(keras.quantizers.pack_int4(u, axis, "uint8")[0], shape[axis], axis, "uint8"))
    with pytest.raises(TypeError, match="int8"):
        q.pack_int4(v.astype("int32"), axis)


FAKE_CASES = [(-1.0, 1.5, None, 8, False),
              pytest.param(np.array([-1, -0.5, -2, 0.1, -3]), np.array([1, 0.7, 2, 1.5, 0.2]), -1, 4, True,
                           marks=SLOW),
              pytest.param(np.array([-1.0]), np.array([1.0]), None, 8, False, marks=SLOW),
              pytest.param(np.array([-1, -0.5, -2, 0.1, -3, 0.5]), np.array([1, 0.7, 2, 1.5, 0.2, 3.0]), 0, 8, False,
                           marks=SLOW)]


@pytest.mark.parametrize("lo,hi,axis,bits,narrow", FAKE_CASES)
def test_fake_quant_values_and_gradients(keras, lo, hi, axis, bits, narrow):
    lo, hi = np.asarray(lo, "float32"), np.asarray(hi, "float32")
    if axis == 0:
        lo, hi = lo[:, None], hi[:, None]              # Keras broadcasts min/max against the input as given
    kw = dict(num_bits=bits, narrow_range=narrow, axis=axis)
    _same(q.fake_quant_with_min_max_vars(X, lo, hi, **kw),
          keras.quantizers.fake_quant_with_min_max_vars(X, lo, hi, **kw))
    weights = jnp.arange(X.size, dtype="float32").reshape(X.shape)

    def grads(fn):
        return jax.grad(lambda x, a, b: jnp.sum(fn(x, a, b, **kw) * weights), argnums=(0, 1, 2))(X, lo, hi)
    _same(grads(q.fake_quant_with_min_max_vars), grads(keras.quantizers.fake_quant_with_min_max_vars))


def test_fake_quant_records_an_op():
    out = check_op(lambda x: q.fake_quant_with_min_max_vars(x, -1.0, 1.0, num_bits=4), X)
    np.testing.assert_array_equal(out, q.fake_quant_with_min_max_vars(X, -1.0, 1.0, num_bits=4))
    inputs = kxla.Input((5,))
    model = kxla.Model(inputs, q.fake_quant_with_min_max_vars(inputs, -1.0, 1.0))
    assert "fake_quant_with_min_max_vars(" in str(model.to_ir())


def test_float8_functions(keras):
    kq = keras.quantizers
    amax = np.array([0.0, 2.0, np.inf, 448.0], "float32")
    scale = np.array([0.5, 0.5, 2.0, 1.0], "float32")
    for margin in (0, 1):
        _same(q.compute_float8_scale(amax, scale, 448.0, margin), kq.compute_float8_scale(amax, scale, 448.0, margin))
    history = np.arange(5, dtype="float32")
    _same(q.compute_float8_amax_history(X, history), kq.compute_float8_amax_history(X, history))
    for dtype in ("float8_e4m3fn", "float8_e5m2"):
        _same(q.quantize_and_dequantize(X * 50, np.float32(0.3), dtype, "float32"),
              kq.quantize_and_dequantize(X * 50, np.float32(0.3), dtype, "float32"))


def test_abs_max_quantizer_class(keras):
    for kwargs in ({}, {"axis": 0}, {"axis": (0, 1), "value_range": (-8, 7)}, {"epsilon": 1e-3}):
        ours, theirs = q.AbsMaxQuantizer(**kwargs), keras.quantizers.AbsMaxQuantizer(**kwargs)
        assert ours.get_config() == theirs.get_config()
        assert q.serialize(ours) == keras.quantizers.serialize(theirs)
        _same(ours(X), theirs(X))
        _same(ours(X, axis=0, to_numpy=True), theirs(X, axis=0, to_numpy=True))
        again = q.deserialize(q.serialize(ours))
        assert type(again) is q.AbsMaxQuantizer and again.get_config() == ours.get_config()
    with pytest.raises(ValueError, match="value_range"):
        q.AbsMaxQuantizer(value_range=(-200, 127))
    with pytest.raises(NotImplementedError):
        q.Quantizer().get_config()


def _configs(kq):
    return [kq.Int8QuantizationConfig(), kq.Int8QuantizationConfig(activation_quantizer=None),
            kq.Int8QuantizationConfig(weight_quantizer=kq.AbsMaxQuantizer(axis=0, value_range=(-100, 100))),
            kq.Int4QuantizationConfig(), kq.Int4QuantizationConfig(block_size=None),
            kq.Int4QuantizationConfig(weight_quantizer=kq.AbsMaxQuantizer(axis=0, value_range=(-8, 7)),
                                      block_size=-1),
            kq.Float8QuantizationConfig(), kq.GPTQConfig(None, None, weight_bits=3, group_size=-1),
            kq.AWQConfig(None, None, group_size=64)]


def test_configs_serialize_as_keras(keras):
    for ours, theirs in zip(_configs(q), _configs(keras.quantizers)):
        assert ours.mode == theirs.mode
        assert q.serialize(ours) == keras.quantizers.serialize(theirs)
        again = q.deserialize(q.serialize(ours))
        assert type(again) is type(ours) and q.serialize(again) == q.serialize(ours)


@pytest.mark.parametrize("make,match", [
    (lambda kq: kq.Int8QuantizationConfig(weight_quantizer=kq.AbsMaxQuantizer(output_dtype="int16")), "int8"),
    (lambda kq: kq.Int4QuantizationConfig(block_size=0), "block_size"),
    (lambda kq: kq.Int4QuantizationConfig(weight_quantizer=kq.AbsMaxQuantizer(value_range=(-8, 7))), "sub-channel"),
    (lambda kq: kq.Int4QuantizationConfig(weight_quantizer=kq.AbsMaxQuantizer(), block_size=None), "value_range"),
    (lambda kq: kq.GPTQConfig(None, None, weight_bits=5), "weight_bits"),
    (lambda kq: kq.GPTQConfig(None, None, hessian_damping=2.0), "hessian_damping"),
    (lambda kq: kq.GPTQConfig(None, None, group_size=0), "group_size"),
    (lambda kq: kq.AWQConfig(None, None, weight_bits=8), "4-bit"),
    (lambda kq: kq.AWQConfig(None, None, num_grid_points=0), "num_grid_points")])
def test_config_errors_as_keras(keras, make, match):
    for kq in (q, keras.quantizers):
        with pytest.raises(ValueError, match=match):
            make(kq)


def test_get(keras):
    assert q.get(None) is None
    assert type(q.get("AbsMaxQuantizer")) is q.AbsMaxQuantizer
    assert type(q.get("abs_max_quantizer")) is q.AbsMaxQuantizer
    assert q.get("abs_max_quantizer").axis == keras.quantizers.get("abs_max_quantizer").axis
    assert type(q.get(q.serialize(q.AbsMaxQuantizer(axis=1)))) is q.AbsMaxQuantizer
    for bad in ("no_such_quantizer", q.Int8QuantizationConfig()):
        with pytest.raises(ValueError, match="Could not interpret"):
            q.get(bad)
        with pytest.raises(ValueError, match="Could not interpret"):
            keras.quantizers.get(bad if isinstance(bad, str) else keras.quantizers.Int8QuantizationConfig())
