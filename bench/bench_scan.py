"""Benchmark: aigov's plan scan beside a bare ``json.load`` of the same file, in the same run.

    python bench/bench_scan.py                       # 10, 1,000, 5,000 and 20,000 resources
    python bench/bench_scan.py --sizes 20000 --repeat 5

Each measurement runs in a fresh Python process, so peak memory (max RSS) is
that of one job alone. Time is the best of ``--repeat`` runs, measured inside
the process around the work itself (interpreter start-up and imports are
reported separately, as the CLI's wall time). Targets (issue 2): a
20,000-resource plan scanned in under 2x the json.load time and under 300 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

JSON_LOAD = """
import json, resource, sys, time
path = sys.argv[1]
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    with open(path, "rb") as handle:
        doc = json.load(handle)
    best = min(best, time.perf_counter() - start)
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
    start = time.perf_counter()
    result = run_scan([path], config, now=datetime.now(UTC))
    best = min(best, time.perf_counter() - start)
    counts = (len(result.resources), len(result.findings))
    del result  # as the json.load child frees its document: one scan's memory, not two
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, *counts)
"""


def generate_plan(size: int, seed: int) -> Path:
    """Write ``out/plan_<size>.json`` with gen_plan.py and return its path."""
    OUT.mkdir(exist_ok=True)
    plan = OUT / f"plan_{size}.json"
    subprocess.run(
        [
            sys.executable,
            str(HERE / "gen_plan.py"),
            "--resources",
            str(size),
            "--seed",
            str(seed),
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


def _cli_wall(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aigov",
            "scan",
            str(path),
            "--format",
            "json",
            "--output",
            str(OUT / "scan.json"),
        ],
        check=False,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)

    header = (
        f"{'resources':>9} {'file MB':>8} {'json.load s':>11} {'aigov s':>8} {'ratio':>6} "
        f"{'json.load MB':>12} {'aigov MB':>9} {'AI res':>7} {'findings':>8} {'CLI wall s':>10}"
    )
    print(header)
    rows = []
    for size in args.sizes:
        plan = generate_plan(size, args.seed)
        base_s, base_kb = run_child(JSON_LOAD, str(plan), str(args.repeat))
        scan_s, scan_kb, evaluated, findings = run_child(AIGOV_SCAN, str(plan), str(args.repeat))
        ratio = float(scan_s) / float(base_s)
        wall = _cli_wall(plan)
        row = {
            "resources": size,
            "file_mb": round(plan.stat().st_size / 1e6, 1),
            "json_load_s": round(float(base_s), 3),
            "aigov_s": round(float(scan_s), 3),
            "ratio": round(ratio, 2),
            "json_load_peak_mb": round(int(base_kb) / 1024, 1),
            "aigov_peak_mb": round(int(scan_kb) / 1024, 1),
            "evaluated": int(evaluated),
            "findings": int(findings),
            "cli_wall_s": round(wall, 2),
        }
        rows.append(row)
        print(
            f"{size:>9} {row['file_mb']:>8} {row['json_load_s']:>11} {row['aigov_s']:>8} "
            f"{row['ratio']:>6} {row['json_load_peak_mb']:>12} {row['aigov_peak_mb']:>9} "
            f"{evaluated:>7} {findings:>8} {row['cli_wall_s']:>10}"
        )
    largest = rows[-1]
    verdict_time = "meets" if largest["ratio"] < 2.0 else "MISSES"
    verdict_mem = "meets" if largest["aigov_peak_mb"] < 300 else "MISSES"
    print(
        f"\n{largest['resources']} resources: {largest['ratio']}x json.load "
        f"({verdict_time} the < 2x target), "
        f"{largest['aigov_peak_mb']} MB peak ({verdict_mem} the < 300 MB target)"
    )
    (OUT / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
