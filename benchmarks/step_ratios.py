"""Compiled-step ratios measured in ONE process: kxla against a hand-written JAX step, and layouts.

    python benchmarks/step_ratios.py              # lstm, gru, cnn layouts; writes step_ratios.json
    python benchmarks/step_ratios.py --quick      # fewer rounds
    python benchmarks/step_ratios.py --only lstm  # some of: lstm, gru, cnn

Every step is the same shell (``value_and_grad`` of the workload's loss, a
plain SGD update written with ``tree_map``, params and state donated) around
a forward function: kxla's lowered graph (``model._lowered``, the pipeline
``fit`` / ``predict`` run) or the hand-written baseline of
benchmarks/workloads.py, on the same weights and the same device-resident
batch. Blocks of steps of each system alternate, and a ratio is the median
over rounds of (kxla block time / baseline block time), the two taking turns
to go first, so machine load drifts and order effects cancel. Each figure also gives the ratio of XLA's
``cost_analysis()`` FLOPs and bytes of the two compiled programs, which no
machine load disturbs. Figures:

* ``lstm`` / ``gru``: train step and predict (batch 32 and 256) against the
  hand-written scan with the projection inside the loop (target <= 1.05);
* ``cnn``: the channels_first CNN's train step against its channels_last twin,
  with the default training pipeline (convert-layout) and without passes
  (target <= 1.1 with the pass).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def _kxla_forward(model, training: bool):
    """``forward(params, state, x, training) -> (probs, new_state)`` of kxla's lowered graph, and its weights."""
    import jax
    traced, fn, _ = model._lowered(training)
    params = {v.ir_name: v.value for v in traced.variables if v.kind == "param"}
    state = {v.ir_name: v.value for v in traced.variables if v.kind == "state"}
    key = jax.random.key(0)

    def forward(p, s, x, train):
        outs, new_state = fn(p, s, [x], rng=key, training=train)
        return outs[0], new_state
    return forward, params, state


def _train_step(forward, loss, lr=1e-3):
    import jax

    def step(params, state, x, y):
        def objective(p):
            probs, new_state = forward(p, state, x, True)
            return loss(probs, y).mean(), new_state
        (value, new_state), grads = jax.value_and_grad(objective, has_aux=True)(params)
        return jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads), new_state, value
    return jax.jit(step, donate_argnums=(0, 1))


class _Runner:
    """One system's compiled train step (or predict) with its own copy of the weights."""

    def __init__(self, forward, params, state, loss, x, y, predict_only=False):
        import jax
        self.forward, self.x, self.y = forward, jax.device_put(x), jax.device_put(y)
        self.params, self.state = jax.tree_util.tree_map(jax.numpy.array, (params, state))
        if predict_only:
            self.run = jax.jit(lambda p, s, x: forward(p, s, x, False)[0])
        else:
            self.step = _train_step(forward, loss)
        self.predict_only = predict_only

    def cost(self) -> dict:
        """XLA's cost analysis of the compiled program (deterministic, unlike the clock)."""
        fn, args = (self.run, (self.params, self.state, self.x)) if self.predict_only else \
            (self.step, (self.params, self.state, self.x, self.y))
        cost = fn.lower(*args).compile().cost_analysis()
        cost = cost[0] if isinstance(cost, list) else cost
        return {"flops": cost.get("flops", 0.0), "bytes": cost.get("bytes accessed", 0.0)}

    def block(self, n: int) -> float:
        start = time.perf_counter()
        if self.predict_only:
            for _ in range(n):
                out = self.run(self.params, self.state, self.x)
            out.block_until_ready()
        else:
            for _ in range(n):
                self.params, self.state, value = self.step(self.params, self.state, self.x, self.y)
            value.block_until_ready()
        return (time.perf_counter() - start) / n


def _ratio(a: _Runner, b: _Runner, n: int, rounds: int) -> dict:
    a.block(2), b.block(2)                                  # compile and warm
    n = max(n, int(0.25 / max(min(a.block(2), b.block(2)), 1e-6)))     # blocks of ~0.25 s at least
    ta, tb, ratios = [], [], []
    for r in range(rounds):
        if r % 2:                                           # alternate who goes first: no order bias
            y, x = b.block(n), a.block(n)
        else:
            x, y = a.block(n), b.block(n)
        ta.append(x), tb.append(y), ratios.append(x / y)
    med = lambda v: sorted(v)[len(v) // 2]                  # noqa: E731
    ca, cb = a.cost(), b.cost()
    return {"ratio": round(med(ratios), 3), "ms": round(1e3 * med(ta), 3), "baseline_ms": round(1e3 * med(tb), 3),
            "xla_flops_ratio": round(ca["flops"] / max(cb["flops"], 1.0), 3),
            "xla_bytes_ratio": round(ca["bytes"] / max(cb["bytes"], 1.0), 3)}


def rnn_figures(name: str, rounds: int) -> dict:
    import kxla
    import numpy as np
    import workloads as W
    wl = W.WORKLOADS[name]
    kxla.utils.set_random_seed(0)
    model = wl.kxla_model()
    params, state = wl.jax_from_weights([np.asarray(w) for w in model.get_weights()])
    loss, out = W.jax_loss(wl.loss), {}
    x, y = wl.make_data(wl.batch, seed=1)
    forward, kp, ks = _kxla_forward(model, True)
    out["train_step"] = _ratio(_Runner(forward, kp, ks, loss, x, y),
                               _Runner(wl.jax_apply, params, state, loss, x, y), 5, rounds)
    pforward, kp, ks = _kxla_forward(model, False)
    for batch in (32, 256):
        xb = wl.make_data(batch, seed=2)[0]
        out[f"predict_{batch}"] = _ratio(_Runner(pforward, kp, ks, None, xb, None, True),
                                         _Runner(wl.jax_apply, params, state, None, xb, None, True), 5, rounds)
    return out


def cnn_figures(rounds: int) -> dict:
    import kxla
    import workloads as W
    wl = W.WORKLOADS["cnn"]
    loss, out, runners = W.jax_loss(wl.loss), {}, {}
    for label, fmt, passes in (("channels_last", "channels_last", "default"),
                               ("channels_first", "channels_first", "default"),
                               ("channels_first_no_passes", "channels_first", None)):
        kxla.utils.set_random_seed(0)
        model = W._cnn_kxla(fmt)()
        model.compile("sgd", "sparse_categorical_crossentropy", passes=passes)
        x, y = W._images((28, 28, 1) if fmt == "channels_last" else (1, 28, 28))(wl.batch, seed=1)
        forward, kp, ks = _kxla_forward(model, True)
        runners[label] = _Runner(forward, kp, ks, loss, x, y)
    for label in ("channels_first", "channels_first_no_passes"):
        out[f"{label}_vs_channels_last"] = _ratio(runners[label], runners["channels_last"], 10, rounds)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="lstm,gru,cnn")
    ap.add_argument("--out", default=os.path.join(HERE, "step_ratios.json"))
    args = ap.parse_args(argv)
    import jax
    rounds = 5 if args.quick else 11
    results = {"backend": jax.default_backend(), "rounds": rounds,
               "command": "python benchmarks/step_ratios.py" + (" --quick" if args.quick else "")}
    for name in args.only.split(","):
        results[name] = cnn_figures(rounds) if name == "cnn" else rnn_figures(name, rounds)
        print(name, json.dumps(results[name]), flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
