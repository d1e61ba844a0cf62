"""The ``kxla`` command: look at model files and IR, run pass pipelines.

    kxla dump MODEL.kxla [--passes PIPELINE] [--print-after-all] [--format text|dot] [--training]
    kxla opt FILE.kxlair --passes PIPELINE [--print-after-all] [--format text|dot] [-o OUT]
    kxla inspect MODEL.kxla [--batch-size N]
    kxla passes

``dump`` prints the IR stored in a model file (the inference graph, or the
training graph with ``--training``), optionally after a pass pipeline, after
rebuilding the model to check that the stored IR is the IR that runs;
``opt`` does the same for an IR text file (``-`` reads stdin). ``inspect``
prints the format version, the model summary, parameter counts, FLOPs, the
optimizer and XLA's memory analysis of the compiled steps. ``passes`` lists
the registered passes. Errors are one line on stderr and exit status 1
(``KXLA_DEBUG=1`` shows the traceback). Heavy modules load only when a
command needs them.
"""
from __future__ import annotations

import argparse
import os
import sys

__all__ = ["main"]


class CLIError(Exception):
    """An error reported as one line, without a traceback."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kxla", description="Inspect kxla model files and IR; run pass pipelines.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    d = sub.add_parser("dump", help="print the IR stored in a model file, optionally after passes")
    d.add_argument("model", metavar="MODEL.kxla")
    _pipeline_args(d, required=False)
    d.add_argument("--training", action="store_true", help="the training graph instead of the inference graph")
    o = sub.add_parser("opt", help="run a pass pipeline on IR text (IR text in, IR text out)")
    o.add_argument("file", metavar="FILE.kxlair", help="IR text file, or - for stdin")
    _pipeline_args(o, required=True)
    o.add_argument("-o", "--output", metavar="OUT", help="write the result here instead of stdout")
    i = sub.add_parser("inspect", help="summary, parameters, FLOPs, format, optimizer and step memory")
    i.add_argument("model", metavar="MODEL.kxla")
    i.add_argument("--batch-size", type=_positive_int, default=32, help="batch size for the memory analysis (default 32)")
    i.add_argument("--no-compile", action="store_true", help="skip XLA's memory analysis (faster)")
    sub.add_parser("passes", help="list the registered passes")
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _pipeline_text(text: str) -> str:
    """``--passes`` text with every comma-separated entry (outside braces) non-empty."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "{") - (ch == "}")
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    if any(not p.strip() for p in parts):
        raise argparse.ArgumentTypeError(f"empty pass name in pipeline {text!r} (expected e.g. "
                                         "'shape-inference,cse,dce'; see: kxla passes)")
    return text


def _pipeline_args(p, required: bool):
    p.add_argument("--passes", metavar="PIPELINE", required=required, type=_pipeline_text,
                   help='pass pipeline, e.g. "shape-inference,cse,dce" (see: kxla passes)')
    p.add_argument("--print-after-all", action="store_true", help="print the IR after every pass (to stderr)")
    p.add_argument("--format", choices=("text", "dot"), default="text", help="output format (default text)")


# -- helpers --------------------------------------------------------------------------------
def _read_payload(path: str) -> dict:
    from .saving.model_io import read_model_file
    return read_model_file(path)


def _check_stored_ir(path: str) -> None:
    """Rebuild the model to make sure the stored IR is the IR that runs (FormatError if not).

    A file naming custom classes this process does not know cannot be checked:
    a warning on stderr says so.
    """
    from .saving import UnknownObjectError
    from .saving.model_io import load_model
    try:
        load_model(path, compile=False)
    except UnknownObjectError as e:
        sys.stderr.write(f"kxla: warning: the stored IR was not checked against the model ({e})\n")


def _parse_ir(text: str, source: str):
    import kxla.ops.fused  # noqa: F401  (registers the fused ops a stored graph may hold)
    from .ir import IRSyntaxError, VerificationError, parse, verify
    try:
        graph = parse(text)
        verify(graph)
    except (IRSyntaxError, VerificationError) as e:
        raise CLIError(f"{source}: {e}") from None
    except RecursionError:
        raise CLIError(f"{source}: IR nested too deeply") from None
    return graph


def _run_pipeline(graph, args):
    if not args.passes:
        return graph
    from .passes import PassManager
    pm = PassManager(args.passes, print_after_all=args.print_after_all, stream=sys.stderr)
    return pm.run(graph)


def _emit(graph, fmt: str, out=None) -> None:
    text = graph.to_dot() if fmt == "dot" else str(graph)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        from .saving.format import write_atomic
        write_atomic(out, (text if text.endswith("\n") else text + "\n").encode())


# -- commands ---------------------------------------------------------------------------------
def _cmd_dump(args) -> int:
    payload = _read_payload(args.model)
    key = "ir_training" if args.training else "ir"
    text = payload.get(key)
    if text is None:
        raise CLIError(f"{args.model}: the file holds no {'training' if args.training else 'inference'} graph "
                       "(the model was saved before it was built)")
    _check_stored_ir(args.model)
    graph = _parse_ir(text, f"{args.model} ({key})")
    _emit(_run_pipeline(graph, args), args.format)
    return 0


