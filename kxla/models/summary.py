"""``model.summary()``: Keras 3's table, laid out as Keras's ``rich`` table lays it out.

Column widths follow Keras (``line_length``, default 88 — 108 with a
"Connected to" column, +12 with ``show_trainable`` — capped at the terminal
width minus 4; ``positions`` as fractions of it) and rich's rule
for a table wider than its line (each column shrunk by an equal share of the
excess). Cells wrap at spaces; a word wider than its column ends in "…".
Unbuilt layers show ``?`` and ``0 (unbuilt)``; ``expand_nested`` indents the
layers of nested layers with ``└``; ``show_trainable`` adds Y / N / -;
``layer_range`` keeps the layers between two names (regexes); models that
are not a plain chain get Keras's "Connected to" column. ``show_flops`` (a
kxla extension) adds per-sample FLOPs.
"""
from __future__ import annotations

import math
import re
import shutil

from ..layers.core.input_layer import InputLayer


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


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap at spaces; a word wider than ``width`` is cut to ``width`` ending in "…"."""
    lines, line = [], None
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if line is None:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line or "")
    return lines


def _align(text, width, how):
    return text.rjust(width) if how == "r" else text.center(width) if how == "c" else text.ljust(width)


def _render(headers, rows, widths, aligns) -> list[str]:
    def rule(l, m, r, fill):
        return l + m.join(fill * (w + 2) for w in widths) + r

    def block(values, bar, bottom):
        cells = [_wrap(v, w) for v, w in zip(values, widths)]
        height = max(len(c) for c in cells)
        cells = [([""] * (height - len(c)) + c) if bottom else (c + [""] * (height - len(c))) for c in cells]
        return [bar + bar.join(f" {_align(c[i], w, a)} " for c, w, a in zip(cells, widths, aligns)) + bar
                for i in range(height)]

    out = [rule("┏", "┳", "┓", "━")] + block(headers, "┃", True) + [rule("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        out += block(row, "│", False)
        out.append(rule("├", "┼", "┤", "─") if i < len(rows) - 1 else rule("└", "┴", "┘", "─"))
    if not rows:
        out.append(rule("└", "┴", "┘", "─"))
    return out


def _ratio_reduce(total, widths):
    """rich's ``ratio_reduce`` with equal ratios: take ``total`` off ``widths``, evenly, in order."""
    out, remaining, parts = [], total, len(widths)
    for w in widths:
        cut = min(w, round(remaining / parts)) if parts else 0
        out.append(w - cut)
        remaining, parts = remaining - cut, parts - 1
    return out


def column_widths(line_length, positions) -> list[int]:
    """Content widths of the columns, as Keras asks rich for them and rich fits them in the line."""
    positions = [int(line_length * p) for p in positions]
    widths, current = [], 0
    for pos in positions:
        if pos - current < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(pos - current)
        current = pos
    padded = [w + 2 for w in widths]
    room = line_length - (len(widths) + 1)
    if sum(padded) > room:
        padded = _ratio_reduce(sum(padded) - room, padded)
    return [max(w - 2, 1) for w in padded]


def _sequential_like(model) -> bool:
    if not getattr(model, "_functional", False):
        return True
    records = model._records
    if len(model._inputs_flat) != 1:
        return False
    consumed, layers = set(), set()
    from . import functional
    for r in records:
        ins = functional.tensor_leaves((r.args, r.kwargs))
        if len(ins) != 1 or id(ins[0]) in consumed or (r.layer is not None and id(r.layer) in layers):
            return False
        consumed.add(id(ins[0]))
        if r.layer is not None:
            layers.add(id(r.layer))
    return True


def _entries(model):
    """``(name, class name, layer or None, shapes, record list)`` per row, in Keras's order."""
    if not getattr(model, "_functional", False):
        return [(l.name, type(l).__name__, l, getattr(l, "_output_shapes", None)) for l in model.layers]
    rows, seen, op_names = [], {}, {}
    for l in model._layers:
        if isinstance(l, InputLayer):
            rows.append((l.name, "InputLayer", l, [l.batch_shape]))
    for r in model._records:
        if r.layer is not None:
            if id(r.layer) not in seen:
                seen[id(r.layer)] = len(rows)
                rows.append((r.layer.name, type(r.layer).__name__, r.layer,
                             getattr(r.layer, "_output_shapes", None) or [tuple(t.shape) for t in r.outputs]))
        else:
            name = _op_name(r, op_names)
            rows.append((name, "".join(p.title() for p in (r.op or "op").split("_")), None,
                         [tuple(t.shape) for t in r.outputs]))
    return rows


def _op_name(record, names: dict) -> str:
    if id(record) not in names:
        base = record.op or "op"
        count = sum(1 for n in names.values() if n == base or n.startswith(base + "_"))
        names[id(record)] = base if count == 0 else f"{base}_{count}"
    return names[id(record)]


