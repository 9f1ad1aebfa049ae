"""How long the command line takes before it starts working: wall clock and processor time.

    python benchmarks/bench_startup.py [--runs 9] [--src OTHER_CHECKOUT/src ...]

Each command runs ``--runs`` times as a fresh process, alternating between the checkouts given
(this one by default, then each ``--src``, put first on ``sys.path``), so that a machine busy
with something else slows every side alike. Prints the median wall clock and the median
processor time (user + system) of each command, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    ["--help"],
    ["request", "list", "--help"],
    ["--version"],
    ["check", str(ROOT / "examples" / "online-shop" / "register.yaml")],
    ["lint", str(ROOT / "examples" / "online-shop" / "register.yaml")],
]
RUN = "import sys; from registre.cli import main; sys.argv[0] = 'registre'; main()"


def once(src: Path, args: list[str]) -> tuple[float, float]:
    env = os.environ | {"PYTHONPATH": str(src), "COLUMNS": "80"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--src", action="append", type=Path, default=[])
    options = parser.parse_args()
    sources = [ROOT / "src", *options.src]
    for args in COMMANDS:
        results: dict[Path, list[tuple[float, float]]] = {src: [] for src in sources}
        for _ in range(options.runs):
            for src in sources:
                results[src].append(once(src, args))
        shown = " ".join(
            a if "/" not in a else Path(a).parent.name + "/" + Path(a).name for a in args
        )
        for src, runs in results.items():
            wall = statistics.median(r[0] for r in runs) * 1000
            cpu = statistics.median(r[1] for r in runs) * 1000
            print(f"registre {shown:<45} {src}: wall {wall:5.0f} ms, cpu {cpu:5.0f} ms")


if __name__ == "__main__":
    main()
