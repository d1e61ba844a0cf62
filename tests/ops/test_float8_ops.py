"""The float8 ops against Keras 3's quantizer functions: forward values, and the gradients that carry the
next scale and amax history (Keras's ``quantized_dequantize_inputs`` / ``_outputs`` custom gradients)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType, get_op
from kxla.ops.core import LowerContext

RNG = np.random.RandomState(1)


def _lower(name, *args, **attrs):
    op = get_op(name)
    return op.lower(LowerContext(), *args, **op.normalize_attrs(attrs))


@pytest.mark.parametrize("name,dtype,amax", [("float8_qdq", "float8_e4m3fn", 3.0),
                                              ("float8_grad_qdq", "float8_e5m2", 0.0)])
def test_values_and_gradients_match_keras(keras, name, dtype, amax):
    kq = keras.quantizers
    x = jnp.asarray(RNG.randn(3, 5).astype("float32") * 40)
    g = jnp.asarray(RNG.randn(3, 5).astype("float32") * 1e-3)
    scale = jnp.asarray(0.05, "float32")
    history = jnp.zeros((8,), "float32").at[2].set(amax)
    y, vjp = jax.vjp(lambda a, s, h: _lower(name, a, s, h, dtype=dtype), x, scale, history)
    dx, dscale, dhistory = vjp(g)
    fmax = jnp.asarray(float(jnp.finfo(dtype).max), "float32")
    new_scale = kq.compute_float8_scale(jnp.max(history), scale, fmax)
    if name == "float8_qdq":
        expect_y, expect_dx, seen = kq.quantize_and_dequantize(x, scale, dtype, "float32"), g, x
    else:
        expect_y, expect_dx, seen = x, kq.quantize_and_dequantize(g, scale, dtype, "float32"), g
    np.testing.assert_array_equal(np.asarray(y), np.asarray(expect_y))
    np.testing.assert_array_equal(np.asarray(dx), np.asarray(expect_dx))
    np.testing.assert_array_equal(np.asarray(dscale), np.asarray(new_scale))
    np.testing.assert_array_equal(np.asarray(dhistory), np.asarray(kq.compute_float8_amax_history(seen, history)))


def test_shape_rule_and_checks():
    op = get_op("float8_qdq")
    x, s, h = TensorType((None, 4), "float32"), TensorType((), "float32"), TensorType((16,), "float32")
    assert op.infer_types([x, s, h], op.normalize_attrs({})) == [x]
    with pytest.raises(ValueError, match="float tensor"):
        op.infer_types([TensorType((2,), "int32"), s, h], op.normalize_attrs({}))
    with pytest.raises(ValueError, match="scalar scale"):
        op.infer_types([x, h, h], op.normalize_attrs({}))
    with pytest.raises(ValueError, match="float8"):
        op.normalize_attrs({"dtype": "int8"})
    assert kxla.ir.get_op("float8_grad_qdq").normalize_attrs({})["dtype"] == "float8_e5m2"
