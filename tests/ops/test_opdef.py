"""The op catalogue: every fact about an op lives on its OpDef (traits, cost, numpy reference, aliases).

One parametrised harness checks each op's numpy reference against its JAX
lowering; cost rules are checked against XLA's own ``cost_analysis()``;
traits against what the ops compute; old op names against the parser.
"""
import jax
import numpy as np
import pytest

import kxla  # noqa: F401  (registers the ops)
from kxla.ir import REQUIRED, TRAITS, TensorType, activation_forms, all_ops, get_op, parse
from kxla.ops.core import LowerContext

RNG = np.random.default_rng(0)


def f(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, shape).astype("float32")


def pos(*shape):
    return f(*shape, low=0.5, high=2.0)


def b(*shape):
    return RNG.integers(0, 2, shape).astype(bool)


# inputs and attributes for ops the generic rule (elementwise: float tensors of one shape) cannot make up
CASES = {
    "log": ([pos(2, 3)], {}), "sqrt": ([pos(2, 3)], {}), "rsqrt": ([pos(2, 3)], {}),
    "power": ([pos(2, 3), f(2, 3)], {}), "divide": ([f(2, 3), pos(3)], {}),
    "logical_and": ([b(2, 3), b(2, 3)], {}), "logical_or": ([b(2, 3), b(2, 3)], {}),
    "logical_xor": ([b(2, 3), b(2, 3)], {}), "logical_not": ([b(2, 3)], {}),
    "where": ([b(2, 3), f(2, 3), f(2, 3)], {}),
    "cast": ([f(2, 3)], {"dtype": "int32"}), "clip": ([f(2, 3)], {"x_min": -1.0, "x_max": 0.5}),
    "elu": ([f(2, 3)], {"alpha": 0.7}), "gelu": ([f(2, 3)], {"approximate": False}),
    "zeros_like": ([f(2, 3)], {}), "ones_like": ([f(2, 3)], {"dtype": "int32"}),
    "softmax": ([f(2, 3)], {"axis": 0}), "log_softmax": ([f(2, 3)], {"axis": -1}),
    "mean": ([f(2, 3, 4)], {"axis": [0, 2]}), "sum": ([f(2, 3)], {"axis": None, "keepdims": True}),
    "max": ([f(2, 3)], {"axis": [1]}), "min": ([f(2, 3)], {"axis": [0]}),
    "argmax": ([f(2, 3)], {"axis": 1}), "argmin": ([f(2, 3)], {"axis": 0, "keepdims": True}),
    "matmul": ([f(2, 4, 3), f(3, 5)], {}), "bias_add": ([f(2, 3, 4), f(3)], {"axis": 1}),
    "constant": ([], {"value": [[1.0, 2.0]], "shape": [1, 2], "dtype": "float32"}),
    "reshape": ([f(2, 6)], {"shape": [3, -1]}), "dim": ([f(2, 6)], {"axis": 1}),
    "transpose": ([f(2, 3, 4)], {"perm": [2, 0, 1]}), "concatenate": ([f(2, 3), f(1, 3)], {"axis": 0}),
    "stack": ([f(2, 3), f(2, 3)], {"axis": 1}), "expand_dims": ([f(2, 3)], {"axis": [0, 3]}),
    "squeeze": ([f(2, 1, 3)], {"axis": [1]}),
    "flatten": ([f(2, 3, 4, 5)], {"data_format": "channels_first"}),
    "slice": ([f(4, 5)], {"start": [1, None], "stop": [3, None], "step": [1, 2]}),
    "pad": ([f(2, 3)], {"pad_width": [[1, 0], [0, 2]], "constant_values": 1.5}),
    "split": ([f(2, 6)], {"indices": [2, 5], "axis": 1}), "tile": ([f(2, 3)], {"repeats": [2, 1]}),
    "repeat": ([f(2, 3)], {"repeats": 2, "axis": 1}),
    "take": ([f(4, 3), np.array([3, 0, 1], "int32")], {"axis": 0}),
    "one_hot": ([np.array([0, 2, 1], "int32")], {"num_classes": 3}),
    "tensordot": ([f(2, 3, 4), f(4, 3)], {"axes_a": [1, 2], "axes_b": [1, 0]}),
    "einsum": ([f(2, 3), f(3, 4)], {"equation": "ij,jk->ik"}),
    "batch_norm": ([f(2, 3, 4), f(3), pos(3), f(3), f(3)], {"axis": 1, "epsilon": 1e-3}),
    "layer_norm": ([f(2, 3, 4), f(3, 4), f(3, 4)], {"axis": [1, 2]}),
    "moments": ([f(2, 3, 4)], {"axes": [0, 2]}),
    "fold_time": ([f(2, 3, 4)], {}), "unfold_time": ([f(6, 4)], {"steps": 3}),
}


