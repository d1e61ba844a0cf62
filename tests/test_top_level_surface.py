"""Keras 3's top-level Operation, Function, scopes and remat in kxla, checked against Keras."""
import numpy as np
import pytest

import kxla

X = np.arange(6, dtype="float32").reshape(2, 3) / 6


def _op_class(K):
    class Scale(K.Operation):
        def __init__(self, k=2.0, name=None):
            super().__init__(name=name)
            self.k = k

        def call(self, x):
            return K.ops.multiply(K.ops.relu(x - 0.25), self.k)
    return Scale


def test_operation_eager_symbolic_and_config_match_keras(keras):
    ours, theirs = _op_class(kxla)(3.0, name="scale"), _op_class(keras)(3.0, name="scale")
    np.testing.assert_allclose(ours(X), theirs(X), rtol=1e-6)
    assert ours.get_config() == {"name": "scale", "k": 3.0} == theirs.get_config()
    assert _op_class(kxla)().name.startswith("scale")        # auto names: snake_case of the class
    assert type(ours).from_config(ours.get_config()).k == 3.0
    spec = ours.compute_output_spec(kxla.Input((4,)))
    assert spec.shape == (None, 4) and spec.dtype == "float32"
    inp = kxla.Input((3,))
    model = kxla.Model(inp, ours(inp))
    np.testing.assert_allclose(model.predict(X, verbose=0), theirs(X), rtol=1e-6)
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        _op_class(kxla)(name="a/b")
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        _op_class(keras)(name="a/b")


def test_function_runs_the_graph_like_keras(keras):
    def build(K):
        a, b = K.Input((3,), name="a"), K.Input((3,), name="b")
        d = K.layers.Dense(2, kernel_initializer="ones", name="d")
        return K.Function([a, b], {"s": K.ops.relu(d(a) - d(b)), "p": K.ops.add(a, b)}, name="fn")
    ours, theirs = build(kxla), build(keras)
    o, t = ours([X, 1 - X]), theirs([X, 1 - X])
    for k in ("s", "p"):
        np.testing.assert_allclose(o[k], t[k], rtol=1e-6)
    assert ours.name == "fn" and len(ours.inputs) == 2 and len(ours.outputs) == 2
    assert [op.name for op in ours.operations if hasattr(op, "name")][:3] == ["a", "b", "d"]
    assert ours.compute_output_shape([(5, 3), (5, 3)]) == {"s": (5, 2), "p": (5, 3)}


def test_scopes_match_keras(keras):
    for K in (kxla, keras):
        with K.name_scope("outer"):
            layer = K.layers.Dense(2, name="dd")
            layer.build((None, 3))
        late = K.layers.Dense(2, name="late")
        with K.name_scope("o2"):
            late.build((None, 3))               # the scope at build time counts
        assert layer.kernel.path == "outer/dd/kernel" and late.kernel.path == "o2/late/kernel"
        with pytest.raises(ValueError, match="cannot contain character `/`"):
            K.name_scope("a/b")
        with K.SymbolicScope() as s:
            assert isinstance(s, K.SymbolicScope)
        with pytest.raises(ValueError, match="Invalid mode 'x'"):
            K.RematScope(mode="x")


def test_stateless_scope_reads_mapping_and_collects_assigns(keras):
    model = kxla.Sequential([kxla.layers.Input((3,)), kxla.layers.Dense(2, kernel_initializer="ones")])
    kernel = model.layers[0].kernel
    before = np.asarray(model(X))
    with kxla.StatelessScope([(kernel, np.full((3, 2), 2.0))]) as scope:
        np.testing.assert_allclose(model(X), 2 * before, rtol=1e-6)
        kernel.assign(np.zeros((3, 2)))
        assert not np.asarray(model(X)).any()
    np.testing.assert_allclose(model(X), before)
    assert not np.asarray(scope.get_current_value(kernel)).any() and kernel.numpy().all()
    with pytest.raises(ValueError, match="shape that matches"):
        kxla.StatelessScope([(kernel, np.zeros(3))])


def test_remat_gives_the_same_values_and_gradients(keras):
    import jax
    def f(x):
        return kxla.ops.sin(x) * x
    g = kxla.remat(f)
    x = np.linspace(0, 1, 5).astype("float32")
    np.testing.assert_allclose(g(x), keras.remat(lambda v: keras.ops.sin(v) * v)(x), rtol=1e-6)
    np.testing.assert_allclose(jax.grad(lambda v: g(v).sum())(x), jax.grad(lambda v: f(v).sum())(x), rtol=1e-6)
    with kxla.RematScope("full"):
        op = _op_class(kxla)(2.0)
    np.testing.assert_allclose(op(X), _op_class(keras)(2.0)(X), rtol=1e-6)


def test_export_is_a_module_and_still_callable():
    import inspect
    assert inspect.ismodule(kxla.export) and callable(kxla.export)
    assert kxla.export.export is kxla.saving.export.export
