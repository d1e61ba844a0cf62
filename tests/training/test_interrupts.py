"""Ctrl-C during fit / train_on_batch keeps the weights and optimizer state of the last completed step.

A child process trains and is sent SIGINT at random moments (during compilation, inside the
jitted step, between steps, in callbacks); after each KeyboardInterrupt it checks that the
weights equal a replay of exactly ``iterations`` steps from the same start, that the optimizer
state is readable, and that training continues.
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

CHILD = r'''
import json, sys
import numpy as np
import kxla
from kxla import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 32)).astype("float32")
y = rng.normal(size=(128, 1)).astype("float32")


def build():
    kxla.utils.set_random_seed(0)
    m = kxla.Sequential([layers.Input((32,)), layers.Dense(256, activation="relu"), layers.Dense(256),
                         layers.Dense(1)])
    m.compile(kxla.optimizers.Adam(1e-4), "mse")
    return m


model, replay = build(), build()
w0 = model.get_weights()
for trial in range(int(sys.argv[2])):
    print("go", flush=True)
    try:
        if sys.argv[1] == "fit":
            model.fit(x, y, batch_size=128, epochs=10 ** 6, shuffle=False, verbose=0,
                      callbacks=[kxla.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: None)]
                      if trial % 2 else None)
        else:
            while True:
                model.train_on_batch(x, y)
    except KeyboardInterrupt:
        pass
    k = int(np.asarray(model._opt_state["iterations"])) if model._opt_state is not None else 0
    weights = model.get_weights()
    replay.set_weights(w0)
    replay._opt_state = None
    if k:
        replay.fit(np.tile(x, (k, 1)), np.tile(y, (k, 1)), batch_size=128, shuffle=False, verbose=0)
    same = all(np.array_equal(a, b) for a, b in zip(weights, replay.get_weights()))
    slots = [np.asarray(v) for v in __import__("jax").tree_util.tree_leaves(model._opt_state or {"none": 0})]
    model.train_on_batch(x, y)                  # training continues
    ok = all(np.isfinite(w).all() for w in model.get_weights())
    print(json.dumps({"k": k, "same": same, "slots": len(slots), "continues": bool(ok)}), flush=True)
'''


def _interrupt_child(tmp_path, mode, trials):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, str(script), mode, str(trials)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    rnd, results = random.Random(0), []
    try:
        for _ in range(trials):
            assert proc.stdout.readline().strip() == "go"
            time.sleep(rnd.uniform(0.0, 1.5) if not results else rnd.uniform(0.0, 0.3))
            proc.send_signal(signal.SIGINT)
            line = proc.stdout.readline()
            assert line, proc.stderr.read()[-3000:]
            results.append(json.loads(line))
        assert proc.wait(timeout=120) == 0, proc.stderr.read()[-3000:]
    finally:
        proc.kill()
    return results


@pytest.mark.parametrize("mode,trials", [
    ("fit", 3), ("train_on_batch", 3),
    pytest.param("fit", 20, marks=pytest.mark.slow), pytest.param("train_on_batch", 20, marks=pytest.mark.slow),
])
def test_sigint_keeps_last_completed_step(tmp_path, mode, trials):
    results = _interrupt_child(tmp_path, mode, trials=trials)
    assert len(results) == trials
    for r in results:
        assert r["same"] and r["continues"] and r["slots"] > 0, results
