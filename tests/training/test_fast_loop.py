"""The fast fit loop: prefetch thread, steps_per_execution plans, one program per mode, predict's fast
path, the persistent compilation cache and the compile summary in fit's verbose output."""
import json
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import kxla
from kxla import layers
from kxla.testing import assert_max_compiles
from kxla.training import data as data_mod
from kxla.training import plan as plan_mod


def _mlp(seed=0, **compile_kw):
    kxla.utils.set_random_seed(seed)
    model = kxla.Sequential([layers.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3, activation="softmax")])
    model.compile(kxla.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"],
                  **compile_kw)
    return model


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)).astype("float32"), rng.integers(0, 3, n).astype("int32")


def _prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "kxla-prefetch"]


def test_prefetch_inline_scan_and_loop_train_identically():
    x, y = _data(100)
    results = []
    for kw in ({"prefetch": 0}, {"prefetch": 2}, {"steps_per_execution": 3, "execution": "scan"},
               {"steps_per_execution": 3, "execution": "loop"}):
        model = _mlp(**kw)
        model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
        results.append((model.get_weights(), model.history.history["loss"]))
        assert not _prefetch_threads()
    for weights, loss in results[1:]:
        for a, b in zip(results[0][0], weights):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(loss, results[0][1], rtol=1e-5)


def test_prefetcher_propagates_errors_and_stops_early():
    def produce(i):
        if i == 3:
            raise RuntimeError("bad batch")
        return i * 10
    feed = data_mod.Prefetcher(range(10), produce, depth=2)
    got = []
    with pytest.raises(RuntimeError, match="bad batch"):
        for item, out in feed:
            got.append(out)
    assert got == [0, 10, 20]
    feed.close()
    feed = data_mod.Prefetcher(range(1000), lambda i: i, depth=2)
    next(iter(feed))
    feed.close()                                     # stop_training: the thread ends without draining
    assert not _prefetch_threads()


def test_stop_training_mid_epoch_closes_the_prefetch_thread():
    class Stop(kxla.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True
    x, y = _data(200)
    model = _mlp()
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Stop()])
    assert len(model.history.history["loss"]) == 1 and not _prefetch_threads()


def test_execution_plan_rule(monkeypatch):
    x, y = _data(64)
    dense = _mlp(steps_per_execution=4)
    dense.fit(x, y, batch_size=16, verbose=0)              # XLA:CPU: scanning never paid, loop
    assert dense.execution_plan.mode == "loop" and "dispatch" in dense.execution_plan.reason
    conv = kxla.Sequential([layers.Input(shape=(6, 6, 1)), layers.Conv2D(2, 3), layers.Flatten(),
                            layers.Dense(3, activation="softmax")])
    conv.compile("sgd", "sparse_categorical_crossentropy", steps_per_execution=4)
    plan = conv._execution_plan(4, conv._lowered(True)[2], 100, 0)
    assert plan.mode == "loop" and "conv" in plan.reason
    # on an accelerator: scan, with k lowered to fit the stacked-batch memory budget
    monkeypatch.setattr(plan_mod.jax, "default_backend", lambda: "gpu")
    monkeypatch.setattr(plan_mod, "_stacked_budget", lambda: 4 * 100 * 2)   # 4 groups of 100 B, 2 in flight
    small = _mlp(steps_per_execution=8)
    graph = small._lowered(True)[2]
    assert small._execution_plan(4, graph, 100, 0).mode == "scan"
    plan = small._execution_plan(8, graph, 100, 0)
    assert plan.mode == "scan" and plan.k == 4 and "lowered from 8 to 4" in plan.reason
    plan = small._execution_plan(8, graph, 10 ** 6, 0)
    assert plan.mode == "loop" and "budget" in plan.reason


def test_one_compilation_per_mode_ragged_10000_by_128_with_validation():
    x, y = _data(10000)
    model = _mlp()
    model.fit(x, y, batch_size=128, epochs=2, validation_split=0.1, verbose=0)
    model.evaluate(x, y, batch_size=128, verbose=0)
    model.predict(x, batch_size=128, verbose=0)
    with assert_max_compiles(0):                     # every length reuses the programs
        model.predict(x[:77], batch_size=128, verbose=0)
        model.predict(x[:1], batch_size=128, verbose=0)
        model.evaluate(x[:5], y[:5], batch_size=128, verbose=0)
        model.fit(x[:300], y[:300], batch_size=128, epochs=1, verbose=0, validation_data=(x[:10], y[:10]))
    stats = model.compile_stats()
    assert [stats[m]["compiles"] for m in ("train", "evaluate", "predict")] == [1, 1, 1]


