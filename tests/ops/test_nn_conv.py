"""kxla.ops.nn_conv: conv, depthwise conv, transposed conv and pooling against numpy references."""
import math

import numpy as np
import pytest

from kxla import ops
from kxla.ir import TensorType, get_op
from op_check import check_op, rand

FORMATS = ["channels_last", "channels_first"]


# -- numpy references (channels_last; channels_first goes through a transpose) --------------------
def _to_last(x):
    return np.moveaxis(x, 1, -1)


def _to_first(x):
    return np.moveaxis(x, -1, 1)


def _same_pads(sizes, windows, strides):
    pads = []
    for size, w, s in zip(sizes, windows, strides):
        out = -(-size // s)
        total = max((out - 1) * s + w - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _patches(x, windows, strides, dilation, fill):
    """Yield (offset, patch) for each window offset; x is (B, spatial..., C), already padded."""
    n = x.ndim - 2
    spans = [(w - 1) * d + 1 for w, d in zip(windows, dilation)]
    outs = [(x.shape[1 + i] - spans[i]) // strides[i] + 1 for i in range(n)]
    for offset in np.ndindex(*windows):
        index = tuple(slice(o * d, o * d + (out - 1) * s + 1, s)
                      for o, d, out, s in zip(offset, dilation, outs, strides))
        yield offset, x[(slice(None),) + index + (slice(None),)]


def np_conv(x, k, strides, padding, dilation, groups=1):
    x = x.astype(np.float64)
    n = x.ndim - 2
    spans = [(k.shape[i] - 1) * dilation[i] + 1 for i in range(n)]
    if padding == "same":
        x = np.pad(x, [(0, 0)] + _same_pads(x.shape[1:-1], spans, strides) + [(0, 0)])
    cin, cout = x.shape[-1], k.shape[-1]
    cg, og = cin // groups, cout // groups
    y = None
    for offset, patch in _patches(x, k.shape[:n], strides, dilation, 0.0):
        w = k[offset].astype(np.float64)
        part = np.concatenate([patch[..., g * cg:(g + 1) * cg] @ w[:, g * og:(g + 1) * og]
                               for g in range(groups)], axis=-1)
        y = part if y is None else y + part
    return y


def np_conv_transpose(x, k, strides, padding, dilation, output_padding=None):
    """Scatter form: each input pixel adds K[offset] @ x at i*stride + offset*dilation, then crop/pad."""
    from kxla.ops.nn_conv import transpose_padding
    x = x.astype(np.float64)
    n = x.ndim - 2
    spans = [(k.shape[i] - 1) * dilation[i] + 1 for i in range(n)]
    full = [(x.shape[1 + i] - 1) * strides[i] + spans[i] for i in range(n)]
    y = np.zeros((x.shape[0], *full, k.shape[-2]))
    for offset in np.ndindex(*k.shape[:n]):
        w = k[offset].astype(np.float64)          # (out, in)
        index = tuple(slice(o * d, o * d + (x.shape[1 + i] - 1) * s + 1, s)
                      for i, (o, d, s) in enumerate(zip(offset, dilation, strides)))
        y[(slice(None),) + index + (slice(None),)] += x @ w.T
    for i in range(n):
        left, right = transpose_padding(k.shape[i], strides[i], dilation[i], padding,
                                        None if output_padding is None else output_padding[i])
        length = (x.shape[1 + i] - 1) * strides[i] + 1 + left + right - spans[i] + 1
        start = spans[i] - 1 - left
        y = np.pad(y, [(0, 0)] * (1 + i) + [(0, max(0, start + length - y.shape[1 + i]))] +
                   [(0, 0)] * (n - i))
        y = np.take(y, np.arange(start, start + length), axis=1 + i)
    return y


def np_pool(x, windows, strides, padding, kind):
    x = x.astype(np.float64)
    if padding == "same":
        x = np.pad(x, [(0, 0)] + _same_pads(x.shape[1:-1], windows, strides) + [(0, 0)],
                   constant_values=np.nan)
    stacked = np.stack([p for _, p in _patches(x, windows, strides, (1,) * len(windows), np.nan)])
    return np.nanmax(stacked, axis=0) if kind == "max" else np.nanmean(stacked, axis=0)


def _in_format(x_last, fmt):
    return x_last if fmt == "channels_last" else _to_first(x_last)


def _out_format(y_last, fmt):
    return y_last if fmt == "channels_last" else _to_first(y_last)


# -- conv ---------------------------------------------------------------------------------------
CONV_CASES = [
    # spatial shape, kernel, strides, padding, dilation, groups
    ((9,), (3,), (2,), "valid", (1,), 1),
    ((8,), (4,), (1,), "same", (2,), 2),
    ((7, 6), (3, 3), (1, 1), "valid", (1, 1), 1),
    ((7, 6), (3, 2), (2, 3), "same", (1, 1), 1),
    ((8, 8), (3, 3), (1, 1), "same", (2, 2), 2),
    ((5, 4, 6), (2, 3, 3), (1, 2, 2), "same", (1, 1, 1), 1),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation,groups", CONV_CASES)
def test_conv_matches_numpy(fmt, spatial, kernel, strides, padding, dilation, groups):
    cin, cout = 4, 6
    x_last = rand(2, *spatial, cin, seed=1)
    k = rand(*kernel, cin // groups, cout, seed=2)
    x = _in_format(x_last, fmt)
    out = check_op(lambda a, b: ops.conv(a, b, strides=strides, padding=padding, data_format=fmt,
                                         dilation_rate=dilation), x, k)
    expected = _out_format(np_conv(x_last, k, strides, padding, dilation, groups), fmt)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_conv_op_names_and_attrs():
    x, k = rand(1, 5, 5, 2), rand(3, 3, 2, 4)
    from kxla.ops import Builder
    with Builder("t") as b:
        y = ops.conv(b.input(TensorType((None, 5, 5, 2)), "x"), k, strides=2, padding="SAME",
                     data_format="channels_last")
    node = b.graph.nodes[-1]
    assert node.op == "conv"
    assert node.attrs == {"strides": [2, 2], "padding": "same", "data_format": "channels_last",
                          "dilation_rate": [1, 1], "groups": 1, "activation": "linear"}
    assert y.shape == (None, 3, 3, 4)
    assert get_op("conv").layout == "sensitive" and get_op("conv2d") is get_op("conv")   # old name
    assert ops.conv(x, k).shape == (1, 3, 3, 4)
    assert ops.conv(x, k, strides=np.int64(2)).shape == (1, 2, 2, 4)


def test_conv_unknown_spatial_dims_stay_unknown():
    t = get_op("conv").infer_types([TensorType((None, None, 7, 3)), TensorType((3, 3, 3, 8))],
                                   get_op("conv").normalize_attrs({"strides": [1, 2]}))
    assert t[0].shape == (None, None, 3, 8)


@pytest.mark.parametrize("call,match", [
    (lambda: ops.conv(rand(1, 5, 5, 3), rand(3, 3, 2, 4)), "divisible"),
    (lambda: ops.conv(rand(1, 5, 5, 4), rand(3, 3, 2, 3)), "not divisible by groups"),
    (lambda: ops.conv(rand(1, 5, 5, 3), rand(3, 3, 3, 4), padding="full"), "padding"),
    (lambda: ops.conv(rand(1, 5, 5, 3), rand(3, 3, 3, 4), strides=(1, 2, 3)), "strides"),
    (lambda: ops.conv(rand(1, 2, 2, 3), rand(3, 3, 3, 4)), "does not fit"),
    (lambda: ops.conv(rand(5, 3), rand(3, 3, 4)), "rank"),
    (lambda: ops.conv(rand(1, 5, 5, 3), rand(3, 3, 3, 4), strides=0), ">= 1"),
])
def test_conv_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# -- depthwise ----------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation", [
    ((9,), (3,), (2,), "same", (1,)),
    ((7, 6), (3, 3), (1, 1), "valid", (2, 1)),
    ((7, 6), (2, 3), (2, 2), "same", (1, 1)),
])
def test_depthwise_conv_matches_numpy(fmt, spatial, kernel, strides, padding, dilation):
    cin, mult = 3, 2
    x_last = rand(2, *spatial, cin, seed=3)
    k = rand(*kernel, cin, mult, seed=4)
    out = check_op(lambda a, b: ops.depthwise_conv(a, b, strides, padding, fmt, dilation),
                   _in_format(x_last, fmt), k)
    grouped = k.reshape(*kernel, 1, cin * mult)     # channel c, multiplier m -> output c * mult + m
    expected = np_conv(x_last, grouped, strides, padding, dilation, groups=cin)
    np.testing.assert_allclose(out, _out_format(expected, fmt), rtol=1e-4, atol=1e-4)


def test_depthwise_conv_errors():
    with pytest.raises(ValueError, match="expects 4"):
        ops.depthwise_conv(rand(1, 5, 5, 3), rand(3, 3, 4, 1))
    with pytest.raises(ValueError, match="rank"):
        ops.depthwise_conv(rand(1, 5, 5, 5, 3), rand(3, 3, 3, 3, 1))


# -- transposed conv ---------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("spatial,kernel,strides,padding,dilation,output_padding", [
    ((5,), (3,), (2,), "valid", (1,), None),
    ((5,), (4,), (2,), "same", (1,), None),
    ((4, 5), (3, 3), (2, 2), "same", (1, 1), None),
    ((4, 5), (3, 2), (2, 3), "valid", (1, 1), (1, 0)),
    ((4, 5), (3, 3), (1, 1), "same", (2, 2), None),
    ((4, 5), (1, 1), (3, 3), "valid", (1, 1), None),
    ((3, 3, 2), (2, 2, 2), (2, 1, 2), "same", (1, 1, 1), (1, 0, 0)),
])
def test_conv_transpose_matches_numpy(fmt, spatial, kernel, strides, padding, dilation, output_padding):
    cin, cout = 3, 2
    x_last = rand(2, *spatial, cin, seed=5)
    k = rand(*kernel, cout, cin, seed=6)
    out = check_op(lambda a, b: ops.conv_transpose(a, b, strides, padding, output_padding, fmt, dilation),
                   _in_format(x_last, fmt), k)
    expected = np_conv_transpose(x_last, k, strides, padding, dilation, output_padding)
    np.testing.assert_allclose(out, _out_format(expected, fmt), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("padding,strides,size,kernel,expected", [
    ("same", 2, 5, 3, 10), ("same", 3, 4, 2, 12),       # in * stride
    ("valid", 2, 5, 3, 11), ("valid", 3, 4, 2, 12),     # (in - 1) * stride + max(kernel, stride)
])
def test_conv_transpose_default_lengths(padding, strides, size, kernel, expected):
    y = ops.conv_transpose(rand(1, size, 1), rand(kernel, 1, 1), strides=strides, padding=padding)
    assert y.shape == (1, expected, 1)


def test_conv_transpose_matches_keras(keras):
    x, k = rand(2, 5, 6, 3, seed=7), rand(3, 3, 4, 3, seed=8)
    for padding in ("valid", "same"):
        for output_padding in (None, 1):
            ours = ops.conv_transpose(x, k, 2, padding, output_padding)
            ref = keras.ops.conv_transpose(x, k, 2, padding, output_padding)
            np.testing.assert_allclose(ours, np.asarray(ref), rtol=1e-5, atol=1e-5)


def test_conv_transpose_errors():
    with pytest.raises(ValueError, match="expects 4"):
        ops.conv_transpose(rand(1, 5, 5, 3), rand(3, 3, 2, 4))
    with pytest.raises(ValueError, match="output_padding"):
        ops.conv_transpose(rand(1, 5, 5, 3), rand(3, 3, 2, 3), output_padding=(1, 2, 3))


# -- pooling -----------------------------------------------------------------------------------
POOL_CASES = [
    ((9,), (3,), (2,), "valid"),
    ((9,), (2,), (2,), "same"),
    ((7, 6), (2, 2), (2, 2), "valid"),
    ((7, 6), (3, 3), (2, 2), "same"),
    ((5, 5), (3, 2), (1, 3), "same"),
    ((4, 5, 6), (2, 2, 3), (2, 2, 2), "same"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("spatial,pool,strides,padding", POOL_CASES)
def test_pooling_matches_numpy(fmt, kind, spatial, pool, strides, padding):
    x_last = rand(2, *spatial, 3, seed=9)
    fn = ops.max_pool if kind == "max" else ops.average_pool
    out = check_op(lambda a: fn(a, pool, strides, padding, fmt), _in_format(x_last, fmt))
    expected = np_pool(x_last, pool, strides, padding, "max" if kind == "max" else "avg")
    np.testing.assert_allclose(out, _out_format(expected, fmt), rtol=1e-5, atol=1e-5)


def test_average_pool_same_divides_by_real_elements():
    x = np.ones((1, 3, 3, 1), "float32")
    y = np.asarray(ops.average_pool(x, 2, 2, "same"))
    np.testing.assert_allclose(y, np.ones((1, 2, 2, 1)))      # no zero padding dragging edges down


def test_pool_strides_default_to_pool_size_and_op_names():
    assert ops.max_pool(rand(1, 8, 8, 2), 2).shape == (1, 4, 4, 2)
    from kxla.ops import Builder
    with Builder("t") as b:
        ops.average_pool(b.input(TensorType((None, 2, 8, 8)), "x"), (2, 2), data_format="channels_first")
    assert b.graph.nodes[-1].op == "avg_pool"
    assert b.graph.nodes[-1].attrs["strides"] == [2, 2]
    assert get_op("max_pool").layout == get_op("avg_pool").layout == "sensitive"
    for n in (1, 2, 3):                                   # the old rank-suffixed names are aliases
        assert get_op(f"max_pool{n}d") is get_op("max_pool") and get_op(f"avg_pool{n}d") is get_op("avg_pool")


def test_max_pool_integer_input():
    x = np.arange(16, dtype="int32").reshape(1, 4, 4, 1) - 20
    y = ops.max_pool(x, 2, padding="same")
    np.testing.assert_array_equal(np.asarray(y)[0, :, :, 0], [[-15, -13], [-7, -5]])


@pytest.mark.parametrize("call,match", [
    (lambda: ops.max_pool(rand(1, 2, 2, 1), 3), "does not fit"),
    (lambda: ops.max_pool(rand(1, 4, 4, 1), (2, 2, 2)), "pool_size"),
    (lambda: ops.average_pool(rand(4, 4), 2), "rank"),
    (lambda: ops.average_pool(rand(1, 4, 4, 1), 2, padding="causal"), "padding"),
    (lambda: ops.max_pool(rand(1, 4, 4, 1), 2, data_format="nhwc"), "data_format"),
    (lambda: ops.average_pool(np.ones((1, 4, 4, 1), "int32"), 2), "floating-point"),
])
def test_pool_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_window_output_length():
    from kxla.ops.nn_conv import window_output_length
    assert window_output_length("t", 10, 3, 2, 1, "valid") == 4
    assert window_output_length("t", 10, 3, 3, 1, "same") == math.ceil(10 / 3)
    assert window_output_length("t", None, 3, 3, 1, "same") is None
