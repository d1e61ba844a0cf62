"""Hypothesis strategies for pass tests: ``graphs()`` draws small random valid graphs.

    from hypothesis import given, settings
    from kxla.testing.strategies import graphs

    @settings(max_examples=200, deadline=None)
    @given(graphs())
    def test_my_pass(graph):
        assert_semantics_preserved("my-pass", graph, n=1)

Each graph starts from one input, either features ``f32[?,F]`` or an image in
a random ``data_format``, and applies a few random steps: activations,
algebraic identities (``x*1``, ``x+0``, ``--x``, no-op casts, reshape and
transpose chains), constant-only subgraphs, dense layers (matmul, bias_add,
activation, inference batch_norm), parallel matmuls on one input, conv
(+ bias, batch norm, activation), pooling, flatten, transposes, reductions,
softmax, merges (add/multiply/concatenate of two branches), dropout (rate 0 or 1),
and state updates. Some values are left unused (for dce). Every graph
verifies, and its shapes are tiny so lowering it is fast.
"""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..ir import Graph, Node, TensorType, Value, get_op, has_op

__all__ = ["graphs"]

UNARY = ("relu", "sigmoid", "tanh", "gelu", "elu", "selu", "softplus", "negative", "abs", "square")
ACTIVATIONS = ("relu", "sigmoid", "tanh", "gelu")


class _Builder:
    """Builds a Graph node by node, inferring types (a small stand-in for kxla.ops tracing)."""

    def __init__(self):
        self.g = Graph("random")
        self.meta: dict[int, str | None] = {}    # id(value) -> data_format of an image value
        self.counter = 0

    def _name(self, base):
        self.counter += 1
        return f"{base}{self.counter}"

    def input(self, shape, fmt=None):
        v = Value(TensorType(tuple(shape)), name="x", kind="input")
        self.g.inputs.append(v)
        self.meta[id(v)] = fmt
        return v

    def param(self, shape, base="w"):
        v = Value(TensorType(tuple(shape)), name=self._name(base), kind="param")
        self.g.params.append(v)
        return v

    def state(self, shape, base="s"):
        v = Value(TensorType(tuple(shape)), name=self._name(base), kind="state")
        self.g.state.append(v)
        return v

    def op(self, name, *inputs, fmt=None, **attrs):
        opdef = get_op(name)
        attrs = opdef.normalize_attrs(attrs)
        types = opdef.infer_types([v.type for v in inputs], attrs)
        node = Node(name, inputs, attrs, types, layer=f"{name}_{len(self.g.nodes)}")
        self.g.nodes.append(node)
        for r in node.results:
            self.meta[id(r)] = fmt
        return node.results[0] if len(node.results) == 1 else tuple(node.results)

    def constant(self, value, shape=()):
        arr = np.broadcast_to(np.asarray(value, dtype="float32"), shape)
        return self.op("constant", value=arr.tolist() if shape else float(value), shape=list(shape),
                       dtype="float32")


def _channel_axis(fmt, rank):
    return rank - 1 if fmt == "channels_last" else 1


@st.composite
def graphs(draw, max_steps: int = 6, images: bool = True, batch_norm: bool = True):
    """A random valid ``kxla.ir.Graph`` (see module doc).

    Arguments:
      max_steps: at most this many construction steps (each adds 1-5 nodes).
      images: allow image inputs with convs and pooling (when those ops are registered).
      batch_norm: allow inference batch_norm after dense and conv layers.
    """
    import kxla.ops  # noqa: F401  (registers the ops)
    b = _Builder()
    has_conv = images and has_op("conv")
    if has_conv and draw(st.booleans()):
        fmt = draw(st.sampled_from(["channels_last", "channels_first"]))
        c, h, w = 2, 4, 5                                  # few distinct shapes keep lowering caches warm
        x = b.input((None, h, w, c) if fmt == "channels_last" else (None, c, h, w), fmt)
    else:
        x = b.input((None, 3))
    values = [x]
    steps = draw(st.integers(1, max_steps))
    for _ in range(steps):
        v = draw(st.sampled_from(values))
        t = v.type
        fmt = b.meta.get(id(v))
        known = t.shape[0] is None and None not in t.shape[1:]     # batch-major with static features
        choices = ["unary", "identity", "merge", "self_merge"] + (["constants"] if known else [])
        if t.rank == 2:
            choices += ["transpose2", "softmax", "concat"]
            choices += ["dense", "dense", "parallel", "reshape"] if known else []
        if t.rank == 4:
            choices += ["transpose4", "reduce", "softmax", "concat"]
            if fmt is not None and has_conv:
                choices += ["conv", "conv", "pool", "flatten"]
        if has_op("dropout"):
            choices.append("dropout")
        if batch_norm:
            choices.append("update")
        kind = draw(st.sampled_from(choices))
        new = _STEPS[kind](draw, b, v, values, batch_norm)
        if new is not None:
            values.append(new)
    outs = [values[-1]]
    extra = draw(st.sampled_from(values))
    if extra is not values[-1] and extra.kind == "result" and draw(st.booleans()):
        outs.append(extra)
    b.g.outputs = outs
    b.g.verify()
    return b.g


