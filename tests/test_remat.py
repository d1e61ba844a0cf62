"""RematScope / remat: the IR's remat marks, jax.checkpoint in the lowered train step, Keras's values."""
from __future__ import annotations

import re

import jax
import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.debug import xla

X = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")

# mode, scope arguments, the layers whose nodes are rematerialized (Keras 3's choice)
MODES = [
    ("full", {}, {"d1", "d2", "act", "d3"}),
    ("activations", {}, {"d1", "act"}),                    # Dense(linear) records no activation node
    ("larger_than", {"output_size_threshold": 10}, {"d1", "d2", "act"}),
    ("list_of_layers", {"layer_names": ["d2", "act"]}, {"d2", "act"}),
    (None, {}, set()),
]


def build(lib, mode=None, **kwargs):
    """The same four-layer functional model in kxla or Keras, created inside ``RematScope(mode)``."""
    with lib.RematScope(mode=mode, **kwargs):
        inp = lib.Input((8,))
        h = lib.layers.Dense(16, activation="relu", name="d1")(inp)
        h = lib.layers.Dense(64, name="d2")(h)
        h = lib.layers.Activation("tanh", name="act")(h)
        model = lib.Model(inp, lib.layers.Dense(2, name="d3")(h))
    return model


def marked_layers(graph) -> set:
    return {node.layer for node in graph.nodes if node.meta.get("remat")}


def remat_layers(closed_jaxpr) -> set:
    """Layer names (named scopes) of the equations inside every ``remat2`` of a jaxpr, nested ones too."""
    found: set = set()

    def walk(jaxpr, inside):
        for eqn in jaxpr.eqns:
            if inside:
                found.update(re.findall(r"(?<![\w(])(d\d|act)(?![\w])", str(eqn.source_info.name_stack)))
            for sub in jax.core.jaxprs_in_params(eqn.params):
                walk(sub, inside or eqn.primitive.name == "remat2")

    walk(closed_jaxpr.jaxpr, False)
    return found


@pytest.mark.parametrize("mode,kwargs,chosen", MODES, ids=[str(m[0]) for m in MODES])
def test_each_mode_marks_and_checkpoints_exactly_its_layers(mode, kwargs, chosen):
    model = build(kxla, mode, **kwargs)
    assert marked_layers(model.to_ir(training=True)) == chosen
    model.compile(optimizer="sgd", loss="mse")
    step = xla.jaxpr(model, "train", batch_size=4)
    assert ("remat2[" in str(step)) == bool(chosen)
    assert remat_layers(step) == chosen


@pytest.mark.parametrize("mode,kwargs,chosen", MODES[:4], ids=[m[0] for m in MODES[:4]])
def test_values_and_gradients_equal_keras_and_the_plain_model(keras, mode, kwargs, chosen):
    ours, plain, theirs = build(kxla, mode, **kwargs), build(kxla), build(keras, mode, **kwargs)
    weights = ours.get_weights()
    plain.set_weights(weights)
    theirs.set_weights(weights)

    def ours_loss(model):
        fn = kxla.lower(model.to_ir(training=True))
        names = [v.ir_name for v in model.weights]
        return lambda ws, x: fn(dict(zip(names, ws)), {}, [x], training=True)[0][0].sum()

    # Keras 3.15's "larger_than" fails in an eager or grad-traced call (Dense.compute_output_shape(None));
    # its predict works: the gradients come from Keras's model without the scope
    reference = build(keras) if mode == "larger_than" else theirs
    reference.set_weights(weights)

    def keras_loss(ws, x):
        return reference.stateless_call(ws, [], x, training=True)[0].sum()

    ws = [np.asarray(w) for w in weights]
    want = jax.value_and_grad(keras_loss)(ws, X)
    for model in (ours, plain):
        got = jax.value_and_grad(ours_loss(model))(ws, X)
        np.testing.assert_allclose(got[0], want[0], rtol=1e-5)
        for g, w in zip(got[1], want[1]):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict(X, verbose=0), theirs.predict(X, verbose=0), rtol=1e-5, atol=1e-6)


def test_ir_text_shows_nested_regions_and_round_trips():
    with kxla.RematScope("full"):
        model = kxla.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu", name="a"),
                                 layers.Dense(2, name="b")])
    text = str(model.to_ir())
    assert "// a [remat 0/1]" in text and "// b [remat 0/2]" in text
    assert str(kxla.ir.parse(text)) == text
    for training in (False, True):          # the compile-time pipelines keep the marks
        optimized = model.to_ir(training=training, optimized=True)
        assert marked_layers(optimized) == {"a", "b"} and "[remat 0/" in str(optimized)


