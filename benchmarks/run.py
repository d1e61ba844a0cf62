"""kxla's performance suite: every (workload, system) in its own process, results to JSON and README.

    python benchmarks/run.py --quick                 # the whole suite, small data (a few minutes)
    python benchmarks/run.py --only mlp,cnn          # some workloads (or suite entries by label)
    python benchmarks/run.py --list                  # what would run

Systems measured on the same data, in the same run:
  kxla       ``model.fit`` / ``model.predict``
  jax        a hand-written ``jax.jit`` train step with optax (the JAX user's baseline)
  jax_scan   the same step under ``lax.scan`` over a whole epoch (the dispatch-free limit)
  keras      Keras 3 with the JAX backend
plus kxla variants (steps_per_execution, compilation cache, data parallel on simulated devices), and
a "paired" child per workload that runs kxla and the jax loop in ONE process, alternating epochs
and blocks of batch-1 calls: the fit-step and latency ratios free of between-process spread.

Each child process reports: construction -> first finished train step (s), steady-state step
time (median over epochs after a warm one, ms), predict throughput at batch 1024 (samples/s),
batch-1 predict latency (ms), peak RSS (``resource.getrusage`` in the child, MB) and the number
of XLA compilations (JAX's monitoring events) while fitting.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

EPOCHS = 4                  # 1 warm epoch + 3 measured
LATENCY_CALLS = {"quick": 100, "full": 300}


# ============================================================================ child side
class _Compiles:
    """Counts XLA backend compilations (all of them, whoever triggers them) from JAX's events."""

    def __init__(self):
        from jax import monitoring
        self.count, self.seconds = 0, 0.0

        def listen(event, duration, **kw):
            if event == "/jax/core/compile/backend_compile_duration":
                self.count += 1
                self.seconds += duration
        monitoring.register_event_duration_secs_listener(listen)

    def mark(self):
        return self.count


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _median(xs):
    xs = sorted(xs)
    n = len(xs)
    return None if n == 0 else (xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2]))