def _cmd_opt(args) -> int:
    if args.file == "-":
        text, source = sys.stdin.read(), "<stdin>"
    else:
        with open(args.file, encoding="utf-8") as f:
            text, source = f.read(), args.file
    graph = _parse_ir(text, source)
    _emit(_run_pipeline(graph, args), args.format, args.output)
    return 0


def _bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024


def _cmd_inspect(args) -> int:
    payload = _read_payload(args.model)
    out = sys.stdout.write
    model_desc = payload["model"]
    out(f"file: {args.model} ({_bytes(os.path.getsize(args.model))})\n")
    out(f"format: kxla.model version {payload['__version__']}, written by kxla {payload['kxla_version']}\n")
    out(f"model: {model_desc.get('name', '?')!s} ({model_desc.get('kind', '?')!s}, "
        f"class {model_desc.get('class_name', '?')!s})\n")
    from .debug.flops import format_flops, graph_flops
    from .saving.weights_io import decode_weight_table
    entries = decode_weight_table(payload["weights"], f"{args.model}: weights")
    trainable = sum(e["array"].size for e in entries if e["kind"] == "param" and e["trainable"])
    total = sum(e["array"].size for e in entries)
    nbytes = sum(e["array"].nbytes for e in entries)
    out(f"parameters: {total:,} total ({_bytes(nbytes)}), {trainable:,} trainable, "
        f"{total - trainable:,} non-trainable, in {len(entries)} weights\n")

    model, load_error = None, None
    from .saving import FormatError
    try:
        from .saving.model_io import load_model
        model = load_model(args.model)
    except FormatError:                         # an invalid file (e.g. its stored IR is not what runs)
        raise
    except Exception as e:                      # e.g. a custom layer this process does not know
        load_error = f"{type(e).__name__}: {e}"
    if model is not None:
        out("\n")
        model.summary(print_fn=lambda s: out(s + "\n"), show_flops=payload.get("ir") is not None)
        out("\n")
    else:
        out(f"summary: unavailable (the model could not be rebuilt here: {load_error})\n")

    graph = _parse_ir(payload["ir"], f"{args.model} (ir)") if payload.get("ir") else None
    if graph is not None:
        report = graph_flops(graph, batch_size=1)
        short = f" ({format_flops(report.total)})" if report.total >= 1000 else ""
        out(f"FLOPs: {report.total:,}{short} per sample, inference graph (multiply-add = 2)\n")
        if report.unknown_ops:
            out(f"  ops without a FLOPs rule (counted 0): {', '.join(report.unknown_ops)}\n")

    opt = payload.get("optimizer")
    if opt:
        config = opt.get("config") if isinstance(opt.get("config"), dict) else {}
        lr = config.get("learning_rate")
        iterations = None
        for entry in opt.get("state") or []:
            if isinstance(entry, dict) and entry.get("key") == ["iterations"]:
                from .saving.format import decode_tensor
                iterations = int(decode_tensor(entry, "iterations"))
        state = f", state saved ({iterations} iterations)" if iterations is not None else ", no state saved"
        out(f"optimizer: {opt.get('class_name')!s} (learning_rate={lr!r}){state}\n")
    else:
        out("optimizer: none\n")
    comp = payload.get("compile")
    if comp:
        parts = [f"{k}={comp[k]!r}" for k in ("loss", "metrics", "loss_weights") if comp.get(k) is not None]
        out(f"compile: {', '.join(parts) or 'no loss'}\n")
    else:
        out("compile: not compiled (or the compile config could not be saved)\n")

    if args.no_compile:
        return 0
    from .debug import xla
    rows = []
    try:
        if model is not None:
            rows.append(("predict", xla.memory_analysis(model, "predict", args.batch_size)))
            if model.compiled and model._loss_spec is not None:
                rows.append(("train", xla.memory_analysis(model, "train", args.batch_size)))
        elif graph is not None:
            rows.append(("predict", xla.graph_memory_analysis(graph, args.batch_size)))
    except Exception as e:
        out(f"compiled step memory: unavailable ({type(e).__name__}: {e})\n")
        return 0
    if rows:
        out(f"compiled step memory (XLA memory_analysis, batch {args.batch_size}):\n")
        for mode, m in rows:
            out(f"  {mode:<8} arguments {_bytes(m['argument_bytes'])}, outputs {_bytes(m['output_bytes'])}, "
                f"temporaries {_bytes(m['temp_bytes'])}, aliased {_bytes(m['alias_bytes'])}\n")
    return 0


def _cmd_passes(args) -> int:
    from .passes import available
    table = available()
    width = max((len(n) for n in table), default=0)
    for name, desc in table.items():
        sys.stdout.write(f"{name:<{width}}  {desc}\n")
    return 0


_COMMANDS = {"dump": _cmd_dump, "opt": _cmd_opt, "inspect": _cmd_inspect, "passes": _cmd_passes}


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        where = f"{e.filename}: " if e.filename else ""
        return f"{where}{e.strerror.lower()}"
    text = " ".join(str(e).split())
    return text or type(e).__name__


def main(argv=None) -> int:
    """Run the ``kxla`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        if os.environ.get("KXLA_DEBUG"):
            raise
        sys.stderr.write(f"kxla {args.command}: error: {_one_line(e)}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
