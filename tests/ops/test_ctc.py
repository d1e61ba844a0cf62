"""ops.nn.ctc_decode(strategy="beam_search") (kxla/ops/ctc.py) against Keras 3's JAX backend and numpy."""
from __future__ import annotations

import jax
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType, get_op
from kxla.ops.core import LowerContext

from op_check import check_against_keras, rand

# (batch, time, classes), beam_width, top_paths, mask_index, sequence lengths
CASES = [((3, 10, 5), 4, 2, 0, [10, 9, 4]),
         ((2, 6, 3), 100, 1, 0, [6, 2]),                    # the default width: wider than the classes
         ((3, 8, 6), 3, 3, None, [8, 1, 5]),                # mask_index=None: the last class is the blank
         ((2, 7, 4), 2, 4, 2, [7, 7]),                      # top_paths = 2 * beam_width
         ((2, 4, 3), 3, 6, 0, [0, 4]),                      # fewer distinct paths than top_paths: -inf scores
         ((1, 5, 4), 1, 1, 3, [5])]


# each case compiles a beam search (seconds on CPU, Keras's more): the first runs by default, the rest under -m slow
def _cases(default=(0,)):
    return [pytest.param(i, marks=() if i in default else pytest.mark.slow) for i in range(len(CASES))]


def _inputs(shape, lengths, seed):
    return rand(*shape, seed=seed) * 2, np.array(lengths, "int32")


@pytest.mark.parametrize("case", _cases())
def test_beam_search_equals_keras(keras, case):
    shape, width, top, mask_index, lengths = CASES[case]
    x, lengths = _inputs(shape, lengths, case)
    kwargs = {"strategy": "beam_search", "beam_width": width, "top_paths": top, "mask_index": mask_index}
    decoded, scores = check_against_keras("ctc_decode", [x, lengths], kwargs, ns="nn")
    assert decoded.shape == (top,) + shape[:2] and scores.shape == (shape[0], top)
    assert decoded.dtype == np.int32 and scores.dtype == np.float32


@pytest.mark.parametrize("case", _cases())
def test_numpy_reference_matches_the_lowering(case):
    shape, width, top, mask_index, lengths = CASES[case]
    x, lengths = _inputs(shape, lengths, case)
    opdef = get_op("ctc_beam_search_decode")
    attrs = opdef.normalize_attrs({"beam_width": width, "top_paths": top, "mask_index": mask_index})
    want = opdef.reference(x, lengths, **attrs)
    got = opdef.lower(LowerContext(), jax.numpy.asarray(x), jax.numpy.asarray(lengths), **attrs)
    types = opdef.infer_types([TensorType(x.shape, "float32"), TensorType(lengths.shape, "int32")], attrs)
    for g, w, t in zip(got, want, types):
        assert np.shape(g) == np.shape(w) == t.shape and str(np.asarray(g).dtype) == t.dtype
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-6)


def test_symbolic_shapes_and_the_ir_node():
    inputs = kxla.KerasTensor(TensorType((None, 7, 5), "float32"))
    lengths = kxla.KerasTensor(TensorType((None,), "int32"))
    decoded, scores = kxla.ops.nn.ctc_decode(inputs, lengths, strategy="beam_search", beam_width=3, top_paths=2)
    assert (decoded.shape, decoded.dtype, scores.shape, scores.dtype) == ((2, None, 7), "int32", (None, 2), "float32")
    model = kxla.Model([a := kxla.Input((7, 5)), b := kxla.Input((), dtype="int32")],
                       list(kxla.ops.nn.ctc_decode(a, b, strategy="beam_search", beam_width=3, top_paths=2)))
    assert "ctc_beam_search_decode(" in str(model.to_ir()) and "top_paths=2" in str(model.to_ir())


def test_bad_arguments_raise():
    x, lengths = np.zeros((1, 3, 4), "float32"), np.array([3], "int32")
    with pytest.raises(ValueError, match="beam_width and top_paths must be positive"):
        kxla.ops.nn.ctc_decode(x, lengths, strategy="beam_search", beam_width=0)
    with pytest.raises(ValueError, match="more than the 2 \\* beam_width"):
        kxla.ops.nn.ctc_decode(x, lengths, strategy="beam_search", beam_width=2, top_paths=5)
    with pytest.raises(ValueError, match="Invalid strategy"):
        kxla.ops.nn.ctc_decode(x, lengths, strategy="beam")