class KxlaRunner:
    def __init__(self, wl, opts):
        self.wl, self.opts = wl, opts

    def build(self):
        import kxla
        from workloads import optimizer_for
        if self.opts.get("cache_dir"):
            kxla.config.enable_compilation_cache(self.opts["cache_dir"])
        if self.opts.get("devices"):
            from kxla import distribution
            distribution.set_distribution(distribution.DataParallel())
        builder = self.wl.extra[self.opts["model"]] if self.opts.get("model") else self.wl.kxla_model
        self.model = builder()
        kw = {}
        if self.opts.get("steps_per_execution"):
            kw["steps_per_execution"] = self.opts["steps_per_execution"]
        if self.opts.get("execution"):
            kw["execution"] = self.opts["execution"]
        if "passes" in self.opts:
            kw["passes"] = self.opts["passes"]
        self.model.compile(optimizer=optimizer_for("kxla", self.wl.optimizer), loss=self.wl.loss, **kw)

    def first_step(self, x, y):
        self.model.fit(x, y, batch_size=len(x), epochs=1, verbose=0, shuffle=False)

    def fit_epochs(self, x, y, epochs):
        import kxla
        times = []

        class Timer(kxla.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                times.append(time.perf_counter() - self.t)

        if not self.opts.get("default_config"):
            self.model.fit(x, y, batch_size=self.wl.batch, epochs=epochs, verbose=0, callbacks=[Timer()])
            return times
        # the default user configuration: verbose=1 (Keras's default) with stdout going to a file, and an
        # epoch-level ModelCheckpoint (its batch hook runs every step; the save itself, at epoch end, runs
        # after the Timer's on_epoch_end and is not in the step time)
        import contextlib
        import tempfile
        if not hasattr(self, "_ckpt_dir"):
            self._ckpt_dir = tempfile.mkdtemp(prefix="kxla-bench-")
        ckpt = kxla.callbacks.ModelCheckpoint(os.path.join(self._ckpt_dir, "model.kxla"))
        with open(os.path.join(self._ckpt_dir, "progress.txt"), "w") as log, contextlib.redirect_stdout(log):
            self.model.fit(x, y, batch_size=self.wl.batch, epochs=epochs, callbacks=[Timer(), ckpt])
        return times

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def predict1(self, x1):
        return self.model.predict(x1, verbose=0)

    def extra(self):
        return {"compile_stats": self.model.compile_stats()}


class KerasRunner(KxlaRunner):
    def build(self):
        from workloads import optimizer_for
        self.model = self.wl.keras_model()
        self.model.compile(optimizer=optimizer_for("keras", self.wl.optimizer), loss=self.wl.loss)

    def fit_epochs(self, x, y, epochs):
        import keras
        times = []

        class Timer(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.t = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                times.append(time.perf_counter() - self.t)

        self.model.fit(x, y, batch_size=self.wl.batch, epochs=epochs, verbose=0, callbacks=[Timer()])
        return times

    def extra(self):
        return {}


class JaxRunner:
    """The JAX user's loop: numpy batches, one jitted step (value_and_grad + optax), donated state."""

    scan = False

    def __init__(self, wl, opts):
        self.wl, self.opts = wl, opts

    def build(self):
        import jax
        import numpy as np
        from workloads import jax_loss, optimizer_for
        wl = self.wl
        self.params, self.state = wl.jax_init(jax.random.key(0))
        self.opt = optimizer_for("optax", wl.optimizer)
        self.opt_state = self.opt.init(self.params)
        self.loss_sum = jax.numpy.zeros((), "float32")
        loss_fn, apply, opt = jax_loss(wl.loss), wl.jax_apply, self.opt
        import optax

        def one_step(params, state, opt_state, loss_sum, x, y):
            def objective(p):
                probs, new_state = apply(p, state, x, True)
                return jax.numpy.mean(loss_fn(probs, y)), new_state
            (loss, new_state), grads = jax.value_and_grad(objective, has_aux=True)(params)
            updates, opt_state = opt.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), new_state, opt_state, loss_sum + loss

        self.one_step = one_step
        self.step = jax.jit(one_step, donate_argnums=(0, 1, 2, 3))
        self.apply = jax.jit(lambda p, s, x: apply(p, s, x, False)[0])
        self.rng = np.random.default_rng(0)

    def first_step(self, x, y):
        import jax
        self.params, self.state, self.opt_state, self.loss_sum = self.step(
            self.params, self.state, self.opt_state, self.loss_sum, x, y)
        jax.block_until_ready(self.loss_sum)

    def fit_epochs(self, x, y, epochs):
        b = self.wl.batch
        steps = len(x) // b
        times = []
        for _ in range(epochs):
            t = time.perf_counter()
            order = self.rng.permutation(len(x))
            for i in range(steps):
                idx = order[i * b:(i + 1) * b]
                self.params, self.state, self.opt_state, self.loss_sum = self.step(
                    self.params, self.state, self.opt_state, self.loss_sum, x[idx], y[idx])
            float(self.loss_sum)
            times.append(time.perf_counter() - t)
        return times

    def predict(self, x, batch_size):
        import numpy as np
        return np.concatenate([np.asarray(self.apply(self.params, self.state, x[i:i + batch_size]))
                               for i in range(0, len(x), batch_size)])

    def predict1(self, x1):
        import numpy as np
        return np.asarray(self.apply(self.params, self.state, x1))

    def extra(self):
        return {}


class JaxScanRunner(JaxRunner):
    """The same step under ``lax.scan`` over a whole epoch: data on device, one dispatch per epoch."""

    scan = True

    def build(self):
        import jax
        super().build()
        b = self.wl.batch
        one_step = self.one_step

        def epoch(params, state, opt_state, loss_sum, xd, yd, order):
            steps = order.shape[0] // b
            xs = xd[order].reshape((steps, b) + xd.shape[1:])
            ys = yd[order].reshape((steps, b) + yd.shape[1:])

            def body(carry, batch):
                return one_step(*carry, *batch), None
            carry, _ = jax.lax.scan(body, (params, state, opt_state, loss_sum), (xs, ys))
            return carry

        self.epoch = jax.jit(epoch, donate_argnums=(0, 1, 2, 3))

    def first_step(self, x, y):
        pass

    def fit_epochs(self, x, y, epochs):
        import jax
        b = self.wl.batch
        xd, yd = jax.device_put(x), jax.device_put(y)
        steps = len(x) // b
        times = []
        for _ in range(epochs):
            t = time.perf_counter()
            order = self.rng.permutation(len(x))[:steps * b].astype("int32")
            self.params, self.state, self.opt_state, self.loss_sum = self.epoch(
                self.params, self.state, self.opt_state, self.loss_sum, xd, yd, order)
            float(self.loss_sum)
            times.append(time.perf_counter() - t)
        return times


RUNNERS = {"kxla": KxlaRunner, "keras": KerasRunner, "jax": JaxRunner, "jax_scan": JaxScanRunner}


def child(workload: str, system: str, mode: str, opts: dict) -> dict:
    import numpy as np
    from workloads import WORKLOADS
    wl = WORKLOADS[workload]
    quick = mode == "quick"
    out = {"workload": workload, "system": system, "label": opts.get("label", system), "mode": mode,
           "options": {k: v for k, v in opts.items() if k not in ("label", "cache_dir")}}
    if system == "kxla" and wl.needs:
        import kxla
        missing = [n for n in wl.needs if not hasattr(kxla.layers, n.split(".")[-1])]
        if missing:
            out.update(ok=False, note=f"skipped: kxla has no {', '.join('kxla.' + m for m in missing)} yet")
            return out
    import jax
    compiles = _Compiles()
    runner = RUNNERS[system](wl, opts)
    b = wl.batch
    n_train = wl.n_quick if quick else wl.n
    n_pred = wl.n_predict_quick if quick else wl.n_predict
    x, y = wl.make_data(max(n_train, b), seed=0)
    xp, _ = wl.make_data(n_pred, seed=1)
    if opts.get("channels_last_data"):                  # the channels_last twin of a channels_first workload
        x, xp = np.moveaxis(x, 1, -1).copy(), np.moveaxis(xp, 1, -1).copy()
    out["samples"], out["batch"], out["steps_per_epoch"] = n_train, b, n_train // b
    out["devices"] = jax.device_count()

    c0 = compiles.mark()
    t0 = time.perf_counter()
    runner.build()
    if wl.kind == "train":
        runner.first_step(x[:b], y[:b])
        out["first_step_s"] = None if getattr(runner, "scan", False) else time.perf_counter() - t0
        c1 = compiles.mark()
        cpu0 = _cpu()
        # lax.scan over a conv net is ~10x slower on XLA:CPU: one warm and one measured epoch there
        n_epochs = 2 if system == "jax_scan" and workload in ("cnn", "resnet_bn") else EPOCHS
        epochs = runner.fit_epochs(x[:n_train], y[:n_train], n_epochs)
        cpu = _cpu() - cpu0
        c2 = compiles.mark()
        steps = n_train // b
        out["epoch_s"] = epochs
        out["step_ms"] = 1e3 * _median(epochs[1:]) / steps
        out["step_ms_min"] = 1e3 * min(epochs[1:]) / steps
        out["cpu_step_ms"] = 1e3 * cpu / (steps * len(epochs))
        out["compiles_first"] = c1 - c0
        out["compiles_fit"] = c2 - c0
    else:
        runner.predict1(xp[:1])
        out["first_predict_s"] = time.perf_counter() - t0
        c2 = compiles.mark()
    if system != "jax_scan" and not opts.get("train_only"):
        runner.predict(xp, 1024)                          # warm (and the ragged last batch)
        c3 = compiles.mark()
        times = []
        for _ in range(3):
            t = time.perf_counter()
            runner.predict(xp, 1024)
            times.append(time.perf_counter() - t)
        out["predict_sps"] = n_pred / _median(times)
        one = xp[:1]
        for _ in range(5):
            runner.predict1(one)
        lat = []
        for _ in range(LATENCY_CALLS[mode]):
            t = time.perf_counter()
            runner.predict1(one)
            lat.append(time.perf_counter() - t)
        out["predict1_ms"] = 1e3 * _median(lat)
        out["compiles_predict"] = compiles.mark() - c2
        out["compiles_predict_warm"] = compiles.mark() - c3
    out.update(runner.extra())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["compile_seconds_total"] = compiles.seconds
    out["ok"] = True
    return out


def child_ragged(system: str) -> dict:
    """Compilations per mode with a ragged last batch (10,000 samples, batch 128), validation included."""
    from workloads import WORKLOADS, optimizer_for
    wl = WORKLOADS["mlp_small"]
    x, y = wl.make_data(10000, seed=0)
    compiles = _Compiles()
    out = {"workload": "ragged", "system": system, "label": system}
    if system == "kxla":
        model = wl.kxla_model()
        model.compile(optimizer_for("kxla", wl.optimizer), wl.loss, metrics=["accuracy"])
    else:
        model = wl.keras_model()
        model.compile(optimizer=optimizer_for("keras", wl.optimizer), loss=wl.loss, metrics=["accuracy"])
    c0 = compiles.mark()
    model.fit(x, y, batch_size=128, epochs=3, verbose=0, validation_split=0.1)
    c1 = compiles.mark()
    model.evaluate(x, y, batch_size=128, verbose=0)
    c2 = compiles.mark()
    model.predict(x, batch_size=128, verbose=0)
    model.predict(x[:77], batch_size=128, verbose=0)
    model.predict(x[:1], batch_size=128, verbose=0)
    c3 = compiles.mark()
    out.update(ok=True, compiles_fit_with_validation=c1 - c0, compiles_evaluate=c2 - c1,
               compiles_predict=c3 - c2)
    if system == "kxla":
        out["compile_stats"] = model.compile_stats()
    return out


PAIRED_EPOCHS = (6, 40)     # timed epochs of each contestant in the paired child: at least, at most
PAIRED_SECONDS = 3.0        # ... as many as fit in about this many seconds per contestant
PAIRED_BLOCKS = 40          # alternating blocks of batch-1 calls in the paired child


def child_paired(workload: str, mode: str) -> dict:
    """kxla, its steps_per_execution variants and the hand-written JAX loop in ONE process, taking
    turns epoch by epoch; then kxla's and JAX's batch-1 predict in alternating blocks of calls.

    Separate children (``child``) keep compile time and peak RSS clean, but two processes running
    the same program on this kind of machine differ by 10-40% in step time and latency (CPU
    placement, frequency). Here every contestant sees the same conditions, so the ratios that
    decide the dispatch-overhead targets (fit step, steps_per_execution, batch-1 latency) are taken
    from this child.
    """
    from workloads import WORKLOADS
    wl = WORKLOADS[workload]
    quick = mode == "quick"
    kx, jx = KxlaRunner(wl, {}), JaxRunner(wl, {})
    kx.build()
    jx.build()
    out = {"workload": workload, "system": "paired", "label": "paired", "mode": mode}
    xp, _ = wl.make_data(8, seed=1)
    if wl.kind == "train":
        b = wl.batch
        n = wl.n_quick if quick else wl.n
        x, y = wl.make_data(max(n, b), seed=0)
        x, y = x[:n], y[:n]
        contestants = {"kxla": lambda: kx.fit_epochs(x, y, 1)[0], "jax": lambda: jx.fit_epochs(x, y, 1)[0]}
        default = KxlaRunner(wl, {"default_config": True})
        default.build()
        contestants["kxla_default"] = lambda: default.fit_epochs(x, y, 1)[0]
        for k in ((8, 32) if workload == "mlp_small" else (8,)):
            spe = KxlaRunner(wl, {"steps_per_execution": k})
            spe.build()
            contestants[f"kxla_spe{k}"] = lambda spe=spe: spe.fit_epochs(x, y, 1)[0]
        if workload == "mlp_small":
            scan = JaxScanRunner(wl, {})
            scan.build()
            contestants["jax_scan"] = lambda: scan.fit_epochs(x, y, 1)[0]
        for epoch in contestants.values():                 # compiles; not timed
            epoch()
        longest = max(epoch() for epoch in contestants.values())
        rounds = int(min(max(PAIRED_SECONDS / longest, PAIRED_EPOCHS[0]), PAIRED_EPOCHS[1]))
        times = {name: [] for name in contestants}
        names = list(contestants)
        for r in range(rounds):                            # rotate who goes first: no position bias
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(contestants[name]())
        steps = n // b
        step_ms = {name: 1e3 * _median(t) / steps for name, t in times.items()}
        out["paired_epochs"] = rounds
        out["paired_step_ms"] = step_ms
        out["kxla_step_ms"], out["jax_step_ms"] = step_ms["kxla"], step_ms["jax"]
        out["step_ratio"] = step_ms["kxla"] / step_ms["jax"]
        out["default_step_ratio"] = step_ms["kxla_default"] / step_ms["jax"]
        for name in step_ms:
            if name.startswith("kxla_spe"):
                out[f"{name}_ratio"] = step_ms[name] / step_ms["kxla"]
                if "jax_scan" in step_ms:
                    out[f"{name}_scan_ratio"] = step_ms[name] / step_ms["jax_scan"]
    one = xp[:1]
    calls = LATENCY_CALLS[mode] // 2
    for _ in range(20):
        kx.predict1(one)
        jx.predict1(one)
    k_lat, j_lat = [], []
    for _ in range(PAIRED_BLOCKS):
        for runner, sink in ((kx, k_lat), (jx, j_lat)):
            t = time.perf_counter()
            for _ in range(calls):
                runner.predict1(one)
            sink.append((time.perf_counter() - t) / calls)
    out["kxla_predict1_ms"] = 1e3 * _median(k_lat)
    out["jax_predict1_ms"] = 1e3 * _median(j_lat)
    out["predict1_ratio"] = out["kxla_predict1_ms"] / out["jax_predict1_ms"]
    out["ok"] = True
    return out


# ============================================================================ parent side
def suite(quick: bool) -> list[dict]:
    """The (workload, system, options) entries of one run, in order."""
    entries = []
    for wl in ("mlp", "mlp_small", "cnn", "resnet_bn", "lstm"):
        for system in ("kxla", "jax", "jax_scan", "keras"):
            entries.append({"workload": wl, "system": system})
    for k, modes in ((8, ("auto", "scan", "loop")), (32, ("auto",))):
        for execution in modes:
            entries.append({"workload": "mlp_small", "system": "kxla", "label": f"kxla_spe{k}_{execution}",
                            "steps_per_execution": k, "execution": execution, "train_only": True})
    for execution in ("auto", "scan", "loop"):
        entries.append({"workload": "cnn", "system": "kxla", "label": f"kxla_spe8_{execution}",
                        "steps_per_execution": 8, "execution": execution, "train_only": True})
    entries.append({"workload": "cnn_channels_first", "system": "kxla"})
    entries.append({"workload": "cnn_channels_first", "system": "kxla", "label": "kxla_no_passes", "passes": None})
    entries.append({"workload": "cnn_channels_first", "system": "kxla", "label": "kxla_channels_last",
                    "model": "channels_last", "channels_last_data": True})
    entries.append({"workload": "cnn_channels_first", "system": "jax"})
    entries.append({"workload": "cnn_channels_first", "system": "keras"})
    entries.append({"workload": "mlp", "system": "kxla", "label": "kxla_cache_cold", "cache": "cold"})
    entries.append({"workload": "mlp", "system": "kxla", "label": "kxla_cache_warm", "cache": "warm"})
    for d in (1, 2, 4):
        entries.append({"workload": "mlp", "system": "kxla", "label": f"kxla_dp{d}", "devices": d,
                        "train_only": True})
    entries.append({"workload": "ragged", "system": "kxla"})
    entries.append({"workload": "ragged", "system": "keras"})
    for wl in ("mlp", "mlp_small", "cnn", "resnet_bn", "lstm", "cnn_channels_first"):
        entries.append({"workload": wl, "system": "paired"})
    return entries


def run_entry(entry: dict, mode: str, cache_dir: str, timeout: float) -> dict:
    opts = {k: v for k, v in entry.items() if k not in ("workload", "system")}
    if entry.get("cache"):
        opts["cache_dir"] = cache_dir
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONHASHSEED="0")
    if entry.get("devices"):
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") +
                            f" --xla_force_host_platform_device_count={entry['devices']}").strip()
    cmd = [sys.executable, os.path.abspath(__file__), "--child", entry["workload"], entry["system"],
           "--mode", mode, "--opts", json.dumps(opts)]
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**entry, "label": entry.get("label", entry["system"]), "ok": False,
                "note": f"timed out after {timeout:.0f}s"}
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {**entry, "label": entry.get("label", entry["system"]), "ok": False,
                "note": "failed: " + " | ".join(tail)}
    result = json.loads(lines[-1][len("RESULT "):])
    result["wall_s"] = time.perf_counter() - t
    return result


