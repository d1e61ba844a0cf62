"""The default user configuration against the hand-written jit + optax loop, in one process.

    python benchmarks/default_config.py --rounds 15 [--hidden 32 --batch 32] [--out FILE]

Three contestants take turns epoch by epoch (order rotating): kxla ``fit(verbose=0)``; kxla
``fit`` in the default user configuration (``verbose=1`` with stdout going to a file: Keras's
progress bar, redrawn every 0.05 s on any stream, plus an epoch-level ``ModelCheckpoint``; the
checkpoint write at epoch end is outside the timed span, which a Timer callback placed first
measures); and the hand-written loop (numpy
batches sliced per step, one jitted value_and_grad + optax Adam step with donated state) on the
mlp_small model (784-32-10, batch 32; ``--samples`` not a multiple of ``--batch`` times the
padded, masked step of a ragged last batch). Prints per-step wall milliseconds (min, median over epochs), per-step process CPU time (all
threads; blind to other processes' load, the steadier figure on a shared machine) and the ratios,
and writes them to ``benchmarks/default_config.json`` (with the machine's load average).
"""
import argparse
import contextlib
import json
import os
import tempfile
import time
import numpy as np, jax, optax
import kxla
from kxla import layers
ap = argparse.ArgumentParser()
ap.add_argument("--rounds", type=int, default=12)
ap.add_argument("--hidden", type=int, default=32)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--samples", type=int, default=8192)
ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "default_config.json"))
args = ap.parse_args()
n, bs, hidden = args.samples, args.batch, args.hidden
x = np.random.default_rng(0).normal(size=(n, 784)).astype("float32")
y = np.random.default_rng(1).integers(0, 10, size=n).astype("int32")
def build():
    kxla.utils.set_random_seed(0)
    m = kxla.Sequential([layers.Input((784,)), layers.Dense(hidden, activation="relu"), layers.Dense(10, activation="softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    return m
a, b = build(), build()
d = tempfile.mkdtemp()
times = {"plain": [], "default": [], "jax": []}
cpu = {"plain": [], "default": [], "jax": []}      # process CPU seconds (all threads): blind to other processes' load
class Timer(kxla.callbacks.Callback):
    def __init__(s, key): super().__init__(); s.key = key
    def on_epoch_begin(s, e, logs=None): s.t, s.c = time.perf_counter(), time.process_time()
    def on_epoch_end(s, e, logs=None):
        times[s.key].append(time.perf_counter() - s.t)
        cpu[s.key].append(time.process_time() - s.c)
def plain(): a.fit(x, y, batch_size=bs, epochs=1, verbose=0, callbacks=[Timer("plain")])
def default():
    with open(os.path.join(d, "p.txt"), "w") as f, contextlib.redirect_stdout(f):
        b.fit(x, y, batch_size=bs, epochs=1, callbacks=[Timer("default"), kxla.callbacks.ModelCheckpoint(os.path.join(d, "m.kxla"))])
# hand-written jax + optax
k1, k2 = jax.random.split(jax.random.key(0))
params = {"w1": jax.random.normal(k1, (784, hidden)) * 0.05, "b1": jax.numpy.zeros(hidden), "w2": jax.random.normal(k2, (hidden, 10)) * 0.1, "b2": jax.numpy.zeros(10)}
opt = optax.adam(1e-3); ost = opt.init(params)
def loss(p, xb, yb):
    h = jax.nn.relu(xb @ p["w1"] + p["b1"]); lo = jax.nn.log_softmax(h @ p["w2"] + p["b2"])
    return -jax.numpy.mean(jax.numpy.take_along_axis(lo, yb[:, None], 1))
@jax.jit
def step(p, s, xb, yb):
    l, g = jax.value_and_grad(loss)(p, xb, yb); u, s = opt.update(g, s, p); return optax.apply_updates(p, u), s, l
step = jax.jit(step.__wrapped__, donate_argnums=(0, 1))
def jx():
    global params, ost
    t, c = time.perf_counter(), time.process_time(); order = np.random.permutation(n)
    for i in range(0, n, bs):
        idx = order[i:i + bs]; params, ost, l = step(params, ost, x[idx], y[idx])
    jax.block_until_ready(params); times["jax"].append(time.perf_counter() - t)
    cpu["jax"].append(time.process_time() - c)
for f in (plain, default, jx): f()
for k in times: times[k].clear(); cpu[k].clear()
for r in range(args.rounds):
    for f in [(plain, default, jx), (default, jx, plain), (jx, plain, default)][r % 3]:
        f()
steps = n // bs
print({k: (round(min(v) / steps * 1e3, 4), round(sorted(v)[len(v)//2] / steps * 1e3, 4)) for k, v in times.items()})
print("cpu ms/step (median):", {k: round(sorted(v)[len(v)//2] / steps * 1e3, 4) for k, v in cpu.items()})
med = {k: sorted(v)[len(v)//2] for k, v in cpu.items()}
print("cpu-time ratios: default/jax %.3f  plain/jax %.3f  default/plain %.3f" % (
    med["default"]/med["jax"], med["plain"]/med["jax"], med["default"]/med["plain"]))
mn = {k: min(v) for k, v in times.items()}
print("min ratios: default/jax %.3f  plain/jax %.3f  default/plain %.3f" % (mn["default"]/mn["jax"], mn["plain"]/mn["jax"], mn["default"]/mn["plain"]))
with open(args.out, "w") as f:
    json.dump({"rounds": args.rounds, "hidden": hidden, "batch": bs, "samples": n,
               "load_average": os.getloadavg(),
               "wall_ms_per_step_min_median": {k: [round(min(v) / steps * 1e3, 4), round(sorted(v)[len(v) // 2] / steps * 1e3, 4)]
                                               for k, v in times.items()},
               "cpu_ms_per_step_median": {k: round(v / steps * 1e3, 4) for k, v in med.items()},
               "cpu_ratio_default_over_jax": round(med["default"] / med["jax"], 4),
               "cpu_ratio_plain_over_jax": round(med["plain"] / med["jax"], 4),
               "min_wall_ratio_default_over_jax": round(mn["default"] / mn["jax"], 4)}, f, indent=1)
