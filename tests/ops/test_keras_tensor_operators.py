"""Python operators and properties of symbolic tensors, as Keras's KerasTensor has them, against Keras."""
import operator

import numpy as np
import pytest

import kxla
from kxla.ir import TensorType
from op_check import check_op

keras = pytest.importorskip("keras")

A = np.random.default_rng(1).uniform(-2, 2, size=(2, 3)).astype("float32")
B = np.random.default_rng(2).uniform(0.5, 2, size=(3,)).astype("float32")
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow, operator.floordiv,
          operator.mod, operator.lt, operator.le, operator.gt, operator.ge, operator.ne]
UNARY = [operator.neg, operator.abs, lambda x: ~(x > 0), lambda x: (x > 0) & (x < 1),
         lambda x: (x > 0) | (x < -1), lambda x: (x > 0) ^ (x < 1), lambda x: x.reshape((3, 2)),
         lambda x: x[None, :1].squeeze(0)]


def _keras_eager(fn, *arrays):
    return np.asarray(fn(*[keras.ops.convert_to_tensor(a) for a in arrays]))


@pytest.mark.parametrize("fn", BINARY, ids=lambda f: f.__name__)
def test_binary_operators(fn):
    out = check_op(fn, A, B, batched=(0,))
    expected = _keras_eager(fn, A, B)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == expected.dtype
    rev = check_op(lambda a: fn(1.5, a), B)          # reflected operators with a Python scalar
    np.testing.assert_allclose(rev, _keras_eager(lambda a: fn(1.5, a), B), rtol=1e-6)


@pytest.mark.parametrize("i", range(len(UNARY)))
def test_unary_operators(i):
    out = check_op(UNARY[i], A, batched=())
    expected = _keras_eager(UNARY[i], A)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == expected.dtype


def test_matmul_operator():
    m = np.ones((3, 4), "float32")
    np.testing.assert_allclose(check_op(lambda a, b: a @ b, A, m), A @ m, rtol=1e-6)
    np.testing.assert_allclose(check_op(lambda b: m.T @ b, B, batched=()), m.T @ B, rtol=1e-6)


@pytest.mark.parametrize("key", [0, -1, (slice(None), 1), (Ellipsis, 2), (slice(None, None, -1),),
                                 (None, slice(1, None)), (1, slice(0, 3, 2))], ids=str)
def test_indexing_and_slicing(key):
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    out = check_op(lambda a: a[key], x, batched=())
    np.testing.assert_array_equal(out, x[key])
    sym = kxla.KerasTensor(TensorType((2, 3, 4), "float32"))[key]
    assert sym.shape == keras.KerasTensor((2, 3, 4))[key].shape


def test_properties_and_errors():
    t = kxla.KerasTensor(TensorType((None, 3), "int32"))
    k = keras.KerasTensor((None, 3), dtype="int32")
    assert (t.shape, t.dtype, t.ndim) == (k.shape, k.dtype, k.ndim)
    assert t == t and isinstance(t != 1, kxla.KerasTensor)        # == is identity, as in Keras
    assert round(t).dtype == "int32" and round(kxla.KerasTensor(TensorType((2,), "float32"))).shape == (2,)
    assert {t: 1}[t] == 1
    for convert in (int, float, np.asarray):
        with pytest.raises(ValueError, match="symbolic"):
            convert(t)
    with pytest.raises(TypeError, match="truth value"):
        bool(t)


def test_where_on_a_comparison_in_a_model():
    """``ops.where(x > 0, x, 0.1 * x)`` (the issue's example) inside a functional model."""
    inp = kxla.Input((3,))
    out = kxla.ops.where(inp > 0, inp, 0.1 * inp)
    model = kxla.Model(inp, out)
    np.testing.assert_allclose(model.predict(A, verbose=0), np.where(A > 0, A, 0.1 * A), rtol=1e-6)
