"""Turns benchmarks/results.json into the tables of benchmarks/README.md (between the results markers)."""
from __future__ import annotations

import os

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
TRAIN_WORKLOADS = ("mlp", "mlp_small", "cnn", "resnet_bn", "lstm")


def _index(info):
    return {(r["workload"], r.get("label", r.get("system"))): r for r in info["results"]}


def _f(v, fmt="{:.3g}", none="—"):
    return none if v is None else fmt.format(v)


def _ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def _get(idx, wl, label, key):
    r = idx.get((wl, label))
    return r.get(key) if r and r.get("ok") else None


def targets(info) -> list[tuple]:
    """(target, figure, met) rows."""
    idx = _index(info)
    rows = []
    for wl in TRAIN_WORKLOADS:
        r = _ratio(_get(idx, wl, "kxla", "step_ms"), _get(idx, wl, "jax", "step_ms"))
        paired = _get(idx, wl, "paired", "step_ratio")
        if r is None and paired is None:
            note = idx.get((wl, "kxla"), {}).get("note", "not measured")
            rows.append((f"{wl}: fit step <= 1.05x jax+optax", note, "n/a"))
            continue
        figure = "; ".join(
            ([f"{paired:.2f}x same process ({_get(idx, wl, 'paired', 'kxla_step_ms'):.3f} vs "
              f"{_get(idx, wl, 'paired', 'jax_step_ms'):.3f} ms)"] if paired is not None else []) +
            ([f"{r:.2f}x separate processes"] if r is not None else []))
        headline = paired if paired is not None else r
        rows.append((f"{wl}: fit step <= 1.05x jax+optax", figure, "met" if headline <= 1.05 else "NOT met"))
    for wl in TRAIN_WORKLOADS:
        paired = _get(idx, wl, "paired", "default_step_ratio")
        if paired is not None:
            rows.append((f"{wl}: fit step, default configuration (verbose=1 to a file + ModelCheckpoint) "
                         "<= 1.05x jax+optax", f"{paired:.2f}x same process",
                         "met" if paired <= 1.05 else "NOT met"))
    for wl in TRAIN_WORKLOADS:
        for k in (8, 32):
            paired = _get(idx, wl, "paired", f"kxla_spe{k}_ratio")
            auto = _get(idx, wl, f"kxla_spe{k}_auto", "step_ms")
            base = _get(idx, wl, "kxla", "step_ms")
            separate = auto / base if auto is not None and base else None
            if paired is None and separate is None:
                continue
            figure = "; ".join(([f"{paired:.2f}x same process"] if paired is not None else []) +
                               ([f"{separate:.2f}x separate processes ({auto:.3f} vs {base:.3f} ms/step)"]
                                if separate is not None else []))
            headline = paired if paired is not None else separate
            rows.append((f"{wl}: steps_per_execution={k} (auto) never slower than without", figure,
                         "met" if headline <= 1.05 else "NOT met"))
            scan_paired = _get(idx, wl, "paired", f"kxla_spe{k}_scan_ratio")
            scan_limit = _get(idx, wl, "jax_scan", "step_ms")
            scan_separate = auto / scan_limit if auto is not None and scan_limit else None
            if wl == "mlp_small" and (scan_paired is not None or scan_separate is not None):
                figure = "; ".join(([f"{scan_paired:.2f}x same process"] if scan_paired is not None else []) +
                                   ([f"{scan_separate:.2f}x separate processes"] if scan_separate is not None
                                    else []))
                headline = scan_paired if scan_paired is not None else scan_separate
                rows.append((f"{wl}: steps_per_execution={k} <= 1.10x the lax.scan limit", figure,
                             "met" if headline <= 1.10 else "NOT met"))
    cf = _get(idx, "cnn_channels_first", "kxla", "predict_sps")
    cl = _get(idx, "cnn_channels_first", "kxla_channels_last", "predict_sps")
    if cf and cl:
        rows.append(("cnn_channels_first predict (default pipeline) >= 0.9x channels_last",
                     f"{cf / cl:.2f}x ({cf:.0f} vs {cl:.0f} samples/s)", "met" if cf >= 0.9 * cl else "NOT met"))
    for wl in TRAIN_WORKLOADS + ("cnn_channels_first",):
        k1, j1 = _get(idx, wl, "kxla", "predict1_ms"), _get(idx, wl, "jax", "predict1_ms")
        paired = _get(idx, wl, "paired", "predict1_ratio")
        if paired is None and not (k1 and j1):
            continue
        figure = "; ".join(
            ([f"{paired:.2f}x same process ({_get(idx, wl, 'paired', 'kxla_predict1_ms'):.3f} vs "
              f"{_get(idx, wl, 'paired', 'jax_predict1_ms'):.3f} ms)"] if paired is not None else []) +
            ([f"{k1 / j1:.2f}x separate processes"] if k1 and j1 else []))
        headline = paired if paired is not None else k1 / j1
        rows.append((f"{wl}: batch-1 predict latency <= 1.1x jitted apply", figure,
                     "met" if headline <= 1.1 else "NOT met"))
    for wl in TRAIN_WORKLOADS:
        kf, ef = _get(idx, wl, "kxla", "first_step_s"), _get(idx, wl, "keras", "first_step_s")
        if kf and ef:
            rows.append((f"{wl}: construction -> first step <= 0.5x Keras 3", f"{kf / ef:.2f}x ({kf:.2f} vs "
                         f"{ef:.2f} s)", "met" if kf <= 0.5 * ef else "NOT met"))
    rk = idx.get(("ragged", "kxla"))
    if rk and rk.get("ok"):
        cs = rk.get("compile_stats", {})
        modes = {m: cs.get(m, {}).get("compiles") for m in ("train", "evaluate", "predict")}
        ok = all(v == 1 for v in modes.values())
        rows.append(("one compilation per (model, mode), ragged 10,000/128, validation included",
                     ", ".join(f"{m} {v}" for m, v in modes.items()), "met" if ok else "NOT met"))
    for wl in TRAIN_WORKLOADS:
        kr, er = _get(idx, wl, "kxla", "peak_rss_mb"), _get(idx, wl, "keras", "peak_rss_mb")
        if kr and er:
            rows.append((f"{wl}: peak RSS <= Keras 3", f"{kr:.0f} vs {er:.0f} MB ({kr / er:.2f}x)",
                         "met" if kr <= er else "NOT met"))
    cold = _get(idx, "mlp", "kxla_cache_cold", "first_step_s")
    warm = _get(idx, "mlp", "kxla_cache_warm", "first_step_s")
    if cold and warm:
        stats = (idx.get(("mlp", "kxla_cache_warm")) or {}).get("compile_stats", {}).get("train", {})
        rows.append(("compilation cache: a second process skips XLA compilation",
                     f"first step {cold:.2f}s -> {warm:.2f}s; train compiles {stats.get('compiles')}, "
                     f"cache hits {stats.get('cache_hits')}", "met" if stats.get("compiles") == 0 else "NOT met"))
    return rows


