"""Weights of layers shared by several models, and frozen weights next to trainable ones, in every
path that reads them (predict's single-array program, model(x), get_weights) — against Keras 3."""
import numpy as np
import pytest

import kxla

keras = pytest.importorskip("keras")

RNG = np.random.default_rng(0)
X = RNG.normal(size=(16, 4)).astype("float32")
Y = RNG.normal(size=(16, 4)).astype("float32")


def _pair(lib):
    """A model and a sub-model sharing its first layer."""
    inp = lib.Input((4,))
    first = lib.layers.Dense(4, name="first")
    h = first(inp)
    out = lib.layers.Dense(4, name="second")(h)
    return first, lib.Model(inp, out), lib.Model(inp, h)


def _same_start(weights=None):
    ours, theirs = _pair(kxla), _pair(keras)
    theirs[1].set_weights(weights or [RNG.normal(size=w.shape).astype("float32")
                                      for w in theirs[1].get_weights()])
    ours[1].set_weights(theirs[1].get_weights())
    return ours, theirs


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-5)


def test_a_second_model_over_shared_layers_sees_set_weights():
    (first, big, sub), (kfirst, kbig, ksub) = _same_start()
    big.predict(X, verbose=0)                      # the big model's state owns the weights now
    new = [np.ones((4, 4), "float32"), np.zeros(4, "float32")]
    first.set_weights(new)
    kfirst.set_weights(new)
    _close(sub.predict(X, verbose=0), ksub.predict(X, verbose=0))
    _close(big.predict(X, verbose=0), kbig.predict(X, verbose=0))
    _close(big(X), kbig(X))
    _close(sub(X), ksub(X))


def test_training_one_model_reaches_the_other_through_shared_layers():
    (first, big, sub), (kfirst, kbig, ksub) = _same_start()
    for lib, model in ((kxla, big), (keras, kbig)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    sub.predict(X, verbose=0)                      # the sub-model holds the shared weights first
    big.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    kbig.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    _close(sub.predict(X, verbose=0), ksub.predict(X, verbose=0))
    for a, b in zip(first.get_weights(), kfirst.get_weights()):
        _close(a, b)
    big.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)        # and back again
    kbig.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    _close(big.predict(X, verbose=0), kbig.predict(X, verbose=0))
    _close(sub(X), ksub(X))


def test_a_callback_predicting_with_a_sub_model_during_fit():
    """The sub-model takes the shared weights mid-fit; each prediction uses the weights of that moment,
    and the fit goes on to the same weights as Keras's fit (Keras's JAX backend cannot run this
    callback: its variables are not synced inside fit)."""
    (first, big, sub), (kfirst, kbig, ksub) = _same_start()
    seen = []

    class Probe(kxla.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            kernel, bias = first.get_weights()
            seen.append((np.asarray(sub.predict(X[:2], verbose=0)), X[:2] @ kernel + bias))

    for lib, model in ((kxla, big), (keras, kbig)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    big.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[Probe()])
    kbig.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert len(seen) == 8 and not np.allclose(seen[0][1], seen[-1][1])
    for got, expected in seen:
        _close(got, expected)
    for a, b in zip(big.get_weights(), kbig.get_weights()):
        _close(a, b)


def test_frozen_weights_shaped_like_trainable_ones_keep_their_places():
    """A frozen layer before a trainable one of the same weight shapes: predict's single-array program
    must take each weight by name (the state lists trainable weights before frozen ones)."""
    outs = {}
    weights = [RNG.normal(size=s).astype("float32") for s in ((4, 4), (4,), (4, 4), (4,))]
    for lib in (kxla, keras):
        inp = lib.Input((4,))
        frozen = lib.layers.Dense(4, activation="tanh")
        x = frozen(inp)
        model = lib.Model(inp, lib.layers.Dense(4)(x))
        model.set_weights(weights)
        frozen.trainable = False
        outs[lib] = [np.asarray(model.predict(X, verbose=0)), np.asarray(model(X))]
        model.compile(optimizer="sgd", loss="mse")
        model.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        outs[lib] += [np.asarray(model.predict(X, verbose=0)), np.asarray(model(X))]
    for a, b in zip(outs[kxla], outs[keras]):
        _close(a, b)