def _case(name, opdef):
    if name in CASES:
        return CASES[name]
    if "elementwise" in opdef.traits and opdef.arity in (1, 2) and \
            all(a.default is not REQUIRED for a in opdef.attrs.values()):
        return [f(2, 3) for _ in range(opdef.arity)], {}
    return None


# ops of the core modules; the kxla.ops.numpy catalogue checks its own rows (tests/ops/test_keras_ops.py)
CORE = {f"kxla.ops.{m}" for m in ("math", "nn", "nn_conv", "nn_norm", "nn_extra", "array", "array_more",
                                 "array_index", "fused", "rnn", "random_ops")}
WITH_REFERENCE = sorted(name for name, op in all_ops().items()
                        if op.reference is not None and op.lower.__module__ in CORE)


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_numpy_reference_matches_the_lowering(name):
    opdef = get_op(name)
    case = _case(name, opdef)
    if case is None:
        pytest.skip(f"{name}: no sample inputs here (add a CASES row)")
    inputs, attrs = case
    attrs = opdef.normalize_attrs(attrs)
    want = opdef.reference(*[np.asarray(x) for x in inputs], **attrs)
    got = opdef.lower(LowerContext(), *[jax.numpy.asarray(x) for x in inputs], **attrs)
    want = want if isinstance(want, tuple) else (want,)
    got = got if isinstance(got, tuple) else (got,)
    types = opdef.infer_types([TensorType(np.shape(x), str(np.asarray(x).dtype)) for x in inputs], attrs)
    assert len(got) == len(want) == len(types)
    for g, w, t in zip(got, want, types):
        assert tuple(np.shape(g)) == tuple(np.shape(w)) == t.shape
        np.testing.assert_allclose(np.asarray(g, "float64"), np.asarray(w, "float64"), rtol=2e-5, atol=2e-6)


def test_every_core_op_has_a_cost_rule_and_known_traits():
    internal = {"jax_call"}        # cost unknowable: an arbitrary registered function
    for name, op in all_ops().items():
        assert op.traits <= TRAITS
        if op.lower is not None and op.lower.__module__ in CORE and name not in internal:
            assert op.cost is not None and (op.public is not None or name in ("dense", "constant")), name
    assert {"add", "multiply", "maximum", "minimum"} <= {n for n, o in all_ops().items() if "commutative" in o.traits}
    assert "subtract" not in {n for n, o in all_ops().items() if "commutative" in o.traits}
    windows = {n for n, o in all_ops().items() if "window" in o.traits}
    assert {"conv", "depthwise_conv", "conv_transpose", "max_pool", "avg_pool"} <= windows
    assert all("random" in get_op(n).traits for n in ("dropout", "random_normal", "gaussian_noise"))


@pytest.mark.parametrize("name", ["add", "multiply", "maximum", "minimum", "equal", "logical_and"])
def test_commutative_trait_holds(name):
    opdef = get_op(name)
    a, c = (b(2, 3), b(2, 3)) if name == "logical_and" else (f(2, 3), f(2, 3))
    np.testing.assert_array_equal(opdef.lower(LowerContext(), a, c), opdef.lower(LowerContext(), c, a))


