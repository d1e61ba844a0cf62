"""Layers added for Keras 3 parity, each against Keras through ``layer_check.check_layer``.

One parametrised test: weights (names, shapes, order) copied from ours into
Keras, outputs compared in inference and training mode, ``get_config``
compared with Keras's and round-tripped, masks propagated as Keras does.
"""
import numpy as np
import pytest

import kxla
from layer_check import check_layer, rand

X3 = rand(2, 5, 4, seed=1)
X4 = rand(2, 6, 5, 3, seed=2)
X5 = rand(2, 4, 5, 3, 2, seed=3)
SLOW = pytest.mark.slow
MASK = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)

CASES = [
    ("LeakyReLU", {}, X3, MASK),
    pytest.param("LeakyReLU", {"negative_slope": 0.1}, X4, None, marks=SLOW),
    ("ELU", {}, X3, MASK),
    pytest.param("ELU", {"alpha": 0.5}, X3, None, marks=SLOW),
    ("PReLU", {"alpha_initializer": "random_normal"}, X3, MASK),
    pytest.param("PReLU", {"shared_axes": [1, 2], "alpha_initializer": "ones"}, X4, None, marks=SLOW),
    ("Softmax", {}, X3, None),
    pytest.param("Softmax", {"axis": [1, 2]}, X4, None, marks=SLOW),
    ("Identity", {}, X3, MASK),
    ("Masking", {}, np.concatenate([X3[:, :3], np.zeros((2, 2, 4), "float32")], 1), None),
    pytest.param("Masking", {"mask_value": 1.5}, np.where(rand(2, 5, 1, seed=4) > 0, 1.5, X3).astype("float32"),
                 None, marks=SLOW),
    ("UpSampling1D", {"size": 3}, X3, None),
    ("UpSampling3D", {"size": (2, 1, 3)}, X5, None),
    pytest.param("UpSampling3D", {"data_format": "channels_first"}, X5, None, marks=SLOW),
    ("ZeroPadding1D", {"padding": (1, 2)}, X3, None),
    ("ZeroPadding3D", {"padding": 1}, X5, None),
    pytest.param("ZeroPadding3D", {"padding": ((0, 1), (2, 0), (1, 1)), "data_format": "channels_first"}, X5,
                 None, marks=SLOW),
    ("Cropping1D", {"cropping": (1, 2)}, X3, None),
    ("Cropping3D", {"cropping": ((1, 0), (1, 2), 0)}, X5, None),
    pytest.param("Cropping3D", {"cropping": 1, "data_format": "channels_first"}, rand(2, 3, 4, 4, 5), None,
                 marks=SLOW),
    ("GlobalAveragePooling3D", {}, X5, None),
    ("GlobalMaxPooling3D", {"keepdims": True, "data_format": "channels_first"}, X5, None),
    ("AdaptiveAveragePooling1D", {"output_size": 3}, rand(2, 7, 3), None),
    pytest.param("AdaptiveMaxPooling1D", {"output_size": 2}, rand(2, 7, 3), None, marks=SLOW),
    pytest.param("AdaptiveAveragePooling2D", {"output_size": (4, 2)}, X4, None, marks=SLOW),
    pytest.param("AdaptiveMaxPooling2D", {"output_size": 3, "data_format": "channels_first"}, X4, None, marks=SLOW),
    pytest.param("AdaptiveAveragePooling3D", {"output_size": (3, 2, 2)}, X5, None, marks=SLOW),
    pytest.param("AdaptiveMaxPooling3D", {"output_size": 2}, X5, None, marks=SLOW),
    ("UnitNormalization", {}, X3, MASK),
    pytest.param("UnitNormalization", {"axis": [1, 2]}, X4, None, marks=SLOW),
    ("RMSNormalization", {}, X3, None),
    pytest.param("RMSNormalization", {"axis": [2, 3], "epsilon": 1e-3}, X4, None, marks=SLOW),
    ("GroupNormalization", {"groups": 2, "gamma_initializer": "random_normal",
                            "beta_initializer": "random_normal"}, rand(2, 3, 4, 6), None),
    pytest.param("GroupNormalization", {"groups": -1, "axis": 1, "center": False}, rand(2, 4, 3, 5), None,
                 marks=SLOW),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, rand(3, 5), None),
    pytest.param("EinsumDense", {"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de",
                                 "activation": "relu"}, X3, None, marks=SLOW),
    pytest.param("EinsumDense", {"equation": "...b,bc->...c", "output_shape": 6}, X4, None, marks=SLOW),
    pytest.param("EinsumDense", {"equation": "abc,cd->abd", "output_shape": (5, 3), "bias_axes": "b"}, X3, None,
                 marks=SLOW),
]


def _id(case):
    return case.values[0] if hasattr(case, "values") else case[0]


@pytest.mark.parametrize("class_name,kwargs,x,mask", CASES, ids=[f"{_id(c)}-{i}" for i, c in enumerate(CASES)])
def test_layer_matches_keras(keras, class_name, kwargs, x, mask):
    check_layer(keras, class_name, kwargs, x, mask=mask)


ATTENTION = [
    ("Attention", {}, [rand(2, 3, 4), rand(2, 5, 4)]),
    ("Attention", {"use_scale": True, "score_mode": "concat"}, [rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4, seed=7)]),
    ("AdditiveAttention", {}, [rand(2, 3, 4), rand(2, 5, 4)]),
    ("AdditiveAttention", {"use_scale": False}, [rand(2, 3, 4), rand(2, 5, 6), rand(2, 5, 4, seed=7)]),
]


