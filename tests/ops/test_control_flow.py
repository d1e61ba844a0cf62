"""keras.ops control flow and function transforms: same results as Keras's on arrays, a clear error on symbolic
(except ``scan``, which records a node)."""
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import kxla
from kxla.ir import TensorType

keras = pytest.importorskip("keras")
X = np.arange(6, dtype="float32").reshape(3, 2)

CALLS = {
    "cond": lambda o: o.cond(X.sum() > 3, lambda: X * 2, lambda: X - 1),
    "switch": lambda o: o.switch(1, [lambda a: a + 1, lambda a: a * 3], X),
    "fori_loop": lambda o: o.fori_loop(0, 4, lambda i, v: v + i, X),
    "while_loop": lambda o: o.while_loop(lambda a, b: a < 10, lambda a, b: (a + 1, b * 2), (0, X)),
    "while_loop_max": lambda o: o.while_loop(lambda a: a < 10, lambda a: a + 1, 0, maximum_iterations=3),
    "scan": lambda o: o.scan(lambda c, x: (c + x, c * x), np.zeros(2, "float32"), X),
    "associative_scan": lambda o: o.associative_scan(jnp.add, X, axis=1),
    "map": lambda o: o.map(lambda r: r.sum(), X),
    "vectorized_map": lambda o: o.vectorized_map(lambda r: r * r.sum(), X),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_keras_on_arrays(name):
    ours, theirs = CALLS[name](kxla.ops), CALLS[name](keras.ops)
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_custom_gradient_matches_keras():
    def make(o):
        @o.custom_gradient
        def clipped(x):
            return x * 2, lambda g: o.clip(g, -0.5, 0.5) if o is keras.ops else jnp.clip(g, -0.5, 0.5)
        return jax.grad(lambda x: jnp.sum(clipped(x)))(X)
    np.testing.assert_allclose(make(kxla.ops), make(keras.ops))


def test_symbolic_input_is_refused_by_name():
    t = kxla.KerasTensor(TensorType((None, 2), "float32"))
    with pytest.raises(ValueError, match="ops.map cannot record control flow on symbolic tensors"):
        kxla.ops.map(lambda x: x, t)          # (ops.scan records a scan node: tests/ops/test_region_scan.py)
    with pytest.raises(ValueError, match="ops.cond .*jax_call"):
        kxla.ops.cond(t, lambda: 1, lambda: 2)