def versions() -> dict:
    from importlib import metadata
    out = {"python": platform.python_version()}
    for mod in ("jax", "jaxlib", "numpy", "keras", "optax", "kxla"):
        try:
            out[mod] = metadata.version(mod)
        except metadata.PackageNotFoundError:
            out[mod] = None
    return out


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(),
            "loadavg_start": list(os.getloadavg())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small datasets: the whole suite in a few minutes")
    ap.add_argument("--only", help="comma-separated workload names or entry labels (workload:label)")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--readme", default=os.path.join(HERE, "README.md"))
    ap.add_argument("--no-readme", action="store_true")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per child process")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run the suite this many times, interleaved, and report per-figure medians "
                         "(robust on a shared, noisy machine)")
    ap.add_argument("--child", nargs=2, metavar=("WORKLOAD", "SYSTEM"), help=argparse.SUPPRESS)
    ap.add_argument("--mode", default="quick", help=argparse.SUPPRESS)
    ap.add_argument("--opts", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        workload, system = args.child
        opts = json.loads(args.opts)
        if workload == "ragged":
            result = child_ragged(system)
        elif system == "paired":
            result = child_paired(workload, args.mode)
        else:
            result = child(workload, system, args.mode, opts)
        print("RESULT " + json.dumps(result), flush=True)
        sys.stderr.flush()
        os._exit(0)                 # skip interpreter teardown (XLA's threads have crashed it once)

    mode = "quick" if args.quick else "full"
    entries = suite(args.quick)
    if args.only:
        wanted = set(args.only.split(","))
        entries = [e for e in entries if e["workload"] in wanted or
                   f"{e['workload']}:{e.get('label', e['system'])}" in wanted]
    if args.list:
        for e in entries:
            print(f"{e['workload']:20s} {e.get('label', e['system'])}")
        return 0
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": mode, "rounds": args.rounds, "machine": machine(), "versions": versions(), "results": []}
    per_round = []
    for rnd in range(args.rounds):
        results = []
        with tempfile.TemporaryDirectory(prefix="kxla-bench-cache-") as cache_dir:
            for e in entries:
                label = e.get("label", e["system"])
                print(f"[round {rnd + 1}/{args.rounds}] [{e['workload']} / {label}] ...", end=" ", flush=True)
                r = run_entry(e, mode, cache_dir, args.timeout)
                r["loadavg"] = os.getloadavg()[0]
                results.append(r)
                print(_summary_line(r), flush=True)
        per_round.append(results)
    info["results"] = [_combine([rnd[i] for rnd in per_round]) for i in range(len(entries))]
    info["machine"]["loadavg_end"] = list(os.getloadavg())
    if args.only and os.path.exists(args.out):      # merge into the previous full results
        with open(args.out) as f:
            old = json.load(f)
        keep = {(r["workload"], r.get("label")) for r in info["results"]}
        old["results"] = [r for r in old["results"] if (r["workload"], r.get("label")) not in keep] + \
            info["results"]
        old.setdefault("partial_reruns", []).append({"date": info["date"], "only": args.only,
                                                     "loadavg": info["machine"]["loadavg_start"]})
        info = old
    with open(args.out, "w") as f:
        json.dump(info, f, indent=1)
    print(f"wrote {args.out}")
    if not args.no_readme:
        from report import write_readme
        write_readme(info, args.readme)
        print(f"updated {args.readme}")
    return 0


_COMBINED = ("first_step_s", "first_predict_s", "step_ms", "step_ms_min", "cpu_step_ms", "predict_sps",
             "predict1_ms", "peak_rss_mb", "step_ratio", "default_step_ratio", "predict1_ratio", "kxla_step_ms", "jax_step_ms",
             "kxla_predict1_ms", "jax_predict1_ms", "kxla_spe8_ratio", "kxla_spe32_ratio",
             "kxla_spe8_scan_ratio", "kxla_spe32_scan_ratio")


def _combine(rounds: list) -> dict:
    """One entry from several rounds: the median of each figure over the rounds that succeeded."""
    ok = [r for r in rounds if r.get("ok")]
    if not ok:
        return rounds[-1]
    out = dict(ok[len(ok) // 2])
    for key in _COMBINED:
        values = [r[key] for r in ok if r.get(key) is not None]
        if values:
            out[key] = _median(values)
    if "step_ms_min" in out:
        out["step_ms_min"] = min(r["step_ms_min"] for r in ok if r.get("step_ms_min") is not None)
    out["per_round"] = [{k: r.get(k) for k in _COMBINED + ("loadavg",) if r.get(k) is not None} for r in ok]
    return out


def _summary_line(r: dict) -> str:
    if not r.get("ok"):
        return r.get("note", "failed")
    parts = []
    for key, fmt in (("first_step_s", "first step {:.2f}s"), ("first_predict_s", "first predict {:.2f}s"),
                     ("step_ms", "step {:.3f}ms"), ("predict_sps", "predict {:.0f}/s"),
                     ("predict1_ms", "batch-1 {:.3f}ms"), ("peak_rss_mb", "rss {:.0f}MB"),
                     ("compiles_fit", "{} compiles in fit"), ("compiles_fit_with_validation", "fit {} compiles"),
                     ("compiles_evaluate", "evaluate {}"), ("compiles_predict", "predict {} compiles"),
                     ("step_ratio", "fit step kxla/jax {:.3f}x"), ("predict1_ratio", "batch-1 kxla/jax {:.3f}x")):
        if r.get(key) is not None:
            parts.append(fmt.format(r[key]))
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
