"""kxla.ops.array_more and array_index: shape ops, indexing, gathers, comparisons and logic against numpy."""
import math

import numpy as np
import pytest

from kxla import ops
from kxla.ir import TensorType, get_op
from kxla.ops import Builder
from op_check import check_op, rand

X = rand(2, 3, 4, seed=1)


def test_transpose():
    np.testing.assert_array_equal(check_op(lambda a: ops.transpose(a, (2, 0, 1)), X), X.transpose(2, 0, 1))
    np.testing.assert_array_equal(check_op(ops.transpose, X), X.T)
    with pytest.raises(ValueError, match="not a permutation"):
        ops.apply("transpose", X, perm=[0, 0, 1])


def test_concatenate_and_stack():
    y = rand(2, 5, 4, seed=2)
    out = check_op(lambda a, b: ops.concatenate([a, b], axis=1), X, y, batched=(0, 1))
    np.testing.assert_array_equal(out, np.concatenate([X, y], axis=1))
    out = check_op(lambda a, b: ops.concatenate([a, b], axis=0), X, X)
    np.testing.assert_array_equal(out, np.concatenate([X, X]))
    out = check_op(lambda a, b: ops.stack([a, b], axis=-1), X, X * 2, batched=(0, 1))
    np.testing.assert_array_equal(out, np.stack([X, X * 2], axis=-1))
    t = get_op("concatenate").infer_types([TensorType((None, 3)), TensorType((2, 4))], {"axis": 1})
    assert t[0].shape == (2, 7)
    with pytest.raises(ValueError, match="differ in axis 2"):
        ops.concatenate([X, rand(2, 3, 5)], axis=1)
    with pytest.raises(ValueError, match="same rank"):
        ops.concatenate([X, rand(2, 3)], axis=1)
    with pytest.raises(ValueError, match="same shape"):
        ops.stack([X, rand(2, 3, 5)])


def test_expand_dims_and_squeeze():
    np.testing.assert_array_equal(check_op(lambda a: ops.expand_dims(a, -1), X), X[..., None])
    np.testing.assert_array_equal(check_op(lambda a: ops.expand_dims(a, (1, 3)), X),
                                  np.expand_dims(X, (1, 3)))
    z = rand(2, 1, 3, 1, seed=3)
    np.testing.assert_array_equal(check_op(lambda a: ops.squeeze(a, -1), z), z[..., 0])
    np.testing.assert_array_equal(check_op(ops.squeeze, z), z.reshape(2, 3))
    with pytest.raises(ValueError, match="has size 3, not 1"):
        ops.squeeze(z, 2)
    with pytest.raises(ValueError, match="repeated axis"):
        ops.expand_dims(X, (1, 1))


def test_where():
    c = X > 0
    y = rand(2, 3, 4, seed=4)
    out = check_op(lambda cc, a, b: ops.where(cc, a, b), c, X, y, batched=(0, 1, 2))
    np.testing.assert_array_equal(out, np.where(c, X, y))
    out = check_op(lambda cc, a: ops.where(cc, a, 0.0), c, X)
    np.testing.assert_array_equal(out, np.where(c, X, 0.0))
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="x1 and x2"):
        ops.where(c)
    with pytest.raises(ValueError, match="broadcast"):
        ops.where(c, X, rand(3, 3))


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 6), (3,)])
def test_flatten_both_formats(shape):
    x = rand(*shape, seed=5)
    last = check_op(lambda a: ops.flatten(a, "channels_last"), x)
    np.testing.assert_array_equal(last, x.reshape(shape[0], -1))
    first = check_op(lambda a: ops.flatten(a, "channels_first"), np.moveaxis(x, -1, 1) if x.ndim > 2 else x)
    np.testing.assert_array_equal(first, last)      # Keras's element order in either format
    assert get_op("flatten").layout == "sensitive"


def test_flatten_unknown_inner_dim():
    t = get_op("flatten").infer_types([TensorType((None, None, 3))], {"data_format": "channels_last"})
    assert t[0].shape == (None, None)


INDICES = [
    (slice(None), 0), (Ellipsis, -1), 1, -1, (slice(None), slice(1, None), slice(None, None, 2)),
    (slice(None), None, slice(0, 2)), (Ellipsis, None), (0, Ellipsis, slice(None, None, -1)),
    (slice(None), slice(-2, None), 3), (slice(None, None, -1),), (slice(None),),
]


