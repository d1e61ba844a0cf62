"""Regions (sub-graphs held by an op, e.g. scan's body): IR text round trip, verifier, clone, lowering."""
import jax.numpy as jnp
import numpy as np
import pytest

import kxla.ops  # noqa: F401  (registers scan)
from kxla.ir import Graph, ParseError, TensorType, Value, VerificationError, parse, verify
from kxla.lowering import lower

CUMSUM = """graph @cumsum(%x: f32[?,?,3], %c0: f32[?,3]) params(%w: f32[3] {init="ones"}) {
  %0, %1 = scan(%x, %c0, %w) {num_xs=1, num_carries=1, axis=1, reverse=REVERSE, unroll=1, body=@body} : f32[?,3], f32[?,?,3]  // rnn
    region @body(%x0: f32[?,3], %state0: f32[?,3], %w: f32[3]) {
      %0 = multiply(%x0, %w) : f32[?,3]  // rnn/cell
      %1 = add(%state0, %0) : f32[?,3]  // rnn/cell
      return %1, %1
    }
  %2 = relu(%1) : f32[?,?,3]
  return %0, %2
}"""


def _text(reverse=False):
    return CUMSUM.replace("REVERSE", "true" if reverse else "false")


def test_region_prints_parses_and_verifies():
    text = _text()
    g = parse(text)
    verify(g)
    assert str(g) == text
    body = g.nodes[0].attrs["body"]
    assert isinstance(body, Graph) and [v.name for v in body.inputs] == ["x0", "state0", "w"]
    assert g.regions() == [(g.nodes[0], "body", body)]
    assert str(parse(str(g))) == text


def test_clone_copies_regions_deeply():
    g = parse(_text())
    c = g.clone()
    assert str(c) == str(g)
    assert c.nodes[0].attrs["body"] is not g.nodes[0].attrs["body"]
    c.nodes[0].attrs["body"].nodes[1].layer = "changed"
    assert "changed" not in str(g)


@pytest.mark.parametrize("reverse", [False, True])
def test_scan_lowers_to_a_loop_over_the_axis(reverse):
    g = parse(_text(reverse))
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    c0 = np.ones((2, 3), "float32")
    w = np.asarray([1.0, 2.0, -1.0], "float32")
    (final, ys), _ = lower(g)({"w": jnp.asarray(w)}, {}, [x, c0])
    steps = x * w
    acc = np.cumsum(steps[:, ::-1] if reverse else steps, axis=1) + c0[:, None]
    expected = acc[:, ::-1] if reverse else acc          # ys[t] belongs to x[t], also in reverse
    np.testing.assert_allclose(np.asarray(ys), np.maximum(expected, 0), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(final), acc[:, -1], rtol=1e-6)


@pytest.mark.parametrize("edit, message", [
    (("return %1, %1\n    }", "return %0x, %1\n    }"), "use of undefined value"),
    (("%0 = multiply(%x0, %w)", "%0 = multiply(%x0, %c0)"), "use of undefined value %c0"),  # no outer values
    (("body=@body}", "body=@other}"), "names region @other, which does not follow"),
])
def test_region_parse_errors(edit, message):
    with pytest.raises(ParseError, match=message):
        parse(_text().replace(*edit))


def test_extra_region_block_is_a_parse_error():
    text = _text().replace(", body=@body}", "}").replace("reverse=false}", "reverse=false}")
    with pytest.raises(ParseError, match="no attribute names it"):
        parse(text)


def test_verifier_checks_carried_types_and_the_region_itself():
    bad_carry = _text().replace("return %1, %1", "return %0x, %1").replace(
        "%1 = add(%state0, %0) : f32[?,3]  // rnn/cell", "%1 = add(%state0, %0) : f32[?,3]  // rnn/cell\n"
        "      %0x = sum(%1) {axis=[1], keepdims=true} : f32[?,1]")
    with pytest.raises(VerificationError, match="carry 0 enters the region as f32\\[\\?,3\\] but leaves it as "
                                                "f32\\[\\?,1\\]"):
        verify(parse(bad_carry))
    bad_node = _text().replace("%1 = add(%state0, %0) : f32[?,3]", "%1 = add(%state0, %0) : f32[?,4]")
    with pytest.raises(VerificationError, match="region body=@body: .*add.*disagree with the shape rule"):
        verify(parse(bad_node))
    bad_arity = _text().replace("%w: f32[3]) {\n      %0", "%w: f32[3], %extra: f32[3]) {\n      %0")
    with pytest.raises(VerificationError, match="takes .* but the operands give"):
        verify(parse(bad_arity))


def test_a_region_has_inputs_only():
    g = parse(_text())
    body = g.nodes[0].attrs["body"]
    body.params.append(Value(TensorType((3,)), name="p", kind="param"))
    with pytest.raises(VerificationError, match="a region has inputs only"):
        verify(g)
