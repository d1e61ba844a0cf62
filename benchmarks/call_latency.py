"""Batch-1 latency of ``model(x)`` against a hand-jitted apply of the same model, same process.

    python benchmarks/call_latency.py                 # all models, 5 interleaved rounds
    python benchmarks/call_latency.py --rounds 9 --calls 400 --keras

For each model, rounds alternate ``model(x)`` and ``jax.jit(apply_fn)(params, state, x)`` (the
``as_jax()`` function: what a JAX user would write), each timed over ``--calls`` calls with the
result blocked on; the reported figure is the median over rounds of per-call microseconds and the
ratio of medians (kxla / hand-jitted). ``--keras`` adds Keras 3's ``model(x)`` for reference.
Results are printed as a table and written to ``benchmarks/call_latency.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _models(kxla):
    L = kxla.layers

    def mlp():
        return kxla.Sequential([L.Dense(512, activation="relu", input_shape=(784,)),
                                L.Dense(512, activation="relu"), L.Dense(10)]), (1, 784)

    def functional_bn():
        inp = kxla.Input((784,))
        h = L.BatchNormalization()(L.Dense(256)(inp))
        return kxla.Model(inp, L.Dense(10)(L.Activation("relu")(h))), (1, 784)

    def lstm():
        return kxla.Sequential([L.LSTM(32, input_shape=(50, 16)), L.Dense(1)]), (1, 50, 16)

    return {"mlp_784_512_512_10": mlp, "functional_bn": functional_bn, "lstm_50x16": lstm}


def _time(fn, x, calls):
    fn(x).block_until_ready()
    start = time.perf_counter()
    for _ in range(calls):
        out = fn(x)
    out.block_until_ready()
    return (time.perf_counter() - start) / calls * 1e6


def bench(rounds: int, calls: int, with_keras: bool) -> dict:
    import jax
    import kxla
    results = {}
    for name, make in _models(kxla).items():
        model, shape = make()
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        apply_fn, params, state = model.as_jax()
        jitted = jax.jit(lambda p, s, x: apply_fn(p, s, x)[0])
        runners = {"kxla model(x)": lambda x: model(x),
                   "hand-jitted apply": lambda x: jitted(params, state, x)}
        if with_keras:
            import keras
            km = keras.models.clone_model(_keras_twin(keras, name))
            runners["keras model(x)"] = lambda x: km(x)
        times = {k: [] for k in runners}
        for _ in range(rounds):
            for k, fn in runners.items():
                times[k].append(_time(fn, x, calls))
        med = {k: statistics.median(v) for k, v in times.items()}
        med["ratio"] = med["kxla model(x)"] / med["hand-jitted apply"]
        med["ratio_of_minima"] = min(times["kxla model(x)"]) / min(times["hand-jitted apply"])
        results[name] = med
    return results


def _keras_twin(keras, name):
    L = keras.layers
    if name == "mlp_784_512_512_10":
        return keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"),
                                 L.Dense(512, activation="relu"), L.Dense(10)])
    if name == "functional_bn":
        inp = keras.Input((784,))
        h = L.BatchNormalization()(L.Dense(256)(inp))
        return keras.Model(inp, L.Dense(10)(L.Activation("relu")(h)))
    return keras.Sequential([keras.Input((50, 16)), L.LSTM(32), L.Dense(1)])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--keras", action="store_true")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "call_latency.json"))
    args = ap.parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "jax")
    results = bench(args.rounds, args.calls, args.keras)
    cols = sorted({k for r in results.values() for k in r if not k.startswith("ratio")})
    print(f"{'model':<22}" + "".join(f"{c + ' (us)':>22}" for c in cols) + f"{'ratio':>8}{'min ratio':>10}")
    for name, r in results.items():
        print(f"{name:<22}" + "".join(f"{r[c]:>22.1f}" for c in cols) + f"{r['ratio']:>8.3f}"
              f"{r['ratio_of_minima']:>10.3f}")
    with open(args.out, "w") as f:
        json.dump({"rounds": args.rounds, "calls": args.calls, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
