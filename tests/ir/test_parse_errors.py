"""Every failure to parse IR text is a ParseError with line and column; the verifier points at lines too."""
import pytest

import kxla  # noqa: F401  (registers the ops)
from kxla.ir import IRSyntaxError, ParseError, VerificationError, parse

GRAPH = 'graph @g(%x: f32[2,3]) {{\n  %0 = softmax(%x) {{axis={attr}}} : f32[2,3]  // s\n  return %0\n}}'


@pytest.mark.parametrize("attr, line, column, words", [
    ('"\\q"', 2, 26, "bad string literal"),
    ('"\\u12"', 2, 26, "bad string literal"),
    ('"a\nb"', 2, 26, "unterminated string"),
    ('"abc', 2, 26, "unterminated string"),
    ("9" * 5000, 2, 26, "integer out of range"),
    ("-" + "9" * 25, 2, 26, "integer out of range"),
    ("[" * 5000, 2, 58, "nested deeper than 32"),
    ("[" * 100 + "]" * 100, 2, 58, "nested deeper than 32"),
    ("\x00", 2, 26, "unexpected character"),
])
def test_parse_failures_are_parse_errors_with_line_and_column(attr, line, column, words):
    with pytest.raises(ParseError) as info:
        parse(GRAPH.format(attr=attr))
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith(f"line {line}, column {column}: ") and words in str(info.value)
    assert IRSyntaxError is ParseError


def test_huge_dimension_and_non_text():
    with pytest.raises(ParseError, match="line 1, column 18: integer out of range"):
        parse("graph @g(%x: f32[" + "9" * 40 + "]) {\n  return %x\n}")
    with pytest.raises(ParseError, match="must be a str"):
        parse(b"graph")


def test_good_strings_and_numbers_still_parse():
    g = parse(GRAPH.format(attr="-1").replace("// s", "// a layer"))
    assert g.nodes[0].attrs == {"axis": -1} and g.nodes[0].meta["loc"] == (2, 3)
    text = 'graph @g(%x: f32[2]) params(%k: f32[2] {init="a\\"b\\\\c\\n"}) {\n  return %x\n}'
    assert parse(text).params[0].attrs["init"] == 'a"b\\c\n'


def test_verifier_checks_result_dtypes_and_names_line_and_column():
    text = "graph @g(%x: i32[2,3]) {\n  %0 = relu(%x) : i32[2,3]\n  %1 = softmax(%0) {axis=-1} : i32[2,3]\n" \
           "  return %1\n}"
    with pytest.raises(VerificationError) as info:
        parse(text).verify()
    assert (info.value.line, info.value.column) == (3, 3)
    assert str(info.value).startswith("line 3, column 3: node softmax #1: result types i32[2,3]")
    assert "gives f32[2,3]" in str(info.value)
    parse(text.replace(": i32[2,3]\n  return", ": f32[2,3]\n  return")).verify()
