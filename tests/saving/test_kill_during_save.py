"""SIGKILL at random moments while a process saves two models in turn to the same paths.

After every kill the file at each path loads as one of the two models (never
a mix, never an error), and the next save removes the temp files the killed
process left. Slow (one process start per kill):
``pytest -m slow tests/saving/test_kill_during_save.py`` (counts in docs/reliability.md).
"""
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import kxla

KILLS = 30

_SAVER = r"""
import sys
import numpy as np
import kxla
from kxla import layers
folder = sys.argv[1]
models = []
for value in (1.0, 2.0):
    m = kxla.Sequential([layers.Input((64,)), layers.Dense(256, name="a"), layers.Dense(256, name="b")])
    for w in m.weights:
        w.assign(np.full(w.shape, value, "float32"))
    models.append(m)
print("ready", flush=True)
k = 0
while True:
    m = models[k % 2]
    m.save(folder + "/m.kxla")
    m.save_weights(folder + "/w.weights.kxla")
    k += 1
"""


def _value(model) -> float:
    values = {float(np.asarray(w.numpy()).flat[0]) for w in model.weights}
    assert len(values) == 1, f"a mix of two models: {values}"
    return values.pop()


@pytest.mark.slow
def test_sigkill_during_save_leaves_old_or_new(tmp_path):
    rng = random.Random(0)
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    outcomes = {"old_or_new": 0, "absent": 0}
    mid_write = 0
    probe = kxla.Sequential([kxla.layers.Input((64,)), kxla.layers.Dense(256, name="a"),
                             kxla.layers.Dense(256, name="b")])
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(tmp_path)], stdout=subprocess.PIPE, env=env,
                                text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        mid_write += any(n.endswith(".tmp") for n in os.listdir(tmp_path))      # killed inside a write
        path = tmp_path / "m.kxla"
        if not path.exists():
            outcomes["absent"] += 1
            continue
        assert _value(kxla.models.load_model(path)) in (1.0, 2.0)
        if (tmp_path / "w.weights.kxla").exists():
            probe.load_weights(tmp_path / "w.weights.kxla")
            assert _value(probe) in (1.0, 2.0)
        outcomes["old_or_new"] += 1
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    probe.save(tmp_path / "m.kxla")
    probe.save_weights(tmp_path / "w.weights.kxla")
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    print(f"\n{KILLS} SIGKILLs during save: {outcomes}; {mid_write} kills left a temp file (killed inside a "
          f"write), each removed by the next process's first save; {len(leftovers)} left at the end, removed by "
          "the final save")
