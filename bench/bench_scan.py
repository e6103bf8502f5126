"""Benchmark: aigov's plan scan beside a bare ``json.load`` of the same file, in the same run.

    python bench/bench_scan.py                 # 1,000, 5,000 and 20,000 resources; distinct and for_each
    python bench/bench_scan.py --sizes 1000 5000 --shapes for_each --repeat 1

Plans come from gen_plan.py in the shapes Terraform writes for large estates
(``--shapes``): ``distinct`` (every resource its own block in nested modules),
``for_each`` (thousands of keyed instances per module instance, deployments
referring to ``accounts[each.value.account]``) and ``team`` (one module
instance per team, the kindest shape).

Each measurement runs in a fresh Python process, so peak memory (max RSS) is
that of one job alone. Time is CPU seconds (``time.process_time``), the best
of ``--repeat`` runs, measured inside the process around the work itself; the
CLI's wall and CPU time (interpreter start-up, imports, the default table
report) are reported beside it. ``growth`` is the exponent k in
``time ~ size**k`` from the previous size: about 1 is linear, 2 quadratic,
for aigov and for json.load alike. ``GC %`` is the share of json.load's time
spent in the cyclic garbage collector (the same load with it paused beside
it); aigov pauses it while it parses and reads a plan. Targets (issue 12): at 20,000 resources in
both shapes, at most 2x the json.load time and 300 MB peak, and linear.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

JSON_LOAD = """
import gc, json, resource, sys, time
path = sys.argv[1]
if sys.argv[3] == "paused":
    gc.disable()
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    with open(path, "rb") as handle:
        doc = json.load(handle)
    best = min(best, time.process_time() - start)
    del doc
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

AIGOV_SCAN = """
import resource, sys, time
from datetime import UTC, datetime
from aigov.config import load_config
from aigov.scan import run_scan
path = sys.argv[1]
config = load_config(None)
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.process_time()
    result = run_scan([path], config, now=datetime.now(UTC))
    best = min(best, time.process_time() - start)
    counts = (len(result.resources), len(result.findings))
    del result  # as the json.load child frees its document: one scan's memory, not two
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, *counts)
"""


def generate_plan(size: int, seed: int, shape: str = "team") -> Path:
    """Write ``out/plan_<shape>_<size>.json`` with gen_plan.py (once) and return its path."""
    OUT.mkdir(exist_ok=True)
    plan = OUT / (f"plan_{size}.json" if shape == "team" else f"plan_{shape}_{size}.json")
    subprocess.run(
        [
            sys.executable,
            str(HERE / "gen_plan.py"),
            "--resources",
            str(size),
            "--seed",
            str(seed),
            "--shape",
            shape,
            "--out",
            str(plan),
        ],
        check=True,
    )
    return plan


def run_child(code: str, *args: str) -> list[str]:
    """Run ``code`` in a fresh Python process with ``args``; its stdout split on whitespace."""
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return out.stdout.split()


def cli_run(path: Path, report_format: str) -> tuple[float, float, float]:
    """``aigov scan PATH --format F`` in a fresh process: (wall s, CPU s, peak MB)."""
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aigov",
            "scan",
            str(path),
            "--format",
            report_format,
            "--output",
            str(OUT / f"scan.{report_format}"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu, usage.ru_maxrss / 1024


def growth(previous: dict[str, float] | None, size: int, seconds: float, key: str) -> str:
    """The exponent k in ``seconds ~ size**k`` since the previous size of the same shape."""
    if previous is None or previous[key] <= 0 or seconds <= 0 or previous["resources"] == size:
        return "-"
    return f"{math.log(seconds / previous[key]) / math.log(size / previous['resources']):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--shapes", nargs="+", default=["distinct", "for_each"])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cli-format", default="table", help="report format of the CLI run (default: table)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)

    header = (
        f"{'shape':>8} {'resources':>9} {'file MB':>7} {'load s':>7} {'aigov s':>7} {'ratio':>5} "
        f"{'growth':>6} {'(load)':>6} {'GC %':>4} {'load MB':>7} {'aigov MB':>8} "
        f"{'AI res':>6} {'findings':>8} "
        f"{'CLI wall':>8} {'CLI CPU':>7} {'CLI MB':>6}"
    )
    print(header)
    rows: list[dict[str, float]] = []
    for shape in args.shapes:
        previous: dict[str, float] | None = None
        for size in args.sizes:
            plan = generate_plan(size, args.seed, shape)
            base_s, base_kb = run_child(JSON_LOAD, str(plan), str(args.repeat), "collected")
            paused_s, _ = run_child(JSON_LOAD, str(plan), str(args.repeat), "paused")
            scan_s, scan_kb, evaluated, findings = run_child(AIGOV_SCAN, str(plan), str(args.repeat))
            wall, cpu, cli_mb = cli_run(plan, args.cli_format)
            row: dict[str, float] = {
                "resources": size,
                "file_mb": round(plan.stat().st_size / 1e6, 1),
                "json_load_s": float(base_s),
                "json_load_gc_paused_s": float(paused_s),
                "aigov_s": float(scan_s),
                "ratio": round(float(scan_s) / float(base_s), 2),
                "json_load_peak_mb": round(int(base_kb) / 1024, 1),
                "aigov_peak_mb": round(int(scan_kb) / 1024, 1),
                "evaluated": int(evaluated),
                "findings": int(findings),
                "cli_wall_s": round(wall, 2),
                "cli_cpu_s": round(cpu, 2),
                "cli_peak_mb": round(cli_mb, 1),
            }
            print(
                f"{shape:>8} {size:>9} {row['file_mb']:>7} {row['json_load_s']:>7.3f} {row['aigov_s']:>7.3f} "
                f"{row['ratio']:>5} {growth(previous, size, row['aigov_s'], 'aigov_s'):>6} "
                f"{growth(previous, size, row['json_load_s'], 'json_load_s'):>6} "
                f"{100 * (1 - row['json_load_gc_paused_s'] / row['json_load_s']):>4.0f} "
                f"{row['json_load_peak_mb']:>7} {row['aigov_peak_mb']:>8} {evaluated:>6} {findings:>8} "
                f"{row['cli_wall_s']:>8} {row['cli_cpu_s']:>7} {row['cli_peak_mb']:>6}",
                flush=True,
            )
            rows.append({"shape": shape, **row})  # type: ignore[dict-item]
            previous = row
        largest = previous
        assert largest is not None
        time_ok = "meets" if largest["ratio"] <= 2.0 else "MISSES"
        mem_ok = "meets" if largest["aigov_peak_mb"] <= 300 else "MISSES"
        print(
            f"  {shape} at {largest['resources']}: {largest['ratio']}x json.load ({time_ok} <= 2x), "
            f"{largest['aigov_peak_mb']} MB peak ({mem_ok} <= 300 MB)",
            flush=True,
        )
    (OUT / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