@pytest.mark.parametrize("idx", INDICES)
def test_getitem_matches_numpy(idx):
    out = check_op(lambda a: a[idx] if hasattr(a, "type") else ops.getitem(a, idx), X)
    np.testing.assert_array_equal(out, X[idx])


def test_getitem_on_keras_tensor_records_slice_and_squeeze():
    with Builder("t") as b:
        y = b.input(TensorType((None, 3, 4)), "x")[:, 1]
    assert [n.op for n in b.graph.nodes] == ["slice", "squeeze"]
    assert y.shape == (None, 4)
    with Builder("t") as b:
        y = b.input(TensorType((None, 3, 4)), "x")[-1]         # an int index into the unknown batch dim
    assert y.shape == (3, 4)


def test_getitem_in_functional_construction():
    from kxla.ops import KerasTensor
    y = KerasTensor(TensorType((None, 3, 4)))[:, 0, 1:]
    assert y.shape == (None, 3) and y.history is not None


@pytest.mark.parametrize("idx,match", [
    ((0, 0, 0, 0), "too many indices"), ((Ellipsis, Ellipsis), "single ellipsis"),
    ((slice(None), 5), "out of bounds"), (np.array([0, 1]), "basic indexing"), (True, "basic indexing"),
    (slice(0.5, None), "static ints"),
])
def test_getitem_errors(idx, match):
    with pytest.raises(ValueError, match=match):
        ops.getitem(X, idx)


def test_keras_slice():
    out = check_op(lambda a: ops.slice(a, (0, 1, 1), (2, 2, 3)), X)
    np.testing.assert_array_equal(out, X[0:2, 1:3, 1:4])
    with pytest.raises(ValueError, match="step entries"):
        ops.apply("slice", X, start=[None] * 3, stop=[None] * 3, step=[1, 0, 1])


@pytest.mark.parametrize("pad_width,mode,value", [
    (1, "constant", None), ((1, 2), "constant", 2.5), ([(0, 0), (1, 0), (2, 3)], "reflect", None),
    ([(0, 0), (2, 2), (0, 1)], "symmetric", None), ([(0, 0), (1, 1), (1, 1)], "edge", None),
])
def test_pad(pad_width, mode, value):
    out = check_op(lambda a: ops.pad(a, pad_width, mode, value), X)
    kwargs = {"constant_values": value} if value is not None else {}
    np.testing.assert_array_equal(out, np.pad(X, pad_width, mode=mode, **kwargs))


def test_pad_errors():
    with pytest.raises(ValueError, match="does not fit"):
        ops.pad(X, [(1, 1)] * 4)
    with pytest.raises(ValueError, match=">= 0"):
        ops.pad(X, -1)
    with pytest.raises(ValueError, match="mode"):
        ops.pad(X, 1, mode="wrapx")


def test_split():
    parts = check_op(lambda a: ops.split(a, 2, axis=2), X)
    for got, want in zip(parts, np.split(X, 2, axis=2)):
        np.testing.assert_array_equal(got, want)
    parts = check_op(lambda a: ops.split(a, [1, 3], axis=-1), X)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 2), (2, 3, 1)]
    np.testing.assert_array_equal(parts[1], X[..., 1:3])
    t = get_op("split").infer_types([TensorType((None, 4))], {"indices": [1], "axis": 0})
    assert [u.shape for u in t] == [(1, 4), (None, 4)]
    with pytest.raises(ValueError, match="equal sections"):
        ops.split(X, 3, axis=2)
    with pytest.raises(ValueError, match="increasing"):
        ops.split(X, [3, 1], axis=2)


def test_tile_and_repeat():
    np.testing.assert_array_equal(check_op(lambda a: ops.tile(a, (1, 2, 3)), X), np.tile(X, (1, 2, 3)))
    np.testing.assert_array_equal(check_op(lambda a: ops.tile(a, 2), X), np.tile(X, 2))
    np.testing.assert_array_equal(ops.tile(X, (2, 1, 1, 1)), np.tile(X, (2, 1, 1, 1)))
    np.testing.assert_array_equal(check_op(lambda a: ops.repeat(a, 3, axis=1), X), np.repeat(X, 3, axis=1))
    np.testing.assert_array_equal(ops.repeat(X, 2), np.repeat(X, 2))
    with pytest.raises(ValueError, match="integer number of repeats"):
        ops.repeat(X, [1, 2], axis=0)
    with pytest.raises(ValueError, match="one int >= 0 per axis"):
        ops.apply("tile", X, repeats=[1, 2])