def _connections(model) -> dict:
    """``{layer or op name: "a[0][0], b[0][0]"}`` from the functional records (Keras's node indices)."""
    from . import functional
    calls, op_names, out = {}, {}, {}
    node_of = {}
    for r in model._records:
        key = id(r.layer) if r.layer is not None else id(r)
        node_of[id(r)] = calls.get(key, 0)
        calls[key] = calls.get(key, 0) + 1
    for r in model._records:
        name = r.layer.name if r.layer is not None else _op_name(r, op_names)
        parts = []
        for t in functional.tensor_leaves((r.args, r.kwargs)):
            if t.history is None or t.history[0] is None:
                parts.append(f"{t._input_layer.name}[0][0]")
            else:
                src, index = t.history[0], t.history[1] if len(t.history) > 1 else 0
                src_name = src.layer.name if src.layer is not None else _op_name(src, op_names)
                parts.append(f"{src_name}[{node_of[id(src)]}][{index}]")
        out[name] = (out[name] + ", " if name in out else "") + ", ".join(parts)
    return out


def _params_text(layer) -> str:
    if layer is None:
        return "0"
    if not getattr(layer, "built", True):
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _rows(model, entries, expand_nested, show_trainable, connections, flops, level=0):
    rows = []
    for name, cls, layer, shapes in entries:
        prefix = "   " * level + "└ " if level else ""
        row = [f"{prefix}{name} ({cls})", _shape_text(shapes), _params_text(layer)]
        if connections is not None:
            row.append(connections.get(name) or "-")
        if show_trainable:
            row.append("-" if layer is None or not layer.weights else ("Y" if layer.trainable else "N"))
        if flops is not None:
            row.append(f"{flops.get(name, 0):,}")
        rows.append(row)
        subs = getattr(layer, "layers", None) if expand_nested and layer is not None else None
        if subs:
            sub_entries = [(l.name, type(l).__name__, l, getattr(l, "_output_shapes", None)) for l in subs]
            rows += _rows(model, sub_entries, expand_nested, show_trainable, None if connections is None else {},
                          None, level + 1)
    return rows


def _layer_range(entries, layer_range):
    if layer_range is None:
        return entries
    if len(layer_range) != 2:
        raise ValueError("layer_range must be a list or tuple of length 2. Received: "
                         f"layer_range = {layer_range} of length {len(layer_range)}")
    if not all(isinstance(n, str) for n in layer_range):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    names = [e[0] for e in entries]
    first = [i for i, n in enumerate(names) if re.match(layer_range[0], n)]
    last = [i for i, n in enumerate(names) if re.match(layer_range[1], n)]
    if not first or not last or first[0] > last[-1]:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. "
                         f"Received: {layer_range}")
    return entries[first[0]:last[-1] + 1]


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None, show_flops=False):
    """Print the summary table (arguments as ``keras.Model.summary``, plus ``show_flops``)."""
    print_fn = print_fn or print
    if model._input_types is not None:
        model.trace(training=False)          # records each layer's output shapes
    report = None
    if show_flops:
        from ..debug.flops import model_flops
        report = model_flops(model, batch_size=1)
    chain = _sequential_like(model)
    headers = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    aligns = ["l", "l", "r"] + ([] if chain else ["l"])
    default, positions = (88, positions or [0.45, 0.80, 1.0]) if chain else (108, positions or [0.3, 0.56, 0.74, 1.0])
    if show_trainable:
        default += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        headers.append("Trainable")
        aligns.append("c")
    line_length = line_length or min(default, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, list(positions))
    entries = _layer_range(_entries(model), layer_range)
    rows = _rows(model, entries, expand_nested, show_trainable, None if chain else _connections(model),
                 report.per_layer if report is not None else None)
    if report is not None:
        if report.per_layer.get("(ops)"):
            rows.append(["(direct ops)", "", "0"] + [""] * (len(headers) - 3) + [f"{report.per_layer['(ops)']:,}"])
        headers.append("FLOPs")
        aligns.append("r")
        widths.append(max(13, max((len(r[-1]) for r in rows), default=0)))
    lines = [f'Model: "{model.name}"'] + _render(headers, rows, widths, aligns)
    lines += _totals(model, report)
    print_fn("\n".join(lines))


def _totals(model, report) -> list[str]:
    weights = model.weights
    count = lambda ws: sum(math.prod(w.shape) for w in ws)            # noqa: E731
    size = lambda ws: sum(math.prod(w.shape) * _itemsize(w) for w in ws)   # noqa: E731
    train, frozen = [w for w in weights if w.trainable], [w for w in weights if not w.trainable]
    opt = getattr(model, "optimizer", None)
    opt_vars = opt.variables if getattr(model, "compiled", False) and opt is not None and \
        getattr(opt, "built", False) else []
    lines = [f" Total params: {count(weights) + count(opt_vars):,} "
             f"({_bytes(size(weights) + size(opt_vars))})",
             f" Trainable params: {count(train):,} ({_bytes(size(train))})",
             f" Non-trainable params: {count(frozen):,} ({_bytes(size(frozen))})"]
    if opt_vars:
        lines.append(f" Optimizer params: {count(opt_vars):,} ({_bytes(size(opt_vars))})")
    if report is not None:
        from ..debug.flops import format_flops
        short = f" ({format_flops(report.total)})" if report.total >= 1000 else ""
        lines.append(f" Total FLOPs: {report.total:,}{short} per sample, inference graph, multiply-add = 2")
    return lines


def _itemsize(w) -> int:
    import numpy as np
    return np.dtype(w.dtype).itemsize
