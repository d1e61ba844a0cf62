"""Start-up time of the ``kxla`` command and of the jax-free imports (issue #12, item 2).

    python benchmarks/cli_start.py [--runs 10]

Runs each command ``--runs`` times in a fresh interpreter (the installed
console script's code path: ``python -c "from kxla.cli import main; main()"``)
and prints min / median wall seconds, then whether it loaded jax. For the
per-module picture: ``python -X importtime -c "from kxla.cli import main" 2>&1 | sort -t'|' -k2 -n | tail``.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

CASES = {
    "kxla --help": "import sys; from kxla.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass",
    "kxla passes": "from kxla.cli import main; main(['passes'])",
    "import kxla.ir": "import kxla.ir",
    "import kxla.passes": "import kxla.passes",
    "import kxla": "import kxla",
}
_JAX = "\nimport sys; print('JAX' if any(m.split('.')[0] in ('jax', 'jaxlib') for m in sys.modules) else 'NOJAX')"


def measure(code: str, runs: int) -> tuple[list[float], bool]:
    times, jax_loaded = [], False
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code + _JAX], capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t0)
        jax_loaded = out.stdout.strip().endswith("JAX") and not out.stdout.strip().endswith("NOJAX")
    return times, jax_loaded


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args(argv)
    for name, code in CASES.items():
        times, jax_loaded = measure(code, args.runs)
        print(f"{name:<20} min {min(times):.3f} s  median {statistics.median(times):.3f} s  "
              f"({args.runs} runs)  jax loaded: {'yes' if jax_loaded else 'no'}")


if __name__ == "__main__":
    main()
