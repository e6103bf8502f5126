"""Benchmark: ``aigov scan`` of a 10-resource plan, start to exit, beside a bare interpreter start.

    python bench/bench_startup.py                 # best of 5 runs, table report
    python bench/bench_startup.py --format json --repeat 10 --top 25

Prints the best wall and CPU time of the CLI run and of ``python -c pass``
(the floor no import work can go under), then the modules whose import took
longest, from ``python -X importtime`` (cumulative microseconds, the
module's own time beside it). Target (issue 12): at most 0.4 s wall on an
idle machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"


def timed(command: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one run of ``command`` in a fresh process."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )


def best(command: list[str], repeat: int) -> tuple[float, float]:
    runs = [timed(command) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def import_times(command: list[str]) -> list[tuple[int, int, str]]:
    """(cumulative us, own us, module) of every import, from ``-X importtime``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]], capture_output=True, text=True, check=False
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((int(cumulative), int(own), name))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--format", default="table", help="report format (default: table, as on a terminal)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    plan = OUT / "plan_10.json"
    subprocess.run(
        [sys.executable, str(HERE / "gen_plan.py"), "--resources", "10", "--out", str(plan)],
        check=True,
        capture_output=True,
    )
    scan = [sys.executable, "-m", "aigov", "scan", str(plan), "--format", args.format]
    scan += ["--output", str(OUT / f"startup.{args.format}")]
    floor_wall, floor_cpu = best([sys.executable, "-c", "pass"], args.repeat)
    wall, cpu = best(scan, args.repeat)
    print(f"{'':24} {'wall s':>7} {'CPU s':>7}")
    print(f"{'python -c pass':24} {floor_wall:>7.3f} {floor_cpu:>7.3f}")
    print(f"{'aigov scan (10 res.)':24} {wall:>7.3f} {cpu:>7.3f}   target <= 0.4 s wall on an idle machine")
    rows = import_times(scan)
    aigov_total = sum(own for _, own, _ in rows)
    print(f"\nall imports: {aigov_total / 1e6:.3f} s (own times summed); the slowest, cumulative:")
    print(f"{'cumulative ms':>13} {'own ms':>7}  module")
    for cumulative, own, name in sorted(rows, reverse=True)[: args.top]:
        print(f"{cumulative / 1000:>13.1f} {own / 1000:>7.1f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
