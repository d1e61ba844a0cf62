"""Multi-process fit on ``jax.distributed``: 2 local CPU processes, the recipe of docs/distribution.md.

Each process passes its own slice of the data to ``fit``; the global batch is the processes'
local batches in process order. Weights, losses and metrics must equal a single-process run on
the same global batches.
"""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

CHILD = r'''
import json, os, sys
import numpy as np
import kxla
from kxla import distribution, layers

rank, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# the recipe of docs/distribution.md, as written
distribution.initialize(job_addresses=f"127.0.0.1:{port}", num_processes=2, process_id=rank)
distribution.set_distribution(distribution.DataParallel())
kxla.utils.set_random_seed(0)          # every process builds the same initial weights

x, y = np.load(sys.argv[4]), np.load(sys.argv[5])
x_local, y_local = x[rank], y[rank]
model = kxla.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(3)])
model.compile(kxla.optimizers.Adam(0.01), kxla.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history = model.fit(x_local, y_local, batch_size=8, epochs=3, shuffle=False, verbose=0)
loss = model.evaluate(x_local, y_local, batch_size=8, verbose=0)
if rank == 0:
    np.savez(out, *model.get_weights())
    with open(out + ".json", "w") as f:
        json.dump({"history": history.history, "evaluate": loss}, f)
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _single_process(x, y):
    import kxla
    from kxla import layers
    kxla.utils.set_random_seed(0)
    model = kxla.Sequential([layers.Input((6,)), layers.Dense(16, activation="relu"), layers.Dense(3)])
    model.compile(kxla.optimizers.Adam(0.01), kxla.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    # global batch k = process 0's local batch k, then process 1's
    gx = np.concatenate([np.concatenate([x[0][i:i + 8], x[1][i:i + 8]]) for i in range(0, x.shape[1], 8)])
    gy = np.concatenate([np.concatenate([y[0][i:i + 8], y[1][i:i + 8]]) for i in range(0, y.shape[1], 8)])
    history = model.fit(gx, gy, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return model.get_weights(), history.history, model.evaluate(gx, gy, batch_size=16, verbose=0)


def test_two_processes_equal_one(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 40, 6)).astype("float32")       # 40 rows per process: 5 batches of 8
    y = rng.integers(0, 3, size=(2, 40)).astype("int32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p), JAX_PLATFORMS="cpu")
    env.pop("XLA_FLAGS", None)
    port, out = _free_port(), str(tmp_path / "weights.npz")
    procs = [subprocess.Popen([sys.executable, str(script), str(r), str(port), out, str(tmp_path / "x.npy"),
                               str(tmp_path / "y.npy")], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for r in range(2)]
    try:
        outputs = [p.communicate(timeout=240)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert all(p.returncode == 0 for p in procs), "\n".join(o[-3000:] for o in outputs)
    got = np.load(out)
    got_weights = [got[f"arr_{i}"] for i in range(len(got.files))]
    with open(out + ".json") as f:
        report = json.load(f)
    weights, history, evaluated = _single_process(x, y)
    for a, b in zip(got_weights, weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(report["history"][key], history[key], rtol=1e-5)
    np.testing.assert_allclose(report["evaluate"], evaluated, rtol=1e-5)
