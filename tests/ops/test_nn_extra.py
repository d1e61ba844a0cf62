"""kxla.ops.nn_extra: resize against jax.image.resize in both data formats, schema and errors."""
import jax
import numpy as np
import pytest

from kxla import ops
from kxla.ir import TensorType, get_op
from kxla.ops.tracing import KerasTensor
from op_check import check_op, rand


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resize_matches_jax_image_resize(interpolation, data_format):
    x = rand(2, 3, 4, 5)                       # channels_last: (2, 3, 4, 5); channels_first: C = 3
    size = (5, 7)
    out = check_op(lambda t: ops.resize(t, size, interpolation=interpolation, data_format=data_format), x)
    full = (2, *size, 5) if data_format == "channels_last" else (2, 3, *size)
    expected = jax.image.resize(x, full, method=interpolation, antialias=False)
    np.testing.assert_allclose(out, np.asarray(expected), rtol=1e-5, atol=1e-6)


def test_resize_downsampling_with_antialias():
    x = rand(1, 8, 8, 2)
    out = check_op(lambda t: ops.resize(t, (3, 4), antialias=True), x)
    np.testing.assert_allclose(out, np.asarray(jax.image.resize(x, (1, 3, 4, 2), "bilinear", antialias=True)),
                               rtol=1e-5, atol=1e-6)


def test_resize_schema_and_errors():
    opdef = get_op("resize")
    assert opdef.layout == "sensitive" and "data_format" in opdef.attrs
    with pytest.raises(ValueError, match="rank 4"):
        ops.resize(rand(3, 4), (2, 2))
    with pytest.raises(ValueError, match="interpolation"):
        ops.resize(rand(1, 3, 4, 2), (2, 2), interpolation="area")
    with pytest.raises(ValueError, match="floating-point"):
        ops.resize(np.ones((1, 2, 2, 1), np.int32), (4, 4))
    with pytest.raises(ValueError, match="not supported"):
        ops.resize(rand(1, 3, 4, 2), (2, 2), crop_to_aspect_ratio=True)
    np.testing.assert_array_equal(ops.resize(np.ones((1, 2, 2, 1), np.int32), (4, 4), interpolation="nearest"),
                                  np.ones((1, 4, 4, 1), np.int32))


def test_resize_survives_the_layout_pass():
    from kxla.testing.ir import run_pass
    from kxla.testing.numerics import assert_semantics_preserved
    from op_check import trace
    graph, _, _ = trace(lambda t: ops.resize(t, (6, 10), data_format="channels_first"), [rand(2, 3, 4, 5)])
    assert_semantics_preserved("convert-layout{to=channels_last}", graph, grads=False)
    converted, _ = run_pass("convert-layout{to=channels_last}", graph)
    assert [n.attrs["data_format"] for n in converted.nodes if n.op == "resize"] == ["channels_last"]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_resize_of_one_rank3_image_matches_keras(keras, data_format):
    image = np.random.default_rng(0).random((5, 6, 3) if data_format == "channels_last" else (3, 5, 6))
    image = image.astype("float32")
    expected = np.asarray(keras.ops.image.resize(image, (4, 9), data_format=data_format))
    np.testing.assert_allclose(np.asarray(ops.image.resize(image, (4, 9), data_format=data_format)), expected,
                               rtol=1e-6, atol=1e-6)
    symbolic = ops.image.resize(KerasTensor(TensorType(image.shape, "float32")), (4, 9), data_format=data_format)
    assert tuple(symbolic.shape) == expected.shape