def _xla_cost(op, shapes, attrs):
    opdef = get_op(op)
    attrs = opdef.normalize_attrs(attrs)
    args = [jax.ShapeDtypeStruct(s, "float32") for s in shapes]
    cost = jax.jit(lambda *a: opdef.lower(LowerContext(), *a, **attrs)).lower(*args).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    types = [TensorType(s) for s in shapes]
    return cost, opdef.cost(types, opdef.infer_types(types, attrs), attrs)


@pytest.mark.parametrize("op, shapes, attrs, check_bytes", [
    ("matmul", [(8, 16), (16, 32)], {}, True),
    ("add", [(8, 16), (8, 16)], {}, True),
    ("relu", [(8, 16)], {}, True),
    ("conv", [(2, 9, 9, 3), (3, 3, 3, 4)], {"strides": [1, 1], "padding": "valid"}, True),
    ("conv", [(2, 9, 9, 3), (3, 3, 3, 4)], {"strides": [2, 2], "padding": "same"}, True),
    ("conv", [(2, 9, 9, 3), (3, 3, 3, 4), (4,)], {"activation": "relu"}, False),
    ("depthwise_conv", [(2, 9, 9, 3), (3, 3, 3, 2)], {"padding": "same"}, False),
    ("max_pool", [(2, 8, 8, 3)], {"pool_size": [2, 2], "strides": [2, 2]}, False),
    ("avg_pool", [(2, 8, 8, 3)], {"pool_size": [2, 2], "strides": [2, 2]}, False),
    ("sum", [(8, 16)], {"axis": [1]}, False),
])
def test_cost_rules_agree_with_xla_cost_analysis(op, shapes, attrs, check_bytes):
    xla, mine = _xla_cost(op, shapes, attrs)
    assert mine["flops"] == pytest.approx(xla["flops"], rel=1e-6)
    if check_bytes:
        assert mine["bytes"] == pytest.approx(xla["bytes accessed"], rel=1e-6)


def test_old_rank_suffixed_names_load_as_the_merged_ops():
    g = parse("""graph @old(%x: f32[?,6,6,3]) params(%k: f32[3,3,3,4], %b: f32[4]) {
  %0 = fused_conv2d(%x, %k, %b) {strides=[1,1], padding="same", data_format="channels_last", dilation_rate=[1,1], groups=1, activation="relu"} : f32[?,6,6,4]
  %1 = max_pool2d(%0) {pool_size=[2,2], strides=[2,2], padding="valid", data_format="channels_last"} : f32[?,3,3,4]
  %2 = conv2d(%1, %k2) {strides=[1,1], padding="valid", data_format="channels_last", dilation_rate=[1,1], groups=1} : f32[?,1,1,4]
  return %2
}""".replace(", %b: f32[4]", ", %b: f32[4], %k2: f32[3,3,4,4]"))
    g.verify()
    assert [n.op for n in g.nodes] == ["conv", "max_pool", "conv"]
    assert g.nodes[0].attrs["activation"] == "relu" and g.nodes[2].attrs["activation"] == "linear"
    assert "conv2d" not in str(g) and "max_pool(" in str(g)


def test_activation_forms_come_from_the_activation_ops():
    forms = activation_forms()
    assert forms["gelu"] == ("gelu", {"approximate": True})
    assert forms["gelu_exact"] == ("gelu", {"approximate": False})
    assert forms["silu"] == ("silu", {}) and forms["exponential"] == ("exp", {})
    assert forms["linear"] == (None, {})
    assert {op for op, _ in forms.values() if op is not None} <= \
        {n for n, o in all_ops().items() if "activation" in o.traits}
    from kxla.ops.rnn import rnn_activation_names
    assert {"gelu", "swish", "silu", "tanh", "exponential", "linear"} <= set(rnn_activation_names())
    assert "gelu_exact" not in rnn_activation_names()