def test_take():
    idx = np.array([[2, 0], [1, 1]], dtype="int32")
    out = check_op(lambda a, i: ops.take(a, i, axis=2), X, idx, batched=(0,))
    np.testing.assert_array_equal(out, np.take(X, idx, axis=2))
    table = rand(10, 3, seed=6)
    out = check_op(lambda t, i: ops.take(t, i, axis=0), table, np.array([[1, 9, 9]], "int32"), batched=(1,))
    np.testing.assert_array_equal(out, table[[[1, 9, 9]]])
    np.testing.assert_array_equal(ops.take(X, [0, 5]), np.take(X, [0, 5]))
    with pytest.raises(ValueError, match="integers"):
        ops.take(X, np.array([0.5]), axis=0)


def test_one_hot():
    labels = np.array([[0, 2], [1, 5]], dtype="int32")           # 5 is out of range -> all zeros
    out = check_op(lambda a: ops.one_hot(a, 4), labels)
    np.testing.assert_array_equal(out, np.eye(6, 4, dtype="float32")[labels])
    out = check_op(lambda a: ops.one_hot(a, 3, axis=0, dtype="int32"), labels)
    assert out.shape == (3, 2, 2) and out.dtype == np.int32
    # float ids are compared exactly, as Keras's one_hot (the Keras guides pass float32 labels)
    np.testing.assert_array_equal(np.asarray(ops.one_hot(np.array([1.0, 2.7], "float32"), 3)),
                                  [[0, 1, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="class ids"):
        ops.one_hot(np.array([True, False]), 3)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name):
    fn, ref = getattr(ops, name), getattr(np, name)
    out = check_op(lambda a: fn(a, axis=1), X)
    np.testing.assert_array_equal(out, ref(X, axis=1))
    assert out.dtype == np.int32
    out = check_op(lambda a: fn(a, axis=-1, keepdims=True), X)
    np.testing.assert_array_equal(out, ref(X, axis=-1, keepdims=True))
    assert int(fn(X)) == ref(X)
    assert fn(X, keepdims=True).shape == (1, 1, 1)


def test_clip_erf_and_fills():
    np.testing.assert_array_equal(check_op(lambda a: ops.clip(a, -0.5, 0.5), X), np.clip(X, -0.5, 0.5))
    ints = np.arange(-3, 3, dtype="int32").reshape(2, 3)
    out = check_op(lambda a: ops.clip(a, -1, 1), ints)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, np.clip(ints, -1, 1))
    np.testing.assert_allclose(ops.clip(X, np.zeros(4, "float32"), 1.0), np.clip(X, 0, 1))
    np.testing.assert_allclose(check_op(ops.erf, X), np.vectorize(math.erf)(X), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(check_op(ops.zeros_like, X), np.zeros_like(X))
    out = check_op(lambda a: ops.ones_like(a, dtype="int32"), X)
    assert out.dtype == np.int32 and np.all(out == 1)


def test_tensordot_and_einsum():
    w = rand(4, 5, seed=7)
    np.testing.assert_allclose(check_op(lambda a, b: ops.tensordot(a, b, 1), X, w, batched=(0,)),
                               np.tensordot(X, w, 1), rtol=1e-5, atol=1e-5)
    v = rand(3, 4, 6, seed=8)
    np.testing.assert_allclose(check_op(lambda a, b: ops.tensordot(a, b, ([1, 2], [0, 1])), X, v),
                               np.tensordot(X, v, ([1, 2], [0, 1])), rtol=1e-5, atol=1e-5)
    y = rand(2, 4, 5, seed=9)
    np.testing.assert_allclose(check_op(lambda a, b: ops.einsum("bij,bjk->bik", a, b), X, y, batched=(0, 1)),
                               np.einsum("bij,bjk->bik", X, y), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(check_op(lambda a: ops.einsum("...ij->...ji", a), X), np.swapaxes(X, -1, -2))
    np.testing.assert_allclose(check_op(lambda a, b: ops.einsum("bij,jk", a, b), X, w),
                               np.einsum("bij,jk", X, w), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(check_op(lambda a: ops.einsum("bii->b", a), rand(2, 3, 3)),
                               np.einsum("bii->b", rand(2, 3, 3)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="differ in size"):
        ops.tensordot(X, rand(3, 5), 1)
    with pytest.raises(ValueError, match="has sizes 4 and 3"):
        ops.einsum("bij,jk->bik", X, rand(3, 5))
    with pytest.raises(ValueError, match="does not appear"):
        ops.einsum("bij->bz", X)
    with pytest.raises(ValueError, match="names 1 operand"):
        ops.einsum("bij", X, X)


@pytest.mark.parametrize("name", ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal"])
def test_comparisons(name):
    y = np.where(rand(2, 3, 4, seed=10) > 0, X, 0.0).astype("float32")
    out = check_op(lambda a, b: getattr(ops, name)(a, b), X, y, batched=(0, 1))
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, getattr(np, name)(X, y))
    np.testing.assert_array_equal(getattr(ops, name)(X, 0.0), getattr(np, name)(X, 0.0))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical(name):
    a, b = X > 0, rand(2, 3, 4, seed=11) > 0
    out = check_op(lambda p, q: getattr(ops, name)(p, q), a, b)
    np.testing.assert_array_equal(out, getattr(np, name)(a, b))
    np.testing.assert_array_equal(check_op(ops.logical_not, a), ~a)
    np.testing.assert_array_equal(ops.logical_and(X, 1.0), np.logical_and(X, 1.0))


# -- layout declarations ---------------------------------------------------------------------------
EXPECTED_LAYOUT = {
    "transpose": "opaque", "concatenate": "axis", "stack": "opaque", "expand_dims": "opaque",
    "squeeze": "axis", "flatten": "sensitive", "slice": "axis", "pad": "axis", "split": "axis",
    "tile": "axis", "repeat": "axis", "take": "opaque", "one_hot": "opaque", "argmax": "axis",
    "argmin": "axis", "where": "agnostic", "clip": "agnostic", "erf": "agnostic", "zeros_like": "agnostic",
    "ones_like": "agnostic", "tensordot": "opaque", "einsum": "opaque", "equal": "agnostic",
    "less": "agnostic", "logical_not": "agnostic", "logical_and": "agnostic",
}


def test_layouts_declared():
    for name, layout in EXPECTED_LAYOUT.items():
        assert get_op(name).layout == layout, name


PERM = [0, 2, 3, 1]          # NHWC -> NCHW: new axis i is old axis PERM[i]
Y = rand(2, 3, 4, 5, seed=12)


@pytest.mark.parametrize("name,attrs", [
    ("concatenate", {"axis": -1}), ("split", {"indices": [2], "axis": 3}),
    ("tile", {"repeats": [1, 2, 1, 3]}),
    ("repeat", {"repeats": 2, "axis": 1}), ("pad", {"pad_width": [[0, 0], [1, 0], [0, 2], [1, 1]]}),
    ("slice", {"start": [None, 1, None, 0], "stop": [None, None, 3, 4], "step": [1, 1, 2, 2]}),
    ("argmax", {"axis": 2, "keepdims": True}),
])
def test_axis_ops_commute_with_a_layout_change(name, attrs):
    """f(x) in the new layout == f(x in the new layout) with the remapped attributes."""
    import jax.numpy as jnp
    opdef = get_op(name)
    attrs = opdef.normalize_attrs(attrs)
    inputs = [Y, Y] if name == "concatenate" else [Y]
    before = ops.apply(name, *inputs, **attrs)
    after = ops.apply(name, *[jnp.transpose(a, PERM) for a in inputs], **opdef.remap_axes(attrs, PERM))
    as_list = lambda r: list(r) if isinstance(r, tuple) else [r]       # noqa: E731  (split gives several)
    for b, a in zip(as_list(before), as_list(after)):
        np.testing.assert_array_equal(np.transpose(np.asarray(b), PERM), a)
