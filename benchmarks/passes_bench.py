"""The pass pipeline's own benchmarks (issue 3): what the passes buy at run time, and what they cost.

    python benchmarks/passes_bench.py [--quick]
    python benchmarks/passes_bench.py --pipeline-only [--repeats 5]   # part 4 at 10k nodes only, no jax

Measures, in one process on the same machine:
  1. predict throughput of a channels_first CNN with the default inference pipeline vs the same
     pipeline without convert-layout (and the same net built channels_last, for reference);
  2. predict throughput of a ResNet-style net with BatchNorm with and without fold-batchnorm;
  3. the number of transpose ops in the StableHLO kxla emits and in XLA's optimized HLO for a
     channels_first conv stack (target: at most 2, one in and one out);
  4. pipeline wall time on graphs of 1k, 10k and 100k nodes (growth should be linear): a residual
     chain where one node in five is a batch_norm (folding grows 10k nodes to 24k) and a plain
     matmul/bias_add/relu/add chain.
Writes benchmarks/passes_results.json; the table in benchmarks/README.md is filled from it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import time

import numpy as np

import kxla
from kxla import layers
import kxla.passes as kp

HERE = os.path.dirname(os.path.abspath(__file__))


def cnn(data_format: str):
    shape = (1, 28, 28) if data_format == "channels_first" else (28, 28, 1)
    return kxla.Sequential([
        layers.Input(shape),
        layers.Conv2D(32, 3, activation="relu", data_format=data_format),
        layers.MaxPooling2D(2, data_format=data_format),
        layers.Conv2D(64, 3, activation="relu", data_format=data_format),
        layers.MaxPooling2D(2, data_format=data_format),
        layers.Flatten(data_format=data_format),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax")])


def resnet_bn(blocks: int = 3):
    x = inputs = kxla.Input((32, 32, 3))
    x = layers.Conv2D(32, 3, padding="same")(x)
    for _ in range(blocks):
        shortcut = x
        for i in range(2):
            x = layers.Conv2D(32, 3, padding="same")(x)
            x = layers.BatchNormalization()(x)
            if i == 0:
                x = layers.Activation("relu")(x)
        x = layers.Activation("relu")(layers.Add()([x, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    return kxla.Model(inputs, layers.Dense(10, activation="softmax")(x))


def throughput(model, x, passes, repeats: int) -> float:
    model.compile("sgd", "sparse_categorical_crossentropy", passes=passes)
    model.predict(x, batch_size=1024, verbose=0)              # compile
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        model.predict(x, batch_size=1024, verbose=0)
        times.append(time.perf_counter() - t)
    return len(x) / float(np.median(times))


def without(pipeline: str, *names) -> str:
    return ",".join(p for p in pipeline.split(",") if p.split("{")[0] not in names)


def transposes(model, x) -> dict:
    model.compile("sgd", "sparse_categorical_crossentropy")
    stablehlo = model.lowered_text("stablehlo", mode="predict", x=x)
    optimized = model.lowered_text("optimized_hlo", mode="predict", x=x)
    return {"stablehlo": len(re.findall(r"stablehlo\.transpose", stablehlo)),
            "optimized_hlo": len(re.findall(r"= \S+ transpose\(", optimized))}


def chain_text(n_nodes: int, batch_norm: bool = True) -> str:
    """A graph of about ``n_nodes`` nodes: residual blocks of matmul, bias_add, [batch_norm,] relu, add."""
    params, lines, prev, k = [], [], "%x", 0
    for i in range(n_nodes // (5 if batch_norm else 4)):
        params.append(f'%k{i}: f32[16,16] {{init="zeros"}}, %b{i}: f32[16] {{init="zeros"}}' +
                      (f', %m{i}: f32[16] {{init="zeros"}}, %v{i}: f32[16] {{init="ones"}}' if batch_norm else ""))
        block = [f"matmul({prev}, %k{i})", f"bias_add(%{k}, %b{i}) {{axis=-1}}"]
        if batch_norm:
            block.append(f"batch_norm(%{k + 1}, %m{i}, %v{i}, %v{i}, %m{i}) {{axis=-1, epsilon=0.001}}")
        block += [f"relu(%{k + len(block) - 1})", f"add(%{k + len(block)}, {prev})"]
        lines += [f"  %{k + j} = {op} : f32[?,16]" for j, op in enumerate(block)]
        prev, k = f"%{k + len(block) - 1}", k + len(block)
    name = "chain" if batch_norm else "plain"
    return (f"graph @{name}(%x: f32[?,16]) params(" + ", ".join(params) + ") {\n" + "\n".join(lines) +
            f"\n  return {prev}\n}}")


def plain_chain_text(n_nodes: int) -> str:
    """``chain_text`` without BatchNorm: blocks of matmul, bias_add, relu, add."""
    return chain_text(n_nodes, batch_norm=False)


def pipeline_time(n_nodes: int, text=chain_text) -> dict:
    graph = kxla.ir.parse(text(n_nodes))
    pm = kp.PassManager(kp.INFERENCE_PIPELINE, verify=False)
    t = time.perf_counter()
    pm.run(graph)
    seconds = time.perf_counter() - t
    return {"nodes": len(graph.nodes), "seconds": round(seconds, 3),
            "us_per_node": round(seconds / len(graph.nodes) * 1e6, 1),
            "per_pass_ms": {s.name: round(s.seconds * 1e3, 1) for s in pm.statistics}}


def pipeline_only(repeats: int) -> dict:
    """Part 4 alone at 10k nodes: best and median wall and CPU seconds of ``repeats`` runs per chain kind,
    plus the CPU seconds with the garbage collector paused around ``PassManager.run`` (what the
    collector costs; the pass manager itself does not pause it).

    CPU time (``time.process_time``) is the steadier figure on a shared machine. Prints JSON.
    """
    import gc
    out = {}
    for label, text in (("batch_norm_chain", chain_text), ("plain_chain", plain_chain_text)):
        graph = kxla.ir.parse(text(10000))
        walls, cpus, paused = [], [], []
        for _ in range(repeats):
            for pause in (False, True):
                gc.collect()
                pm = kp.PassManager(kp.INFERENCE_PIPELINE, verify=False)
                if pause:
                    gc.disable()
                w, c = time.perf_counter(), time.process_time()
                pm.run(graph)
                cpu, wall = time.process_time() - c, time.perf_counter() - w
                gc.enable()
                (paused if pause else cpus).append(cpu)
                if not pause:
                    walls.append(wall)
        walls.sort()
        cpus.sort()
        paused.sort()
        out[label] = {"nodes": len(graph.nodes), "wall_best_s": round(walls[0], 3),
                      "wall_median_s": round(walls[len(walls) // 2], 3), "cpu_best_s": round(cpus[0], 3),
                      "cpu_median_s": round(cpus[len(cpus) // 2], 3),
                      "cpu_best_s_gc_paused": round(paused[0], 3)}
    print(json.dumps(out, indent=2))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pipeline-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.pipeline_only:
        pipeline_only(args.repeats)
        return
    n, repeats = (2048, 3) if args.quick else (8192, 5)
    rng = np.random.default_rng(0)
    results = {"machine": f"{platform.machine()} {os.cpu_count()} cores", "date": time.strftime("%Y-%m-%d"),
               "jax": __import__("jax").__version__, "device": str(__import__("jax").devices()[0])}

    x_cf = rng.random((n, 1, 28, 28), dtype=np.float32)
    x_cl = np.transpose(x_cf, (0, 2, 3, 1)).copy()
    default = kp.INFERENCE_PIPELINE
    results["cnn_channels_first"] = {
        "default_pipeline": throughput(cnn("channels_first"), x_cf, default, repeats),
        "no_convert_layout": throughput(cnn("channels_first"), x_cf,
                                        without(default, "convert-layout", "cancel-transposes"), repeats),
        "built_channels_last": throughput(cnn("channels_last"), x_cl, default, repeats)}
    x_img = rng.random((n // 2, 32, 32, 3), dtype=np.float32)
    model = resnet_bn()
    results["resnet_bn"] = {"default_pipeline": throughput(model, x_img, default, repeats),
                            "no_fold_batchnorm": throughput(model, x_img, without(default, "fold-batchnorm"),
                                                            repeats)}
    results["transposes_channels_first_cnn"] = transposes(cnn("channels_first"), x_cf[:32])
    sizes = [1000, 10000] if args.quick else [1000, 10000, 100000]
    results["pipeline_wall_time"] = [pipeline_time(s) for s in sizes]                 # 1 in 5 nodes a batch_norm
    results["pipeline_wall_time_plain"] = [pipeline_time(s, plain_chain_text) for s in sizes]
    with open(os.path.join(HERE, "passes_results.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
