"""kxla.random against keras.random: seeded draws equal Keras's value for value (eager and traced),
SeedGenerator sequences, unseeded graph draws keyed by the step's rng, names and errors."""
import jax
import numpy as np
import pytest

import kxla
from kxla import random as R
from kxla.ir import print_graph
from tests.ops.op_check import check_op, trace

X = np.arange(20.0, dtype=np.float32).reshape(5, 4)
LOGITS = np.random.default_rng(0).normal(size=(3, 5)).astype(np.float32)

# name, args (arrays first: the tensor inputs of the traced call), kwargs
CASES = [("normal", ((3, 4),), {"mean": 1.0, "stddev": 2.0}), ("uniform", ((3, 4),), {"minval": -1, "maxval": 2}),
         ("truncated_normal", ((6, 2),), {"mean": 0.5}), ("randint", ((3, 4), 0, 10), {}),
         ("randint", ((7,), -5, 5), {"dtype": "int16"}), ("categorical", (LOGITS, 6), {}),
         ("dropout", (X, 0.5), {}), ("dropout", (X, 0.3), {"noise_shape": (1, 4)}), ("shuffle", (X,), {}),
         ("shuffle", (X,), {"axis": 1}), ("gamma", ((3, 4), 2.0), {}), ("binomial", ((3, 4), 10, 0.3), {}),
         ("beta", ((3, 4), 2.0, 3.0), {})]


@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_seeded_draws_equal_keras(keras, name, args, kwargs):
    want = np.asarray(getattr(keras.random, name)(*args, seed=11, **kwargs))
    tensors = [a for a in args if isinstance(a, np.ndarray)]
    rest = [a for a in args if not isinstance(a, np.ndarray)]
    fn = (lambda *t: getattr(R, name)(*t, *rest, seed=11, **kwargs)) if tensors else \
        (lambda _: getattr(R, name)(*rest, seed=11, **kwargs))
    got = check_op(fn, *(tensors or [X]), batched=())             # eager == traced, print/parse round trip
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=0)     # dropout's 1/keep may differ by an ulp


def test_seed_generator_sequence_equals_keras(keras):
    ours, theirs = R.SeedGenerator(42), keras.random.SeedGenerator(42)
    for _ in range(3):
        np.testing.assert_array_equal(np.asarray(R.uniform((4,), seed=ours)),
                                      np.asarray(keras.random.uniform((4,), seed=theirs)))
    np.testing.assert_array_equal(ours.state, np.asarray(theirs.state.value))
    assert R.SeedGenerator.from_config(ours.get_config()).get_config() == ours.get_config()


def test_unseeded_graph_draws_come_from_the_step_key():
    graph, _, first = trace(lambda x: R.normal((2, 3)) + x, [np.zeros((2, 3), np.float32)], batched=())
    text = print_graph(graph)
    assert "random_normal" in text and "seed = " not in text
    again = kxla.lower(graph)({}, {}, [np.zeros((2, 3), np.float32)], rng=jax.random.key(0), training=True)[0]
    other = kxla.lower(graph)({}, {}, [np.zeros((2, 3), np.float32)], rng=jax.random.key(1), training=True)[0]
    np.testing.assert_array_equal(np.asarray(again[0]), first[0])
    assert not np.array_equal(np.asarray(other[0]), first[0])


def test_unseeded_eager_draws_follow_the_global_seed():
    kxla.utils.set_random_seed(3)
    a = np.asarray(R.gamma((4,), 1.5))
    kxla.utils.set_random_seed(3)
    np.testing.assert_array_equal(a, np.asarray(R.gamma((4,), 1.5)))
    assert not np.array_equal(a, np.asarray(R.gamma((4,), 1.5)))


def test_names_and_errors(keras):
    assert {n for n in dir(keras.random) if not n.startswith("_")} <= set(dir(R))
    with pytest.raises(ValueError, match="SeedGenerator"):
        R.normal((2,), seed="x")
    with pytest.raises(ValueError, match="integer"):
        R.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="logits"):
        R.categorical(np.zeros((2, 3, 4), np.float32), 2)
