"""MultiHeadAttention against Keras 3 with Keras's weight layout: self/cross attention, masks, scores, errors."""
import numpy as np
import pytest

import kxla
from kxla import layers as L
from kxla.lowering import lower
from layer_check import rand


def _twin(keras, ours, q, v, **kwargs):
    twin = keras.layers.MultiHeadAttention(**kwargs)
    twin(q, v, return_attention_scores=True)
    twin.set_weights(ours.get_weights())
    return twin


def _traced(layer, inputs, **call_kwargs):
    """Run ``layer(*inputs, **call_kwargs)`` through IR + lowering with unknown batch dims."""
    with kxla.ops.Builder("t") as b:
        syms = [b.input(kxla.ir.TensorType((None,) + a.shape[1:], str(a.dtype)), f"in{i}")
                for i, a in enumerate(inputs)]
        out = layer(*syms[:2], **{k: syms[v] if isinstance(v, int) and not isinstance(v, bool) else v
                                   for k, v in call_kwargs.items()})
        outs = list(out) if isinstance(out, tuple) else [out]
        b.graph.outputs = [b.value_of(o) for o in outs]
    b.graph.verify()
    got, _ = lower(b.graph)({w.ir_name: w.value for w in b.variables()}, {}, list(inputs))
    return [np.asarray(g) for g in got], b.graph


def test_cross_attention_weights_and_scores_match_keras(keras):
    q, v, k = rand(2, 5, 6, seed=1), rand(2, 7, 8, seed=2), rand(2, 7, 3, seed=3)
    kwargs = dict(num_heads=2, key_dim=3, value_dim=4)
    ours = L.MultiHeadAttention(**kwargs, bias_initializer="random_normal")
    ours(q, v, key=k)
    twin = keras.layers.MultiHeadAttention(**kwargs)
    twin(q, v, key=k, return_attention_scores=True)
    assert [w.name for w in ours.weights] == [w.name for w in twin.weights]
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in twin.weights]
    assert [w.path for w in ours.weights] == [w.path.replace(twin.name, ours.name) for w in twin.weights]
    twin.set_weights(ours.get_weights())
    out, scores = twin(q, v, key=k, return_attention_scores=True)
    got, graph = _traced(ours, (q, v, k), key=2, return_attention_scores=True)
    np.testing.assert_allclose(got[0], np.asarray(out), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got[1], np.asarray(scores), rtol=1e-5, atol=1e-5)
    assert got[1].shape == (2, 2, 5, 7)
    eager = ours(q, v, key=k)
    np.testing.assert_allclose(np.asarray(eager), np.asarray(out), rtol=1e-5, atol=1e-5)
    assert ours.compute_output_shape((None, 5, 6), (None, 7, 8)) == (None, 5, 6)


def test_self_attention_causal_mask_and_output_shape(keras):
    x = rand(2, 6, 8, seed=4)
    ours = L.MultiHeadAttention(num_heads=4, key_dim=2, output_shape=5, bias_initializer="random_normal")
    ours(x, x)
    twin = _twin(keras, ours, x, x, num_heads=4, key_dim=2, output_shape=5)
    attention_mask = np.random.default_rng(0).random((2, 6, 6)) > 0.3
    attention_mask[:, :, 0] = True                               # no fully masked query rows
    got, _ = _traced(ours, (x, x, attention_mask), attention_mask=2, use_causal_mask=True)
    expected = twin(x, x, attention_mask=attention_mask, use_causal_mask=True)
    np.testing.assert_allclose(got[0], np.asarray(expected), rtol=1e-5, atol=1e-5)
    assert got[0].shape == (2, 6, 5)
    got, _ = _traced(ours, (x, x), use_causal_mask=True)
    np.testing.assert_allclose(got[0], np.asarray(twin(x, x, use_causal_mask=True)), rtol=1e-5, atol=1e-5)


def test_keras_masks_from_embedding_match_keras(keras):
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 6]], "int32")
    inp = kxla.Input((5,), dtype="int32")
    e = L.Embedding(8, 6, mask_zero=True)(inp)
    mha = L.MultiHeadAttention(2, 3)
    out, scores = mha(e, e, return_attention_scores=True)
    assert out._keras_mask is not None                           # the query's mask passes to the output
    model = kxla.Model(inp, [out, scores])
    kin = keras.Input((5,), dtype="int32")
    ke = keras.layers.Embedding(8, 6, mask_zero=True)(kin)
    kout, kscores = keras.layers.MultiHeadAttention(2, 3)(ke, ke, return_attention_scores=True)
    kmodel = keras.Model(kin, [kout, kscores])
    kmodel.set_weights(model.get_weights())
    got = model.predict(ids, verbose=0)
    expected = kmodel(ids)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-5)
    assert np.all(got[1][0, :, :, 3:] == 0)                      # padded keys get no attention


def test_dropout_in_training_only():
    x = rand(2, 4, 6)
    layer = L.MultiHeadAttention(2, 3, dropout=0.5)
    layer(x, x)
    with kxla.ops.Builder("t", training=True) as b:
        xs = b.input(kxla.ir.TensorType((None, 4, 6)), "x")
        b.graph.outputs = [b.value_of(layer(xs, xs))]
    assert "dropout" in [n.op for n in b.graph.nodes]
    _, graph = _traced(layer, (x, x))
    assert "dropout" not in [n.op for n in graph.nodes]


def test_bad_arguments():
    with pytest.raises(ValueError, match="attention_axes=.* is not supported"):
        L.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        L.MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="batch, time, features"):
        L.MultiHeadAttention(2, 3)(rand(2, 3, 4, 5), rand(2, 3, 4, 5))
    L.MultiHeadAttention(2, 3, attention_axes=1)                 # the default axis, spelled out
