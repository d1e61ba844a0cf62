"""RNN(custom cell): the ``scan`` node (time axis unknown) against the unrolled path (time axis known).

    python benchmarks/rnn_scan_vs_unrolled.py [--steps 50 200] [--batch 32] [--units 32] [--repeats 20]

For each sequence length, builds ``Input((T or None, 16)) -> RNN(MinimalCell(units)) -> Dense(1)``
twice on the same weights and reports, per variant: graph nodes, the first ``predict`` / ``train_on_batch``
(trace + compile + run) and the median of ``repeats`` further calls. Prints one JSON line per length.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

import kxla
from kxla import ops


class MinimalCell(kxla.layers.Layer):
    """h = tanh(x W + h U + b): a cell kxla does not fuse."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units, self.state_size = units, units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="k")
        self.recurrent = self.add_weight(shape=(self.units, self.units), initializer="orthogonal", name="r")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent) + self.bias)
        return h, [h]


def _model(steps, units):
    inp = kxla.Input((steps, 16))
    model = kxla.Model(inp, kxla.layers.Dense(1)(kxla.layers.RNN(MinimalCell(units))(inp)))
    model.compile(optimizer="sgd", loss="mse")
    return model


def _timed(fn, repeats):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return first, statistics.median(times)


def measure(steps, batch, units, repeats):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batch, steps, 16)).astype("float32")
    y = rng.normal(size=(batch, 1)).astype("float32")
    scan, unrolled = _model(None, units), _model(steps, units)
    unrolled.set_weights(scan.get_weights())
    np.testing.assert_allclose(scan.predict(x, verbose=0), unrolled.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
    row = {"steps": steps, "batch": batch, "units": units}
    for name, model in (("scan", scan), ("unrolled", unrolled)):
        fresh = _model(None if name == "scan" else steps, units)
        fresh.set_weights(scan.get_weights())
        predict = _timed(lambda m=fresh: np.asarray(m.predict_on_batch(x)), repeats)
        train = _timed(lambda m=fresh: m.train_on_batch(x, y), repeats)
        row[name] = {"nodes": len(model.trace(False).graph.nodes),
                     "predict_first_s": round(predict[0], 3), "predict_ms": round(predict[1] * 1e3, 3),
                     "train_first_s": round(train[0], 3), "train_step_ms": round(train[1] * 1e3, 3)}
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    for steps in args.steps:
        print(json.dumps(measure(steps, args.batch, args.units, args.repeats)), flush=True)


if __name__ == "__main__":
    main()
