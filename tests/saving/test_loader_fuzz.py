"""Adversarial model files: seeded structural mutations of real payloads, repacked with a valid checksum.

Byte flips and truncations stop at the checksum (test_saving_format.py); these
mutations get past it, as a hand-edited or hostile file would. Each load must
either succeed or raise ``FormatError`` / ``UnknownObjectError`` — never another
exception, a hang or a crash — and must never register anything globally.
The default run loads ``FAST`` files; ``pytest -m slow tests/saving/test_loader_fuzz.py``
loads ``SLOW`` (counts in docs/reliability.md).
"""
import collections
import copy
import math
import random
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kxla
from kxla import layers
from kxla.saving import FormatError, UnknownObjectError
from kxla.saving import format as fmt
from kxla.saving import registry
from kxla.saving.model_io import read_model_file

FAST, SLOW = 250, 5000

_STRINGS = ["", "Dense", "Lambda", "TimeDistributed", "Sequential", "Functional", "os.system", "__import__",
            "register_function", "defop", "Variable", "relu", "softmax", "../../etc/passwd", "x" * 300,
            "dce,no-such-pass", "default", "float64", "int8", "bfloat16", "sequential", "functional", "subclassed"]
_VALUES = [None, True, False, 0, -1, 1, 2 ** 31, 2 ** 63 - 1, -(2 ** 63), 10 ** 12, 0.0, -0.5, 1e308, math.nan,
           math.inf, [], {}, [None], {"__ref__": ["n", 99, 0]}, {"__tuple__": []}, {"__dict__": {}},
           {"__array__": {"dtype": "float32", "shape": [2 ** 40], "data": b""}}, [[[[[[]]]]]], b"\x00" * 8]


def _models():
    mlp = kxla.Sequential([layers.Input((5,)), layers.Dense(4, activation="relu", name="h"),
                           layers.Dropout(0.2), layers.Dense(3, activation="softmax", name="o")], name="mlp")
    mlp.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    a = layers.Input((4,), name="a")
    b = layers.Input((4,), name="b")
    merged = layers.Concatenate(name="cat")([layers.Dense(3, name="da")(a), layers.Dense(3, name="db")(b)])
    fn = kxla.Model([a, b], layers.Dense(1, activation="sigmoid", name="out")(merged), name="fn")
    fn.compile("sgd", "binary_crossentropy")
    seq = kxla.Sequential([layers.Input((3, 4)), layers.TimeDistributed(layers.Dense(2), name="td"),
                           layers.GRU(3, name="gru")], name="rnn")
    return [mlp, fn, seq]


@pytest.fixture(scope="module")
def payloads(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    out = []
    for model in _models():
        path = folder / f"{model.name}.kxla"
        model.save(path)
        out.append(read_model_file(path))
    return out


def _paths(tree, prefix=()):
    """Every (container, key) position in a payload tree, skipping large weight buffers."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == "__version__":
                continue
            yield tree, k
            if not isinstance(v, bytes):
                yield from _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield tree, i
            yield from _paths(v, prefix + (i,))


def _mutate(payload, rng: random.Random):
    payload = copy.deepcopy(payload)
    positions = list(_paths(payload))
    for _ in range(rng.randint(1, 3)):
        container, key = rng.choice(positions)
        old = container[key]
        choice = rng.randrange(6)
        if choice == 0 and isinstance(container, dict):
            del container[key]
        elif choice == 1:
            container[key] = rng.choice(_STRINGS)
        elif choice == 2 and isinstance(old, (int, float)) and not isinstance(old, bool):
            container[key] = rng.choice([old + 1, old - 1, -old, old * 1000, 0])
        elif choice == 3 and isinstance(old, list) and old:
            container[key] = old[:-1] if rng.random() < 0.5 else old + old[-1:]
        else:
            container[key] = copy.deepcopy(rng.choice(_VALUES))
        positions = list(_paths(payload))
    return payload


def _globals():
    import importlib
    from kxla.ir import all_ops
    jax_call = importlib.import_module("kxla.ops.jax_call")
    return set(all_ops()), set(jax_call._FUNCTIONS), set(registry._BY_NAME)


def run_mutations(payloads, folder, count: int, seed: int = 0) -> collections.Counter:
    rng = random.Random(seed)
    counts = collections.Counter()
    before = _globals()
    for k in range(count):
        payload = _mutate(rng.choice(payloads), rng)
        path = folder / "m.kxla"
        try:
            path.write_bytes(fmt.pack_file(fmt.MODEL_FORMAT, {k2: v for k2, v in payload.items()
                                                             if k2 != "__version__"}))
        except (TypeError, ValueError, OverflowError):
            counts["unpackable"] += 1           # msgpack cannot even write it (e.g. an int beyond 64 bits)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = kxla.models.load_model(path)
            counts["loaded"] += 1
        except FormatError:
            counts["FormatError"] += 1
        except UnknownObjectError:
            counts["UnknownObjectError"] += 1
        except Exception as e:      # noqa: BLE001  (the bug this fuzzer looks for)
            raise AssertionError(f"mutation {k} (seed {seed}) raised {type(e).__name__}: {e}") from e
    assert _globals() == before, "a load registered something globally"
    return counts


def test_structural_mutations_fast(payloads, tmp_path):
    counts = run_mutations(payloads, tmp_path, FAST, seed=1)
    assert sum(counts.values()) == FAST and counts["FormatError"] > 0
    print(f"\nmodel files, {FAST} mutated payloads: {dict(counts)}")


@pytest.mark.slow
def test_structural_mutations_slow(payloads, tmp_path):
    counts = run_mutations(payloads, tmp_path, SLOW, seed=2)
    assert sum(counts.values()) == SLOW
    print(f"\nmodel files, {SLOW} mutated payloads: {dict(counts)}")


@pytest.fixture(scope="module")
def file_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("bytes") / "m.kxla"
    _models()[0].save(path)
    return path.read_bytes()


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10 ** 9), st.binary(min_size=0, max_size=8)), min_size=1, max_size=4),
       st.integers(0, 10 ** 9))
def test_hypothesis_byte_edits_are_format_errors(file_bytes, tmp_path, edits, cut):
    data = bytearray(file_bytes)
    for pos, chunk in edits:
        at = pos % (len(data) + 1)
        data[at:at + len(chunk)] = chunk
    data = bytes(data[:len(data) - cut % 64])
    if data == file_bytes:
        return
    path = tmp_path / "edited.kxla"
    path.write_bytes(data)
    with pytest.raises(FormatError):
        kxla.models.load_model(path)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.integers(0, 2 ** 32))
def test_hypothesis_seeded_payload_mutations(payloads, tmp_path, seed):
    run_mutations(payloads, tmp_path, 1, seed=seed)