def test_fit_with_dropout_in_a_rematerialized_block_matches_the_plain_model():
    def make(scope):
        with scope:
            block = kxla.Sequential([layers.Dense(8, activation="relu", name="h"), layers.Dropout(0.5, name="drop")],
                                    name="block")
        return kxla.Sequential([layers.Input((8,)), block, layers.Dense(1)])

    models = [make(kxla.RematScope("full")), make(kxla.RematScope(None))]
    models[1].set_weights(models[0].get_weights())
    y = X[:, :1]
    for m in models:
        kxla.utils.set_random_seed(3)
        m.compile(optimizer="sgd", loss="mse")
        m.fit(X, y, epochs=1, batch_size=2, verbose=0, shuffle=False)
    for a, b in zip(*(m.get_weights() for m in models)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert marked_layers(models[0].to_ir(training=True)) == {"block/h", "block/drop"}
    assert marked_layers(models[1].to_ir(training=True)) == set()


def test_remat_of_a_function_is_jax_checkpoint():
    def f(x):
        return kxla.ops.sin(x) * x

    x = np.linspace(0, 1, 5).astype("float32")
    ours = jax.make_jaxpr(jax.grad(lambda v: kxla.remat(f)(v).sum()))(x)
    theirs = jax.make_jaxpr(jax.grad(lambda v: jax.checkpoint(f)(v).sum()))(x)
    assert str(ours) == str(theirs) and "remat2[" in str(ours)
    np.testing.assert_allclose(jax.grad(lambda v: kxla.remat(f)(v).sum())(x), jax.grad(lambda v: f(v).sum())(x))


def test_remat_inside_a_layer_call_and_in_functional_construction():
    class Scaled(layers.Layer):           # Keras's remat docstring example
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.remat_function = kxla.remat(self.intermediate_function)

        def intermediate_function(self, x):
            for _ in range(2):
                x = x + x * 0.1
            return x

        def call(self, inputs):
            return self.remat_function(inputs)

    inp = kxla.Input((4,))
    out = kxla.remat(lambda t: kxla.ops.tanh(t) * 2.0)(Scaled(name="scaled")(layers.Dense(4)(inp)))
    model = kxla.Model(inp, out)
    graph = model.to_ir(training=True)
    marks = [(n.op, n.meta.get("remat")) for n in graph.nodes]
    assert [op for op, r in marks if r and op != "constant"] == ["multiply", "add", "multiply", "add", "tanh", "multiply"]
    assert len({r for _, r in marks if r}) == 2
    x = X[:, :4]
    want = np.tanh(1.21 * model.layers[1](x)) * 2.0
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="no Keras 3 config form; call it inside a layer"):
        model.get_config()                     # the function between layers (Keras's remat fails there too)


def test_eager_calls_of_layers_and_operations_checkpoint_under_grad():
    with kxla.RematScope("full"):
        dense = layers.Dense(3, activation="tanh")

        class Cube(kxla.Operation):
            def call(self, x):
                return x * x * x

        cube = Cube()
    dense.build((None, 8))
    for fn in (lambda v: dense(v).sum(), lambda v: cube(v).sum()):
        assert "remat2[" in str(jax.make_jaxpr(jax.grad(fn))(X))
    with kxla.RematScope("larger_than", output_size_threshold=100):
        small = layers.Dense(3)
    small.build((None, 8))
    assert "remat2[" not in str(jax.make_jaxpr(jax.grad(lambda v: small(v).sum()))(X))


def test_rematerialization_shrinks_the_saved_residuals():
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "remat_memory.py"
    spec = importlib.util.spec_from_file_location("remat_memory", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    plain = bench.residual_bytes(bench.build(None, depth=2, width=8, hidden=32), 16)
    block = bench.residual_bytes(bench.build("block", depth=2, width=8, hidden=32), 16)
    assert block == 2 * 16 * 8 * 4                  # only each block's output (batch 16, width 8, f32)
    assert plain >= 2 * (16 * 8 + 2 * 16 * 32) * 4   # and, without remat, each hidden activation too


def test_a_cell_created_in_the_scope_is_checkpointed_inside_the_scan_body():
    class Cell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = self.state_size = units

        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1], self.units), name="k")

        def call(self, x, states):
            h = kxla.ops.tanh(kxla.ops.matmul(x, self.k) + states[0])
            return h, [h]

    def make(scope):
        with scope:
            rnn = layers.RNN(Cell(4, name="cell"), return_sequences=True, name="rnn")
        inp = kxla.Input((None, 3))
        return kxla.Model(inp, rnn(inp))

    ours, plain = make(kxla.RematScope("full")), make(kxla.RematScope(None))
    plain.set_weights(ours.get_weights())
    text = str(ours.to_ir(training=True))
    assert "scan(" in text and "// rnn/cell [remat 0]" in text and "[remat" not in str(plain.to_ir(training=True))
    x = np.random.default_rng(1).normal(size=(2, 5, 3)).astype("float32")

    def loss(model):
        fn = kxla.lower(model.to_ir(training=True))
        names = [v.ir_name for v in model.weights]
        return lambda ws: fn(dict(zip(names, ws)), {}, [x], training=True)[0][0].sum()

    ws = [np.asarray(w) for w in ours.get_weights()]
    assert "remat2[" in str(jax.make_jaxpr(jax.grad(loss(ours)))(ws))
    got, want = jax.value_and_grad(loss(ours))(ws), jax.value_and_grad(loss(plain))(ws)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
