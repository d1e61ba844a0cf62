"""``model.summary()``: Keras 3's table (Layer (type), Output Shape, Param #) and parameter totals."""
from __future__ import annotations

import math

from .input_layer import InputLayer


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _shape_text(shapes) -> str:
    if not shapes:
        return "?"
    text = [("(" + ", ".join(str(d) for d in s) + ("," if len(s) == 1 else "") + ")").replace(",)", ")")
            for s in shapes]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


def _table(headers, rows, widths) -> list[str]:
    def line(l, m, r, fill):
        return l + m.join(fill * (w + 2) for w in widths) + r

    def cells(values, bar, aligns):
        parts = [(v.rjust(w) if a == "r" else v.ljust(w))[:w] for v, w, a in zip(values, widths, aligns)]
        return bar + bar.join(f" {p} " for p in parts) + bar

    aligns = ["l", "l"] + ["r"] * (len(headers) - 2)
    out = [line("┏", "┳", "┓", "━"), cells(headers, "┃", aligns), line("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        out.append(cells(row, "│", aligns))
        out.append(line("├", "┼", "┤", "─") if i < len(rows) - 1 else line("└", "┴", "┘", "─"))
    if not rows:
        out.append(line("└", "┴", "┘", "─"))
    return out


def layer_rows(model, flops: dict | None = None) -> list[list[str]]:
    """One row per layer; with ``flops`` ({layer name: FLOPs}) a fourth column of FLOPs."""
    model.trace(training=False)          # records each layer's output shapes
    rows = []
    for layer in ([l for l in model._layers] if model._functional else model.layers):
        if isinstance(layer, InputLayer):
            shapes = [layer.batch_shape]
            params = 0
        else:
            shapes = getattr(layer, "_output_shapes", None)
            params = layer.count_params() if layer.built else 0
        row = [f"{layer.name} ({type(layer).__name__})", _shape_text(shapes), f"{params:,}"]
        if flops is not None:
            row.append(f"{flops.get(layer.name, 0):,}")
        rows.append(row)
    return rows


def print_summary(model, print_fn=None, show_flops=False):
    """Print the summary table; ``show_flops`` adds per-sample FLOPs per layer and in total."""
    print_fn = print_fn or print
    report = None
    if show_flops:
        from ..debug.flops import model_flops
        report = model_flops(model, batch_size=1)
    rows = layer_rows(model, report.per_layer if report is not None else None)
    if report is not None and report.per_layer.get("(ops)"):
        rows.append(["(direct ops)", "", "0", f"{report.per_layer['(ops)']:,}"])
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["FLOPs"] if report is not None else [])
    widths = [max(31, max((len(r[0]) for r in rows), default=0)), 22, 13] + \
        ([max(13, max((len(r[3]) for r in rows), default=0))] if report is not None else [])
    lines = [f'Model: "{model.name}"']
    lines += _table(headers, rows, widths)
    weights = model.weights
    trainable = sum(math.prod(w.shape) for w in weights if w.trainable)
    trainable_bytes = sum(w.numpy().nbytes for w in weights if w.trainable)
    frozen = sum(math.prod(w.shape) for w in weights if not w.trainable)
    frozen_bytes = sum(w.numpy().nbytes for w in weights if not w.trainable)
    lines.append(f" Total params: {trainable + frozen:,} ({_bytes(trainable_bytes + frozen_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({_bytes(trainable_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({_bytes(frozen_bytes)})")
    if report is not None:
        from ..debug.flops import format_flops
        short = f" ({format_flops(report.total)})" if report.total >= 1000 else ""
        lines.append(f" Total FLOPs: {report.total:,}{short} per sample, inference graph, multiply-add = 2")
    print_fn("\n".join(lines))