@pytest.mark.parametrize("class_name,kwargs,xs", ATTENTION)
def test_attention_matches_keras(keras, class_name, kwargs, xs):
    ours, twin = check_layer(keras, class_name, kwargs, xs, training=(False,))
    q_mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)
    for causal in (False, True):
        got, scores = ours(xs, mask=[q_mask, v_mask], use_causal_mask=causal, return_attention_scores=True)
        ref, ref_scores = twin(xs, mask=[q_mask, v_mask], use_causal_mask=causal, return_attention_scores=True)
        np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(scores), np.asarray(ref_scores), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(ours.compute_mask(xs, [q_mask, v_mask])), q_mask)


def test_aliases_are_keras_aliases(keras):
    from kxla.layers.aliases import ALIASES
    for alias, cls in ALIASES.items():
        assert getattr(keras.layers, alias) is getattr(keras.layers, cls.__name__)
        assert getattr(kxla.layers, alias) is cls


def test_errors():
    L = kxla.layers
    with pytest.raises(ValueError, match="negative_slope"):
        L.LeakyReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="groups"):
        L.GroupNormalization(groups=4)(rand(1, 3, 6))
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        L.EinsumDense("ab->b", 3)
    with pytest.raises(NotImplementedError, match="LoRA"):
        L.EinsumDense("ab,bc->ac", 3, lora_rank=2)
    with pytest.raises(ValueError, match="list of inputs"):
        L.Attention()(rand(1, 2, 3))
    with pytest.raises(ValueError, match="smaller than the input length"):
        L.Cropping1D((3, 3))(X3)
    with pytest.raises(TypeError, match="output_size"):
        L.AdaptiveAveragePooling2D((1, 2, 3))


@pytest.mark.parametrize("kwargs", [dict(head_dim=3, num_query_heads=4, num_key_value_heads=2),
                                    pytest.param(dict(head_dim=2, num_query_heads=2, num_key_value_heads=1,
                                                      use_gate=True, sliding_window=2), marks=SLOW)])
def test_group_query_attention_matches_keras(keras, kwargs):
    from layer_check import check_config
    q, v = rand(2, 4, 6), rand(2, 5, 6, seed=2)
    q_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    ours = kxla.layers.GroupQueryAttention(**kwargs, bias_initializer="random_normal")
    ours(q, v)
    twin = keras.layers.GroupQueryAttention(**kwargs, bias_initializer="random_normal")
    twin(q, v)
    assert [w.path for w in ours.weights] == [w.path for w in twin.weights]
    twin.set_weights(ours.get_weights())
    for causal, scores in ((False, False), (True, True)):          # the two softmax paths Keras has
        got = ours(q, v, query_mask=q_mask, value_mask=v_mask, use_causal_mask=causal,
                   return_attention_scores=scores)
        ref = twin(q, v, query_mask=q_mask, value_mask=v_mask, use_causal_mask=causal,
                   return_attention_scores=scores)
        for a, b in zip(got if scores else [got], ref if scores else [ref]):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)
    check_config(keras, ours, "GroupQueryAttention", {**kwargs, "bias_initializer": "random_normal"}, twin)


def test_serialize_wrapper_pipeline(keras):
    L = kxla.layers
    dense = L.Dense(3, name="d")
    config = L.serialize(dense)
    assert config["class_name"] == "Dense" and L.deserialize(config).get_config() == dense.get_config()
    assert type(L.deserialize(keras.layers.serialize(keras.layers.Dense(2)))) is L.Dense
    x = np.random.default_rng(0).uniform(0, 255, (2, 5, 5, 1)).astype("float32")
    pipe = L.Pipeline([L.Rescaling(1 / 255.0), L.CenterCrop(3, 3)])
    twin = keras.layers.Pipeline([keras.layers.Rescaling(1 / 255.0), keras.layers.CenterCrop(3, 3)])
    np.testing.assert_allclose(np.asarray(pipe(x)), np.asarray(twin(x)), rtol=1e-6)
    assert [type(l) for l in L.Pipeline.from_config(pipe.get_config()).layers] == [L.Rescaling, L.CenterCrop]

    class Twice(L.Wrapper):
        def call(self, inputs):
            return self.layer(self.layer(inputs))

    wrapped = Twice(L.Dense(4, name="inner"))
    out = wrapped(rand(2, 4))
    assert out.shape == (2, 4) and [w.name for w in wrapped.weights] == ["kernel", "bias"]
    assert wrapped.get_config()["layer"]["class_name"] == "Dense"
    with pytest.raises(ValueError, match="supported layer type"):
        L.Wrapper("dense")


def test_reversible_embedding_matches_keras(keras):
    from layer_check import check_config
    ids = np.array([[1, 0, 3], [4, 5, 0]])
    for kwargs in ({"mask_zero": True}, {"tie_weights": False, "logit_soft_cap": 5.0}):
        ours = kxla.layers.ReversibleEmbedding(10, 4, **kwargs)
        hidden = ours(ids)
        twin = keras.layers.ReversibleEmbedding(10, 4, **kwargs)
        twin(ids)
        assert [w.path for w in ours.weights] == [w.path for w in twin.weights]
        twin.set_weights(ours.get_weights())
        np.testing.assert_allclose(np.asarray(hidden), np.asarray(twin(ids)), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(ours(hidden, reverse=True)),
                                   np.asarray(twin(np.asarray(hidden), reverse=True)), rtol=1e-5, atol=1e-6)
        check_config(keras, ours, "ReversibleEmbedding", kwargs, twin)
    assert ours.compute_mask(ids) is None and kxla.layers.ReversibleEmbedding(5, 2, mask_zero=True).compute_mask(
        ids) is not None
