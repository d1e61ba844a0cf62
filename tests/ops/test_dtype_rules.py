"""Every op's dtype rule states the dtype its lowering computes (what the verifier checks is what runs)."""
import jax
import numpy as np
import pytest

import kxla  # noqa: F401  (registers the ops)
from kxla.ir import REQUIRED, TensorType, all_ops
from kxla.ops.core import LowerContext


def _cases():
    for name, op in sorted(all_ops().items()):
        if op.lower is None or op.effect == "random" or op.arity not in (1, 2):
            continue
        if any(a.default is REQUIRED for a in op.attrs.values()):
            continue
        yield name


@pytest.mark.parametrize("dtype", ["int32", "float32", "bool"])
def test_dtype_rule_matches_lowering(dtype):
    checked, wrong = 0, []
    for name in _cases():
        op = all_ops()[name]
        types = [TensorType((2, 3), dtype)] * op.arity
        attrs = op.normalize_attrs({})
        try:
            expected = [t.dtype for t in op.infer_types(types, attrs)]
            out = jax.eval_shape(lambda *a: op.lower(LowerContext(), *a, **attrs),
                                 *[jax.ShapeDtypeStruct((2, 3), dtype)] * op.arity)
        except Exception:           # the op refuses this dtype (rule or lowering): nothing runs silently
            continue
        got = [str(np.dtype(o.dtype)) for o in (out if isinstance(out, (list, tuple)) else [out])]
        checked += 1
        if got != expected:
            wrong.append((name, expected, got))
    assert checked > 20 and wrong == []