def render(info) -> str:
    idx = _index(info)
    v, m = info["versions"], info["machine"]
    out = [BEGIN, "",
           f"## Results — {info['mode']} mode, {info['date']}", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}; load average at start "
           f"{', '.join(f'{x:.1f}' for x in m['loadavg_start'])}"
           + (f", at end {', '.join(f'{x:.1f}' for x in m['loadavg_end'])}" if m.get("loadavg_end") else "") + ".",
           "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".", ""]
    if info.get("partial_reruns"):
        out.append("Entries re-run later with `--only`: " + "; ".join(
            f"{r['only']} ({r['date']}, load {r['loadavg'][0]:.1f})" for r in info["partial_reruns"]) + ".")
        out.append("")
    out += ["### Headline ratios (kxla / baseline)", "",
            "Times: below 1 means kxla is faster. Throughput: above 1 means kxla is faster.", "",
            "Columns marked *paired* come from one process where kxla and JAX take turns (the figures the "
            "overhead targets are judged on); the others compare separate processes.", "",
            "| workload | fit step / jax, paired | fit step / jax | fit step / jax_scan | fit step / keras "
            "| first step / keras | predict@1024 / jax | predict@1024 / keras | batch-1 / jax, paired "
            "| batch-1 / jax | batch-1 / keras | peak RSS / keras |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for wl in TRAIN_WORKLOADS + ("cnn_channels_first",):
        g = lambda label, key: _get(idx, wl, label, key)          # noqa: E731
        if g("kxla", "ok") is None and not idx.get((wl, "kxla"), {}).get("ok"):
            note = idx.get((wl, "kxla"), {}).get("note", "not run")
            out.append(f"| {wl} | {note} |||||||||||")
            continue
        out.append("| " + " | ".join([
            wl,
            _f(g("paired", "step_ratio"), "{:.2f}x"),
            _f(_ratio(g("kxla", "step_ms"), g("jax", "step_ms")), "{:.2f}x"),
            _f(_ratio(g("kxla", "step_ms"), g("jax_scan", "step_ms")), "{:.2f}x"),
            _f(_ratio(g("kxla", "step_ms"), g("keras", "step_ms")), "{:.2f}x"),
            _f(_ratio(g("kxla", "first_step_s") or g("kxla", "first_predict_s"),
                      g("keras", "first_step_s") or g("keras", "first_predict_s")), "{:.2f}x"),
            _f(_ratio(g("kxla", "predict_sps"), g("jax", "predict_sps")), "{:.2f}x"),
            _f(_ratio(g("kxla", "predict_sps"), g("keras", "predict_sps")), "{:.2f}x"),
            _f(g("paired", "predict1_ratio"), "{:.2f}x"),
            _f(_ratio(g("kxla", "predict1_ms"), g("jax", "predict1_ms")), "{:.2f}x"),
            _f(_ratio(g("kxla", "predict1_ms"), g("keras", "predict1_ms")), "{:.2f}x"),
            _f(_ratio(g("kxla", "peak_rss_mb"), g("keras", "peak_rss_mb")), "{:.2f}x")]) + " |")
    out += ["", "### Targets", "", "| target | figure | status |", "|---|---|---|"]
    out += [f"| {t} | {fig} | {status} |" for t, fig, status in targets(info)]
    out += ["", "### Per workload", "",
            "first step: construction to first finished train step (inference workloads: to first prediction). "
            "step: median (best) over epochs 2-4 of wall time per step. CPU: process CPU time per step. "
            "predict: samples/s at batch 1024. batch-1: median latency of predicting one sample. "
            "compiles: XLA compilations in the process from construction to the end of fit (all of them: "
            "initializers, optimizer init, steps).", ""]
    seen = []
    for r in info["results"]:
        if r["workload"] not in seen and r["workload"] != "ragged":
            seen.append(r["workload"])
    for wl in seen:
        out += [f"#### {wl}", "",
                "| system | first step (s) | step (ms) | CPU (ms/step) | predict (samples/s) | batch-1 (ms) "
                "| peak RSS (MB) | compiles | note |", "|---|---|---|---|---|---|---|---|---|"]
        for r in info["results"]:
            if r["workload"] != wl or r.get("system") == "paired":
                continue
            label = r.get("label", r.get("system"))
            if not r.get("ok"):
                out.append(f"| {label} | | | | | | | | {r.get('note', 'failed')} |")
                continue
            step = (f"{r['step_ms']:.3f} ({r['step_ms_min']:.3f})" if r.get("step_ms") is not None else "—")
            note = ""
            if r.get("options", {}).get("devices"):
                note = f"{r['devices']} simulated device(s)"
            cs = (r.get("compile_stats") or {}).get("train")
            if label.startswith("kxla_cache") and cs:
                note = f"train: {cs['compiles']} compiled, {cs['cache_hits']} cache hits, {cs['cache_misses']} misses"
            out.append("| " + " | ".join([
                label, _f(r.get("first_step_s") or r.get("first_predict_s"), "{:.2f}"), step,
                _f(r.get("cpu_step_ms"), "{:.3f}"), _f(r.get("predict_sps"), "{:.0f}"),
                _f(r.get("predict1_ms"), "{:.3f}"), _f(r.get("peak_rss_mb"), "{:.0f}"),
                _f(r.get("compiles_fit"), "{}"), note]) + " |")
        out.append("")
    out += ["#### Paired: kxla and JAX in one process, taking turns", "",
            "Each contestant runs the same number of epochs, the order rotating every round; figures are "
            "medians over epochs, then over rounds. `spe8`/`spe32`: kxla with `steps_per_execution` 8/32 "
            "(execution=\"auto\"); `jax_scan`: the whole epoch under `lax.scan`. Batch-1: medians over "
            "alternating blocks of calls.", "",
            "`default`: kxla with verbose=1 (to a file) and a ModelCheckpoint callback.", "",
            "| workload | epochs each | kxla step (ms) | jax step (ms) | kxla / jax | default / jax | spe8 / kxla | spe32 / kxla "
            "| spe8 / jax_scan | spe32 / jax_scan | kxla batch-1 (ms) | jax batch-1 (ms) | batch-1 kxla / jax |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in info["results"]:
        if r.get("system") != "paired" or not r.get("ok"):
            continue
        out.append("| " + " | ".join(
            [r["workload"], _f(r.get("paired_epochs"), "{}"), _f(r.get("kxla_step_ms"), "{:.3f}"),
             _f(r.get("jax_step_ms"), "{:.3f}")] +
            [_f(r.get(key), "{:.2f}x") for key in ("step_ratio", "default_step_ratio", "kxla_spe8_ratio",
                                                  "kxla_spe32_ratio",
                                                  "kxla_spe8_scan_ratio", "kxla_spe32_scan_ratio")] +
            [_f(r.get("kxla_predict1_ms"), "{:.3f}"), _f(r.get("jax_predict1_ms"), "{:.3f}"),
             _f(r.get("predict1_ratio"), "{:.2f}x")]) + " |")
    out.append("")
    out += ["#### Compilations with a ragged last batch (10,000 samples, batch 128, 3 epochs, validation_split=0.1)", "",
            "| system | fit (with validation) | evaluate | predict (10,000, 77 and 1 samples, batch 128) |",
            "|---|---|---|---|"]
    for system in ("kxla", "keras"):
        r = idx.get(("ragged", system))
        if r and r.get("ok"):
            out.append(f"| {system} | {r['compiles_fit_with_validation']} | {r['compiles_evaluate']} | "
                       f"{r['compiles_predict']} |")
    out += ["", "All XLA compilations in the process during each call (kxla's per-mode `compile_stats()` for the "
            "same run: " + str((idx.get(('ragged', 'kxla')) or {}).get("compile_stats", {})) + ").", "", END]
    return "\n".join(out)


def write_readme(info, path):
    text = open(path).read() if os.path.exists(path) else "# kxla benchmarks\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in text:
        text += "\n" + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    with open(path, "w") as f:
        f.write(head + render(info) + tail)