def test_predict_pads_small_inputs_to_powers_of_two_and_fast_path_matches():
    x, _ = _data(40)
    model = _mlp()
    full = model.predict(x, batch_size=40, verbose=0)
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), full[:1], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:3], verbose=0), full[:3], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:4], verbose=0), full[:4], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), full, rtol=1e-6, atol=1e-6)   # 32 + padded 8
    assert model.compile_stats()["predict"]["compiles"] == 4        # 40, 1, 4 (3 and 4), 32
    assert model.predict(x[:0], verbose=0).shape == (0, 3)
    w = model.get_weights()
    model.set_weights([a * 0 for a in w])                             # new weights are picked up
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), np.full((1, 3), 1 / 3), rtol=1e-6)


def test_repeated_predict_call_sees_new_inputs_and_every_weight_change():
    x, y = _data(8)
    model = _mlp()

    def numpy_predict(inputs):
        k0, b0, k1, b1 = model.get_weights()
        h = np.maximum(inputs @ k0 + b0, 0) @ k1 + b1
        e = np.exp(h - h.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    for i in range(3):                                   # the same call shape: the remembered path
        np.testing.assert_allclose(model.predict(x[i:i + 1], verbose=0), numpy_predict(x[i:i + 1]),
                                   rtol=1e-5, atol=1e-6)
    model.layers[0].kernel.assign(model.layers[0].kernel.numpy() * 2)
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), numpy_predict(x[:1]), rtol=1e-5, atol=1e-6)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), numpy_predict(x[:1]), rtol=1e-5, atol=1e-6)
    model.set_weights([w + 1 for w in model.get_weights()])
    np.testing.assert_allclose(model.predict(x[:1], verbose=0), numpy_predict(x[:1]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x[:1].astype("float64"), verbose=0), numpy_predict(x[:1]),
                               rtol=1e-5, atol=1e-6)            # another dtype: converted, not the cached call
    np.testing.assert_allclose(model.predict(x[:1], batch_size=4, verbose=0), numpy_predict(x[:1]),
                               rtol=1e-5, atol=1e-6)
    with kxla.distribution.DataParallel().scope():       # a distribution in scope leaves the cached call
        np.testing.assert_allclose(model.predict(x[:1], verbose=0), numpy_predict(x[:1]),
                                   rtol=1e-5, atol=1e-6)
    assert not kxla.distribution.distribution_lib.in_use()


def test_verbose_fit_prints_the_compile_summary_once(capsys):
    x, y = _data(64)
    model = _mlp()
    model.fit(x, y, batch_size=16, epochs=2, verbose=2, validation_split=0.25)
    out = capsys.readouterr().out
    assert out.count("train: 1 XLA compilation (trace ") == 1 and "evaluate: 1 XLA compilation" in out
    model.fit(x, y, batch_size=16, epochs=1, verbose=2)
    assert "XLA compilation" not in capsys.readouterr().out


CACHE_SCRIPT = textwrap.dedent("""
    import json, sys, numpy as np, kxla
    from kxla import layers
    kxla.config.enable_compilation_cache(sys.argv[1])
    kxla.utils.set_random_seed(0)
    m = kxla.Sequential([layers.Input(shape=(5,)), layers.Dense(7, activation="relu"), layers.Dense(2)])
    m.compile("adam", "mse")
    x = np.ones((32, 5), "float32")
    m.fit(x, np.zeros((32, 2), "float32"), batch_size=16, epochs=1, verbose=0)
    print("RESULT " + json.dumps(m.compile_stats()["train"]))
""")


def test_persistent_compilation_cache_skips_compilation_in_a_second_process(tmp_path):
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", CACHE_SCRIPT, str(tmp_path / "xla")], capture_output=True,
                              text=True, timeout=240, env=dict(os.environ, JAX_PLATFORMS="cpu"))
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append(json.loads(proc.stdout.split("RESULT ", 1)[1]))
    first, second = runs
    assert first["compiles"] == 1 and first["cache_misses"] == 1 and first["cache_hits"] == 0
    assert second["compiles"] == 0 and second["cache_hits"] == 1 and second["cache_load_seconds"] > 0
