"""kxla.distillation's losses give Keras 3's values (arrays in, same numbers)."""
import numpy as np
import pytest

import kxla

RNG = np.random.default_rng(0)
T, S = RNG.normal(size=(4, 5)).astype("float32"), RNG.normal(size=(4, 5)).astype("float32")


@pytest.mark.parametrize("make", [
    lambda K: K.distillation.LogitsDistillation(),
    lambda K: K.distillation.LogitsDistillation(temperature=2, loss="mse"),
    lambda K: K.distillation.LogitsDistillation(temperature=1.5, loss=K.losses.KLDivergence()),
    lambda K: K.distillation.FeatureDistillation(),
    lambda K: K.distillation.FeatureDistillation(loss="cosine_similarity")])
def test_losses_match_keras(keras, make):
    ours, theirs = make(kxla), make(keras)
    np.testing.assert_allclose(np.asarray(ours.compute_loss(T, S)), np.asarray(theirs.compute_loss(T, S)),
                               rtol=1e-5, atol=1e-6)


def test_structured_losses_and_errors_match_keras(keras):
    for K in (kxla, keras):
        loss = K.distillation.FeatureDistillation(loss=["mse", None])
        value = loss.compute_loss([T, S], [S, T])
        if K is kxla:
            ours = np.asarray(value)
    np.testing.assert_allclose(ours, np.asarray(value), rtol=1e-6)
    for bad in (dict(temperature=0), dict(temperature="3"), dict(loss=None)):
        with pytest.raises(ValueError) as e_ours:
            kxla.distillation.LogitsDistillation(**bad)
        with pytest.raises(ValueError) as e_theirs:
            keras.distillation.LogitsDistillation(**bad)
        assert str(e_ours.value) == str(e_theirs.value)
    assert kxla.distillation.LogitsDistillation(2.0, "mse").get_config()["temperature"] == 2.0
