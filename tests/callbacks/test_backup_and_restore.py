"""BackupAndRestore: a fit interrupted by an exception resumes from the last backed-up epoch with the
weights and optimizer state of that epoch (final weights equal an uninterrupted run), as Keras 3's;
OrbaxCheckpoint without orbax raises an ImportError naming the package."""
import os

import numpy as np
import pytest

import kxla


class _Stop(Exception):
    pass


def _interrupt_at(lib, at):
    class Interrupt(lib.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == at:
                raise _Stop()
    return Interrupt()


def _run(lib, model_fn, x, y, tmp, interrupt):
    backup = lib.callbacks.BackupAndRestore(os.path.join(tmp, "backup"))
    first = model_fn()
    with pytest.raises(_Stop):
        first.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0, callbacks=[backup, _interrupt_at(lib, interrupt)])
    assert os.path.exists(os.path.join(tmp, "backup", "latest.weights.h5"))
    again = model_fn()                    # a new process would build the model afresh
    history = again.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0, callbacks=[backup])
    assert not os.path.exists(os.path.join(tmp, "backup"))        # deleted when fit finishes
    return again, history


def test_resume_after_interrupted_fit_like_keras(keras, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 3), np.float32), rng.random((32, 1), np.float32)
    init = [rng.normal(size=(3, 1)).astype("float32"), np.zeros(1, "float32")]

    def make(lib):
        def fn():
            m = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
            m.compile(lib.optimizers.Adam(0.05), "mse")
            m.set_weights(init)
            return m
        return fn

    straight = make(kxla)()
    straight.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    resumed, hist = _run(kxla, make(kxla), x, y, str(tmp_path / "kx"), interrupt=2)
    k_resumed, k_hist = _run(keras, make(keras), x, y, str(tmp_path / "ke"), interrupt=2)
    assert hist.epoch == k_hist.epoch == [2, 3]
    np.testing.assert_allclose(hist.history["loss"], k_hist.history["loss"], rtol=1e-5)
    for a, b, c in zip(resumed.get_weights(), straight.get_weights(), k_resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(a, c, rtol=1e-5, atol=1e-6)
    assert int(resumed.optimizer.iterations.numpy()) == int(straight.optimizer.iterations.numpy()) == 16


def test_orbax_checkpoint_names_the_missing_package(tmp_path):
    pytest.importorskip("jax")
    try:
        import orbax.checkpoint  # noqa: F401
        pytest.skip("orbax-checkpoint is installed")
    except ImportError:
        pass
    with pytest.raises(ImportError, match="orbax-checkpoint"):
        kxla.callbacks.OrbaxCheckpoint(str(tmp_path))
