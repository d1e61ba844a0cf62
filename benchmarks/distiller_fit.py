"""``Distiller.fit``: kxla against Keras 3 (JAX backend) on the same teacher, student and data.

    python benchmarks/distiller_fit.py [--samples 8192] [--batch 128] [--epochs 3] [--features]

Teacher MLP 784-512-512-10, student 784-64-10, ``LogitsDistillation(temperature=3)`` (plus a
``FeatureDistillation`` between the teachers's first hidden layer and a 512-wide student layer with
``--features``), Adam. Reports the first epoch (trace + compile + run) and the median of the later
epochs, in seconds, for each library, and the ratio kxla / Keras. Prints one JSON line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "jax")


def _models(lib, features: bool):
    inputs = lib.Input((784,))
    h = lib.layers.Dense(512, activation="relu", name="t_h1")(inputs)
    h = lib.layers.Dense(512, activation="relu", name="t_h2")(h)
    teacher = lib.Model(inputs, lib.layers.Dense(10, name="t_out")(h), name="teacher")
    inputs = lib.Input((784,))
    h = lib.layers.Dense(512 if features else 64, activation="relu", name="s_h1")(inputs)
    student = lib.Model(inputs, lib.layers.Dense(10, name="s_out")(h), name="student")
    return teacher, student


def _run(lib, args, weights=None):
    D = lib.distillation
    teacher, student = _models(lib, args.features)
    losses = [D.LogitsDistillation(temperature=3.0)]
    if args.features:
        losses.append(D.FeatureDistillation(teacher_layer_name="t_h1", student_layer_name="s_h1"))
    distiller = D.Distiller(teacher, student, losses, student_loss_weight=0.1)
    if weights is not None:
        distiller.set_weights(weights)
    distiller.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.random((args.samples, 784)).astype("float32")
    y = rng.integers(0, 10, args.samples).astype("int32")
    times = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        distiller.fit(x, y, batch_size=args.batch, epochs=1, shuffle=False, verbose=0)
        times.append(time.perf_counter() - start)
    return distiller.get_weights(), times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--features", action="store_true")
    args = parser.parse_args()
    import keras

    import kxla
    _, ours = _run(kxla, args)
    _, theirs = _run(keras, args)
    later = lambda t: statistics.median(t[1:]) if len(t) > 1 else t[0]
    print(json.dumps({"samples": args.samples, "batch": args.batch, "features": args.features,
                      "kxla_first_epoch_s": round(ours[0], 3), "keras_first_epoch_s": round(theirs[0], 3),
                      "kxla_epoch_s": round(later(ours), 3), "keras_epoch_s": round(later(theirs), 3),
                      "ratio": round(later(ours) / later(theirs), 3)}))


if __name__ == "__main__":
    main()