def _bn(draw, b, v, axis):
    size = v.type.shape[axis]
    mean, var = b.state((size,), "mean"), b.state((size,), "var")
    gamma, beta = b.param((size,), "gamma"), b.param((size,), "beta")
    eps = draw(st.sampled_from([1e-3, 1e-5]))
    return b.op("batch_norm", v, mean, var, gamma, beta, axis=axis, epsilon=eps, fmt=b.meta.get(id(v)))


def _unary(draw, b, v, values, batch_norm):
    fmt = b.meta.get(id(v))
    op = draw(st.sampled_from(UNARY))
    return b.op(op, v, fmt=fmt)


def _identity(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    which = draw(st.sampled_from(["mul1", "add0", "sub0", "div1", "negneg", "cast", "relu2"]))
    if which == "negneg":
        return b.op("negative", b.op("negative", v, fmt=fmt), fmt=fmt)
    if which == "cast":
        return b.op("cast", v, dtype=t.dtype, fmt=fmt)
    if which == "relu2":
        return b.op("relu", b.op("relu", v, fmt=fmt), fmt=fmt)
    op, c = {"mul1": ("multiply", 1.0), "add0": ("add", 0.0), "sub0": ("subtract", 0.0),
             "div1": ("divide", 1.0)}[which]
    const = b.constant(c)
    return b.op(op, v, const, fmt=fmt) if draw(st.booleans()) or op in ("subtract", "divide") \
        else b.op(op, const, v, fmt=fmt)


def _constants(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    n = t.shape[-1]
    vals = draw(st.lists(st.floats(-1, 1, width=32), min_size=n, max_size=n))
    c = b.constant(vals, (n,))
    c2 = b.op(draw(st.sampled_from(["exp", "tanh", "negative", "square"])), c)
    return b.op(draw(st.sampled_from(["add", "multiply"])), v, c2, fmt=fmt)


def _merge(draw, b, v, values, batch_norm):
    return _merge_with(draw, b, v, [u for u in values if u.type == v.type])


def _self_merge(draw, b, v, values, batch_norm):
    return _merge_with(draw, b, v, [v])


def _merge_with(draw, b, v, candidates):
    fmt = b.meta.get(id(v))
    other = draw(st.sampled_from(candidates))
    op = draw(st.sampled_from(["add", "multiply", "maximum", "subtract"]))
    return b.op(op, v, other, fmt=fmt if b.meta.get(id(other)) == fmt else None)


def _dense(draw, b, v, values, batch_norm):
    t = v.type
    units = draw(st.sampled_from([2, 3]))
    y = b.op("matmul", v, b.param((t.shape[-1], units), "kernel"))
    if draw(st.booleans()):
        y = b.op("bias_add", y, b.param((units,), "bias"), axis=-1)
    if batch_norm and draw(st.booleans()):
        y = _bn(draw, b, y, -1)
    if draw(st.booleans()):
        y = b.op(draw(st.sampled_from(ACTIVATIONS)), y)
    return y


def _parallel(draw, b, v, values, batch_norm):
    t = v.type
    k = draw(st.integers(2, 3))
    ys = [b.op("matmul", v, b.param((t.shape[-1], draw(st.sampled_from([2, 3]))), "kernel")) for _ in range(k)]
    if has_op("concatenate"):
        return b.op("concatenate", *ys, axis=-1)
    return ys[0]


def _reshape(draw, b, v, values, batch_norm):
    t = v.type
    y = b.op("reshape", v, shape=[-1, t.shape[1]])
    return b.op("reshape", y, shape=[-1, t.shape[1]]) if draw(st.booleans()) else y


def _transpose2(draw, b, v, values, batch_norm):
    y = b.op("transpose", v, perm=[1, 0])
    return b.op("transpose", y, perm=[1, 0]) if draw(st.booleans()) else y


def _transpose4(draw, b, v, values, batch_norm):
    fmt = b.meta.get(id(v))
    perm = draw(st.permutations(range(4)))
    y = b.op("transpose", v, perm=list(perm))
    if draw(st.booleans()):
        inv = [0] * 4
        for i, p in enumerate(perm):
            inv[p] = i
        return b.op("transpose", y, perm=inv, fmt=fmt)
    new_fmt = None
    if fmt is not None and list(perm) == [0, 2, 3, 1] and fmt == "channels_first":
        new_fmt = "channels_last"
    elif fmt is not None and list(perm) == [0, 3, 1, 2] and fmt == "channels_last":
        new_fmt = "channels_first"
    b.meta[id(y)] = new_fmt
    return y


def _reduce(draw, b, v, values, batch_norm):
    fmt = b.meta.get(id(v))
    op = draw(st.sampled_from(["mean", "max", "sum"]))
    if fmt is not None and draw(st.booleans()):
        axes = [1, 2] if fmt == "channels_last" else [2, 3]
    else:
        axes = sorted(draw(st.sets(st.integers(1, 3), min_size=1, max_size=2)))
    keep = draw(st.booleans())
    return b.op(op, v, axis=axes, keepdims=keep, fmt=fmt if keep else None)


def _softmax(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    axis = _channel_axis(fmt, 4) if (t.rank == 4 and fmt) else -1
    return b.op("softmax", v, axis=axis, fmt=fmt)


def _concat(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    if not has_op("concatenate"):
        return None
    same = [u for u in values if u.type == t]
    axis = _channel_axis(fmt, t.rank) if (t.rank == 4 and fmt) else t.rank - 1
    return b.op("concatenate", v, draw(st.sampled_from(same)), axis=axis, fmt=fmt)


def _conv(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    axis = _channel_axis(fmt, 4)
    cin = t.shape[axis]
    spatial = [t.shape[1], t.shape[2]] if fmt == "channels_last" else [t.shape[2], t.shape[3]]
    ksize = draw(st.sampled_from([1, 3])) if min(spatial) >= 3 else 1
    padding = draw(st.sampled_from(["same", "valid"]))
    units = 3
    y = b.op("conv", v, b.param((ksize, ksize, cin, units), "conv_kernel"), strides=[1, 1],
             padding=padding, data_format=fmt, fmt=fmt)
    if draw(st.booleans()):
        y = b.op("bias_add", y, b.param((units,), "conv_bias"), axis=axis, fmt=fmt)
    if batch_norm and draw(st.booleans()):
        y = _bn(draw, b, y, axis if draw(st.booleans()) else axis - 4)
    if draw(st.booleans()):
        y = b.op(draw(st.sampled_from(ACTIVATIONS)), y, fmt=fmt)
    return y


def _pool(draw, b, v, values, batch_norm):
    t = v.type
    fmt = b.meta.get(id(v))
    spatial = [t.shape[1], t.shape[2]] if fmt == "channels_last" else [t.shape[2], t.shape[3]]
    if min(spatial) < 2:
        return None
    op = draw(st.sampled_from(["max_pool", "avg_pool"]))
    return b.op(op, v, pool_size=[2, 2], strides=[2, 2], padding=draw(st.sampled_from(["valid", "same"])),
                data_format=fmt, fmt=fmt)


def _flatten(draw, b, v, values, batch_norm):
    fmt = b.meta.get(id(v))
    return b.op("flatten", v, data_format=fmt)


def _dropout(draw, b, v, values, batch_norm):
    fmt = b.meta.get(id(v))
    # rates 0 and 1 keep the op's effect (passes must treat it as random) without compiling
    # a random-bit generator for every shape
    return b.op("dropout", v, rate=draw(st.sampled_from([0.0, 1.0])), seed=draw(st.integers(0, 100)), fmt=fmt)


def _update(draw, b, v, values, batch_norm):
    if not b.g.state:
        return None
    s = draw(st.sampled_from(b.g.state))
    if any(u is s for u, _ in b.g.updates):
        return None
    new = b.op("multiply", s, b.constant(draw(st.sampled_from([1.0, 0.9]))))
    b.g.updates.append((s, new))
    return None


# one construction step per kind: (draw, builder, value, values so far, batch_norm) -> new value or None
_STEPS = {
    "unary": _unary, "identity": _identity, "constants": _constants, "merge": _merge,
    "self_merge": _self_merge, "dense": _dense, "parallel": _parallel, "reshape": _reshape,
    "transpose2": _transpose2, "transpose4": _transpose4, "reduce": _reduce, "softmax": _softmax,
    "concat": _concat, "conv": _conv, "pool": _pool, "flatten": _flatten, "dropout": _dropout,
    "update": _update,
}
