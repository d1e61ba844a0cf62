"""A Python float meeting an integer or bool tensor promotes it to float32, as keras.ops does (never truncates)."""
import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kxla  # noqa: E402


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power"])
@pytest.mark.parametrize("dtype", ["int32", "bool"])
def test_eager_and_symbolic_match_keras(op, dtype):
    x = np.array([1, 0, 3], dtype) if dtype == "int32" else np.array([True, False, True])
    want = np.asarray(getattr(keras.ops, op)(x, 0.5))
    got = np.asarray(getattr(kxla.ops, op)(x, 0.5))
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-6)
    inputs = kxla.Input((3,), dtype=dtype)
    model = kxla.Model(inputs, getattr(kxla.ops, op)(inputs, 0.5))
    np.testing.assert_allclose(model.predict(x[None], verbose=0)[0], want, rtol=1e-6)


def test_integer_scalars_keep_the_integer_dtype():
    x = np.array([1, 2, 3], "int32")
    assert np.asarray(kxla.ops.multiply(x, 2)).dtype == np.int32
    assert (kxla.Input((3,), dtype="int32") + 1).dtype == "int32"
