"""What ``RematScope`` saves: a deep MLP's train step with and without rematerialization.

    python benchmarks/remat_memory.py [--batch 1024] [--depth 8]

For each placement of ``RematScope("full")`` — none, around each block (a
``Dense(hidden, relu) -> Dense(width)`` Sequential), around each layer, around
the whole model — prints:

* ``residual_bytes``: the forward activations JAX keeps for the backward pass
  (``jax.ad_checkpoint.print_saved_residuals`` of the lowered loss, the
  arguments and the input excluded): deterministic, platform-independent;
* ``temp_bytes``: XLA's ``compiled.memory_analysis()`` of the jitted train step
  on this machine's backend (its scheduler decides how much of the saving it realises);
* ``remat_eqns``: the ``remat2`` equations in the train step's jaxpr.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import re

import numpy as np

PLACEMENTS = (None, "block", "layers", "model")


def build(placement, depth=8, width=256, hidden=2048):
    """The MLP with ``RematScope("full")`` at ``placement`` (see module doc), compiled with sgd + mse."""
    import kxla
    from kxla import layers

    scope = kxla.RematScope("full")
    blocks = []
    for _ in range(depth):
        with scope if placement == "block" else contextlib.nullcontext():
            with scope if placement == "layers" else contextlib.nullcontext():
                first, second = layers.Dense(hidden, activation="relu"), layers.Dense(width)
            blocks.append(kxla.Sequential([first, second]))
    with scope if placement == "model" else contextlib.nullcontext():
        model = kxla.Sequential([layers.Input((width,))] + blocks + [layers.Dense(10)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def residual_bytes(model, batch_size: int) -> int:
    """Bytes of the forward values JAX saves for the backward pass of ``sum(model(x))`` (not arguments)."""
    import jax
    import jax.ad_checkpoint
    import kxla

    fn = kxla.lower(model.to_ir(training=True))
    params = {v.ir_name: v.numpy() for v in model.weights}
    x = np.ones((batch_size,) + tuple(model._input_types[0].shape[1:]), "float32")
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        jax.ad_checkpoint.print_saved_residuals(lambda p: fn(p, {}, [x], training=True)[0][0].sum(), params)
    total = 0
    for line in text.getvalue().splitlines():
        m = re.match(r"([a-z]+)(\d+)\[([\d,]*)\]", line)
        if m and "from the argument" not in line and "from a constant" not in line:
            dims = [int(d) for d in m.group(3).split(",") if d]
            total += int(np.prod(dims)) * int(m.group(2)) // 8
    return total


def measure(placement, batch_size=1024, depth=8) -> dict:
    from kxla.debug import xla
    model = build(placement, depth)
    return {"residual_bytes": residual_bytes(model, batch_size),
            "temp_bytes": xla.memory_analysis(model, "train", batch_size=batch_size)["temp_bytes"],
            "remat_eqns": str(xla.jaxpr(model, "train", batch_size=batch_size)).count("remat2[")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--depth", type=int, default=8)
    args = parser.parse_args(argv)
    print(f"{'remat':>8} {'residual_bytes':>15} {'temp_bytes':>12} {'remat_eqns':>10}")
    for placement in PLACEMENTS:
        r = measure(placement, args.batch, args.depth)
        print(f"{placement or 'none':>8} {r['residual_bytes']:>15,} {r['temp_bytes']:>12,} {r['remat_eqns']:>10}")


if __name__ == "__main__":
    main()
