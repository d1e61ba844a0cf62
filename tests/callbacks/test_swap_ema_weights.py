"""SwapEMAWeights with an EMA optimizer: validation runs on the moving-average weights, fit ends with
them (Keras's finalize_variable_values), as Keras 3."""
import numpy as np

import kxla


def _fit(lib, init, x, y, swap_on_epoch):
    m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2)])
    m.set_weights(init)
    m.compile(lib.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5), "mse")
    h = m.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0, validation_data=(x, y),
              callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)])
    return h.history, m


def test_swap_ema_weights_like_keras(keras):
    rng = np.random.default_rng(0)
    x, y = rng.random((24, 3), np.float32), rng.random((24, 2), np.float32)
    init = [rng.normal(size=(3, 2)).astype("float32"), np.zeros(2, "float32")]
    for swap_on_epoch in (False, True):
        hm, m = _fit(kxla, init, x, y, swap_on_epoch)
        hk, k = _fit(keras, init, x, y, swap_on_epoch)
        for key in hk:
            np.testing.assert_allclose(hm[key], hk[key], rtol=1e-5, atol=1e-6, err_msg=key)
        for a, b in zip(m.get_weights(), k.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        for a, b in zip(m.optimizer.variables, k.optimizer.variables):
            np.testing.assert_allclose(np.asarray(a.numpy()), np.asarray(b.numpy()), rtol=1e-5, atol=1e-6)
