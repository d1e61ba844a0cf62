"""Adversarial IR text: seeded mutations of real graphs and hypothesis-generated text.

Every outcome must be one of: a graph that verifies, a ``VerificationError``,
or a ``ParseError`` with line and column. Anything else (JSONDecodeError,
RecursionError, a bare ValueError, IndexError ...) is a bug. The default run
tries ``FAST`` mutations; ``pytest -m slow tests/ir/test_parser_fuzz.py`` tries
``SLOW`` (see docs/reliability.md for the counts).
"""
import collections
import random
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kxla
from kxla import layers
from kxla.ir import ParseError, VerificationError, parse

FAST, SLOW = 1000, 40000

_TOKENS = ['"', "\\", "\n", "[", "]", "{", "}", "(", ")", "%0", "%x", "%nope", "@g", ",", ":", "=", "?", "-",
           "nan", "inf", "f32", "i32", "bool", "return", "update", "graph", "params", "state", "//", '"\\q"',
           '"\\u12"', '"a\nb"', "9" * 30, "-" + "9" * 400, "[" * 80, "]" * 80, "{axis=", "\x00", "é", "1e999",
           "0.5", "true", "none", "%0 = relu(%x) : f32[2]\n"]


def _corpus():
    mlp = kxla.Sequential([layers.Input((6,)), layers.Dense(4, activation="relu"), layers.Dropout(0.5),
                           layers.Dense(3, activation="softmax")], name="mlp")
    cnn = kxla.Sequential([layers.Input((8, 8, 1)), layers.Conv2D(2, 3), layers.BatchNormalization(),
                           layers.MaxPooling2D(), layers.Flatten(), layers.Dense(2)], name="cnn")
    a = layers.Input((5,))
    b = layers.Input((5,))
    merged = layers.Concatenate()([layers.Dense(3)(a), layers.Dense(3)(b)])
    fn = kxla.Model([a, b], layers.Dense(1, activation="sigmoid")(merged), name="two")
    return [str(m.to_ir(training=t)) for m in (mlp, cnn, fn) for t in (False, True)]


def _mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        n = len(text)
        kind = rng.randrange(7)
        i, j = sorted(rng.randrange(n + 1) for _ in range(2))
        if kind == 0:                                   # delete a span
            text = text[:i] + text[j:j + rng.randint(0, 3)] + text[j:] if j - i < 40 else text[:i] + text[i + 3:]
        elif kind == 1:                                 # insert a token
            text = text[:i] + rng.choice(_TOKENS) + text[i:]
        elif kind == 2:                                 # replace a token
            text = text[:i] + rng.choice(_TOKENS) + text[i + rng.randint(1, 4):]
        elif kind == 3:                                 # swap two lines
            lines = text.split("\n")
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif kind == 4:                                 # duplicate a line
            lines = text.split("\n")
            k = rng.randrange(len(lines))
            lines.insert(k, lines[k])
            text = "\n".join(lines)
        elif kind == 5:                                 # change a number
            nums = list(re.finditer(r"-?\d+", text))
            if nums:
                m = rng.choice(nums)
                text = text[:m.start()] + rng.choice(["0", "-1", "7", "9" * 25, "2147483648", "-0"]) + text[m.end():]
        else:                                           # truncate
            text = text[:i]
    return text


def _outcome(text: str) -> str:
    try:
        graph = parse(text)
    except ParseError as e:
        assert e.line is not None and e.column is not None and str(e).startswith(f"line {e.line}, column ")
        return "ParseError"
    try:
        graph.verify()
    except VerificationError:
        return "VerificationError"
    return "valid"


def run_mutations(count: int, seed: int = 0) -> collections.Counter:
    rng = random.Random(seed)
    corpus = _corpus()
    counts = collections.Counter()
    for k in range(count):
        text = _mutate(rng.choice(corpus), rng)
        try:
            counts[_outcome(text)] += 1
        except Exception as e:          # noqa: BLE001  (the bug this fuzzer looks for)
            raise AssertionError(f"mutation {k} (seed {seed}) raised {type(e).__name__}: {e}\n{text}") from e
    return counts


def test_seeded_mutations_fast():
    counts = run_mutations(FAST, seed=1)
    assert sum(counts.values()) == FAST and counts["ParseError"] > FAST // 4
    print(f"\nIR parser, {FAST} mutated texts: {dict(counts)}")


@pytest.mark.slow
def test_seeded_mutations_slow():
    counts = run_mutations(SLOW, seed=2)
    assert sum(counts.values()) == SLOW
    print(f"\nIR parser, {SLOW} mutated texts: {dict(counts)}")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(st.lists(st.sampled_from(list('graph@%xf32i[]{}(),:=?"\\\n -0123456789.e/') + ["return", "relu"]),
                max_size=120))
def test_random_text_is_parse_error_or_graph(pieces):
    _outcome("".join(pieces))


@settings(max_examples=100, deadline=None, database=None)
@given(st.integers(0, 10 ** 6), st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=4))
def test_hypothesis_insertions_into_a_real_graph(position, tokens):
    base = "graph @g(%x: f32[?,4]) params(%k: f32[4,2] {init=\"zeros\"}) {\n" \
           "  %0 = matmul(%x, %k) : f32[?,2]  // dense\n  %1 = softmax(%0) {axis=-1} : f32[?,2]  // dense\n" \
           "  return %1\n}"
    at = position % (len(base) + 1)
    _outcome(base[:at] + "".join(tokens) + base[at:])
