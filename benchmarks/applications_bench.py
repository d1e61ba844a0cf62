"""The application models, kxla against Keras 3 on the same weights: throughput, batch-1 latency, first prediction.

    python benchmarks/applications_bench.py                      # the five models, 96x96 inputs (a few minutes)
    python benchmarks/applications_bench.py --size 224 --batch 32 --only ResNet50,MobileNetV2
    python benchmarks/applications_bench.py --json out.json

For each model Keras 3 (JAX backend) builds it with random weights and saves
them as a ``.weights.h5`` file; then, each in a fresh process, with the same
weights and inputs:

  keras       ``keras.applications.X(weights=path)``: ``predict`` / ``predict_on_batch``
  kxla        ``kxla.applications.X(weights=path)``: the optimized inference pipeline
              (BatchNorm folded, layouts converted, bias + activation fused)
  kxla_plain  the same model with the pass pipeline off (``passes="none"``), to show what the passes buy

Figures per system: construction -> first prediction (s; builder call, weights loaded, first
batch-1 prediction returned), throughput (images/s, ``predict`` on ``--batches`` batches of
``--batch``, median of ``--rounds``), batch-1 latency (ms, median over ``--calls``
``predict_on_batch`` calls), and the largest difference of kxla's outputs from Keras's.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

MODELS = ["ResNet50", "MobileNetV2", "EfficientNetB0", "VGG16", "DenseNet121"]
SYSTEMS = ["keras", "kxla", "kxla_plain"]


def _weights_file(name, size, path):
    import numpy as np
    import keras
    km = getattr(keras.applications, name)(weights=None, input_shape=(size, size, 3))
    rng = np.random.default_rng(0)
    for layer in km.layers:
        for var in layer.weights:
            value = np.asarray(var)
            if value.dtype.kind == "f":
                noise = rng.normal(size=value.shape).astype(value.dtype) * 0.02
                var.assign(np.abs(value + noise) + 0.5 if "variance" in var.path else value + noise)
    km.save_weights(path)


def _build(system, name, size, path):
    if system == "keras":
        import keras
        return getattr(keras.applications, name)(weights=path, input_shape=(size, size, 3))
    import kxla
    model = getattr(kxla.applications, name)(weights=path, input_shape=(size, size, 3))
    if system == "kxla_plain":
        model._passes = "none"              # what compile(passes="none") sets: the graph as traced
    return model


def child(system, name, size, batch, batches, rounds, calls, path, out):
    import numpy as np
    rng = np.random.default_rng(1)
    x1 = rng.uniform(0, 255, size=(1, size, size, 3)).astype("float32")
    xs = rng.uniform(0, 255, size=(batch * batches, size, size, 3)).astype("float32")
    t0 = time.perf_counter()
    model = _build(system, name, size, path)
    first = np.asarray(model.predict_on_batch(x1))
    first_s = time.perf_counter() - t0
    model.predict(xs[:batch], batch_size=batch, verbose=0)          # compile the batch shape
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        preds = model.predict(xs, batch_size=batch, verbose=0)
        times.append(time.perf_counter() - t)
    lat = []
    for _ in range(calls):
        t = time.perf_counter()
        np.asarray(model.predict_on_batch(x1))
        lat.append(time.perf_counter() - t)
    np.save(out + ".npy", np.asarray(preds[: 2 * batch]))
    with open(out, "w") as f:
        json.dump({"first_prediction_s": first_s, "throughput": len(xs) / statistics.median(times),
                   "latency_ms": 1e3 * statistics.median(lat), "first": first.tolist()[0][:3]}, f)


def _run_child(args, system, name, path, tmp):
    out = os.path.join(tmp, f"{name}_{system}.json")
    cmd = [sys.executable, __file__, "--child", system, "--only", name, "--size", str(args.size), "--batch",
           str(args.batch), "--batches", str(args.batches), "--rounds", str(args.rounds), "--calls",
           str(args.calls), "--weights", path, "--out", out]
    subprocess.run(cmd, check=True, env={**os.environ, "KERAS_BACKEND": "jax"})
    with open(out) as f:
        return json.load(f), out + ".npy"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(MODELS))
    p.add_argument("--size", type=int, default=96)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--calls", type=int, default=30)
    p.add_argument("--json", default=None)
    p.add_argument("--child", default=None)
    p.add_argument("--weights", default=None)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.only, args.size, args.batch, args.batches, args.rounds, args.calls,
                     args.weights, args.out)
    import numpy as np
    os.environ["KERAS_BACKEND"] = "jax"
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only.split(","):
            path = os.path.join(tmp, f"{name}.weights.h5")
            subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
                            f"import applications_bench as b; b._weights_file({name!r}, {args.size}, {path!r})"],
                           check=True, env={**os.environ, "KERAS_BACKEND": "jax"})
            row, preds = {}, {}
            for system in SYSTEMS:
                row[system], preds[system] = _run_child(args, system, name, path, tmp)
            ref = np.load(preds["keras"])
            for system in ("kxla", "kxla_plain"):
                row[system]["max_abs_diff_vs_keras"] = float(np.abs(np.load(preds[system]) - ref).max())
            results[name] = row
            _print_row(name, row)
    meta = {"size": args.size, "batch": args.batch, "batches": args.batches, "machine": platform.platform(),
            "processor": platform.processor(), "cpus": os.cpu_count()}
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "results": results}, f, indent=1)
    print(markdown(results, meta))


def _print_row(name, row):
    print(name, {s: {k: round(v, 4) if isinstance(v, float) else v for k, v in r.items() if k != "first"}
                 for s, r in row.items()}, flush=True)


def markdown(results, meta) -> str:
    lines = [f"Inputs {meta['size']}x{meta['size']}x3, throughput at batch {meta['batch']}; {meta['machine']}, "
             f"{meta['cpus']} CPUs.", "",
             "| model | first prediction keras / kxla (s) | images/s keras / kxla / kxla no passes | kxla / keras "
             "throughput | batch-1 ms keras / kxla / kxla no passes | max abs diff vs keras |",
             "|---|---|---|---|---|---|"]
    for name, r in results.items():
        k, o, n = r["keras"], r["kxla"], r["kxla_plain"]
        lines.append(f"| {name} | {k['first_prediction_s']:.1f} / {o['first_prediction_s']:.1f} | "
                     f"{k['throughput']:.1f} / {o['throughput']:.1f} / {n['throughput']:.1f} | "
                     f"{o['throughput'] / k['throughput']:.2f}x | {k['latency_ms']:.1f} / {o['latency_ms']:.1f} / "
                     f"{n['latency_ms']:.1f} | {o['max_abs_diff_vs_keras']:.1e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
