"""kxla.distribution: the Keras 3 API shape in-process (one device), and real sharding on 4 simulated
CPU devices in a subprocess (``XLA_FLAGS=--xla_force_host_platform_device_count=4``)."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import kxla
from kxla import distribution, layers


@pytest.fixture(autouse=True)
def _no_distribution_after():
    yield
    distribution.set_distribution(None)


def test_device_mesh_layout_map_and_errors():
    mesh = distribution.DeviceMesh((1,), ("batch",))
    assert mesh.shape == (1,) and mesh.axis_names == ("batch",) and mesh.backend_mesh.shape == {"batch": 1}
    with pytest.raises(ValueError, match="same size"):
        distribution.DeviceMesh((1,), ("batch", "model"))
    with pytest.raises(ValueError, match="number of devices"):
        distribution.DeviceMesh((2,), ("batch",))
    layout_map = distribution.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "batch")
    layout_map["head/bias"] = distribution.TensorLayout(("batch",))
    assert layout_map["dense_1/kernel"].axes == (None, "batch")
    assert layout_map["head/bias"].device_mesh is mesh and layout_map["conv/kernel"] is None
    layout_map[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches multiple"):
        layout_map["dense_1/kernel"]
    with pytest.raises(ValueError, match="already exist"):
        layout_map["head/bias"] = ("batch",)
    with pytest.raises(ValueError, match="not in the mesh"):
        distribution.LayoutMap(mesh)["x"] = ("model",)
    with pytest.raises(ValueError, match="layout_map"):
        distribution.ModelParallel()


def test_set_distribution_and_scope():
    assert distribution.distribution() is None
    dp = distribution.DataParallel()
    assert dp.batch_dim_name == "batch" and dp.num_model_replicas == len(distribution.list_devices())
    distribution.set_distribution(dp)
    assert distribution.distribution() is dp
    other = distribution.DataParallel(devices=distribution.list_devices())
    with other.scope():
        assert distribution.distribution() is other
    assert distribution.distribution() is dp
    with pytest.raises(ValueError):
        distribution.set_distribution("dp")


def test_single_device_data_parallel_trains_like_no_distribution():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)).astype("float32"), rng.normal(size=(40, 2)).astype("float32")
    weights = []
    for dist in (None, distribution.DataParallel()):
        distribution.set_distribution(dist)
        kxla.utils.set_random_seed(0)
        m = kxla.Sequential([layers.Input(shape=(5,)), layers.Dense(2)])
        m.compile(kxla.optimizers.SGD(0.1), "mse")
        m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
        weights.append(m.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


SCRIPT = textwrap.dedent("""
    import json, numpy as np, jax, kxla
    from kxla import layers, distribution
    rng = np.random.default_rng(0)
    x = rng.normal(size=(70, 8)).astype("float32"); y = rng.integers(0, 4, 70).astype("int32")

    def run():
        kxla.utils.set_random_seed(0)
        m = kxla.Sequential([layers.Input(shape=(8,)), layers.Dense(16, activation="relu", name="dense_a"),
                             layers.Dense(4, activation="softmax", name="dense_b")])
        m.compile(kxla.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
        # batch 18 does not split over 4 devices (padded to 20 and masked); 70 = 3 x 18 + a ragged 16
        hist = m.fit(x, y, batch_size=18, epochs=2, shuffle=False, verbose=0)
        ev = m.evaluate(x, y, batch_size=18, verbose=0, return_dict=True)
        pred = m.predict(x[:5], verbose=0)
        return m, hist.history["loss"], ev, pred

    ref, ref_loss, ref_ev, ref_pred = run()
    out = {"devices": jax.device_count()}
    distribution.set_distribution(distribution.DataParallel())
    dp, dp_loss, dp_ev, dp_pred = run()
    out["dp_weight_diff"] = max(float(np.abs(a - b).max()) for a, b in zip(ref.get_weights(), dp.get_weights()))
    out["dp_loss_diff"] = max(abs(a - b) for a, b in zip(ref_loss, dp_loss))
    out["dp_eval_diff"] = max(abs(ref_ev[k] - dp_ev[k]) for k in ref_ev)
    out["dp_pred_diff"] = float(np.abs(ref_pred - dp_pred).max())
    out["dp_kernel_spec"] = list(dp.weights[0].value.sharding.spec)
    out["dp_batch_devices"] = len(dp.weights[0].value.sharding.device_set)
    out["dp_stats"] = dp.compile_stats()

    mesh = distribution.DeviceMesh((2, 2), ("batch", "model"))
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense_a/kernel"] = (None, "model")
    layout_map["dense_a/bias"] = ("model",)
    distribution.set_distribution(distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
    mp, mp_loss, mp_ev, mp_pred = run()
    out["mp_weight_diff"] = max(float(np.abs(a - b).max()) for a, b in zip(ref.get_weights(), mp.get_weights()))
    kernel = mp.get_layer("dense_a").kernel.value
    out["mp_kernel_spec"] = list(kernel.sharding.spec)
    out["mp_kernel_shard_shape"] = list(kernel.addressable_shards[0].data.shape)
    slot = [v for k, v in mp._opt_state.items() if isinstance(v, dict)][0][mp.get_layer("dense_a").kernel.ir_name]
    out["mp_slot_spec"] = list(slot.sharding.spec)
    out["mp_stats"] = mp.compile_stats()
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.slow
def test_data_parallel_and_model_parallel_on_four_simulated_devices():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.split("RESULT ", 1)[1])
    assert out["devices"] == 4
    # data parallel: same training as one device (padding 18 -> 20 rows and the ragged batch are masked)
    assert out["dp_weight_diff"] < 1e-5 and out["dp_loss_diff"] < 1e-5 and out["dp_eval_diff"] < 1e-5
    assert out["dp_pred_diff"] < 1e-5
    assert out["dp_kernel_spec"] in ([], [None, None]) and out["dp_batch_devices"] == 4
    # model parallel: the Dense kernel (and its Adam slots) split over "model", same numbers
    assert out["mp_weight_diff"] < 1e-5
    assert out["mp_kernel_spec"] == [None, "model"] and out["mp_kernel_shard_shape"] == [8, 8]
    assert out["mp_slot_spec"] == [None, "model"]
    for stats in (out["dp_stats"], out["mp_stats"]):    # one program per mode, ragged batches included
        assert stats["train"]["compiles"] == 1 and stats["evaluate"]["compiles"] == 1
        assert stats["predict"]["compiles"] == 1
