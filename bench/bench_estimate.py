"""Benchmark: ``aigov estimate`` with a long usage file beside the plain plan scan of the same plan.

    python bench/bench_estimate.py                      # 20,000 resources, 500 usage entries
    python bench/bench_estimate.py --resources 5000 --entries 200 --repeat 5

The plan comes from gen_plan.py and the usage file from gen_usage.py (entries
matching the plan's deployments by literal names and globs, most specific
first, mixing direct volumes and the chat formula). As in bench_scan.py, each
measurement runs in a fresh Python process, time is the best of ``--repeat``
runs measured around the work itself, and peak memory is that process's max
RSS. The estimate is timed as the CLI does it: load the catalogue, read and
validate the usage file, read the plan and price every billed resource; the
scan is ``run_scan`` without a usage file. Target (issue 6): the estimate
within 1.5x of the scan.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench_scan import AIGOV_SCAN, HERE, OUT, generate_plan, run_child

TARGET = 1.5

AIGOV_ESTIMATE = """
import resource, sys, time
from datetime import UTC, datetime
from pathlib import Path
from aigov.config import load_config
from aigov.cost.estimate import run_estimate
from aigov.scan import ScanOptions, load_prices, load_usage_book
path = sys.argv[1]
config = load_config(None)
options = ScanOptions(usage_path=Path(sys.argv[3]))
best = float("inf")
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    catalog = load_prices(config, options)
    book = load_usage_book(config, options)
    result = run_estimate(
        [path], catalog, now=datetime.now(UTC), default_region=config.default_region,
        usage=book, terms=config.pricing_terms,
    )
    best = min(best, time.perf_counter() - start)
by_tokens = sum(1 for row in result.rows if "tokens" in row.basis)
print(best, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(result.rows), by_tokens, result.unknown)
"""


def _cli_wall(plan: Path, usage: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "aigov",
            "estimate",
            str(plan),
            "--usage",
            str(usage),
            "--format",
            "json",
            "--output",
            str(OUT / "estimate.json"),
        ],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resources", type=int, default=20000)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    plan = generate_plan(args.resources, args.seed)
    usage = OUT / f"usage_{args.entries}.yaml"
    subprocess.run(
        [
            sys.executable,
            str(HERE / "gen_usage.py"),
            "--plan",
            str(plan),
            "--entries",
            str(args.entries),
            "--seed",
            str(args.seed),
            "--out",
            str(usage),
        ],
        check=True,
    )
    scan_s, scan_kb, evaluated, findings = run_child(AIGOV_SCAN, str(plan), str(args.repeat))
    est_s, est_kb, rows, by_tokens, unknown = run_child(
        AIGOV_ESTIMATE, str(plan), str(args.repeat), str(usage)
    )
    ratio = float(est_s) / float(scan_s)
    wall = _cli_wall(plan, usage)
    result = {
        "resources": args.resources,
        "usage_entries": args.entries,
        "file_mb": round(plan.stat().st_size / 1e6, 1),
        "scan_s": round(float(scan_s), 3),
        "estimate_s": round(float(est_s), 3),
        "ratio": round(ratio, 2),
        "scan_peak_mb": round(int(scan_kb) / 1024, 1),
        "estimate_peak_mb": round(int(est_kb) / 1024, 1),
        "scan_evaluated": int(evaluated),
        "scan_findings": int(findings),
        "estimate_rows": int(rows),
        "estimate_rows_priced_by_tokens": int(by_tokens),
        "estimate_rows_unknown": int(unknown),
        "estimate_cli_wall_s": round(wall, 2),
    }
    print(f"{'':>9} {'time s':>7} {'peak MB':>8}  what")
    print(
        f"{'scan':>9} {result['scan_s']:>7} {result['scan_peak_mb']:>8}  "
        f"{evaluated} resources evaluated, {findings} findings"
    )
    print(
        f"{'estimate':>9} {result['estimate_s']:>7} {result['estimate_peak_mb']:>8}  "
        f"{rows} billed resources, {by_tokens} priced per token, {unknown} unknown; "
        f"CLI wall {result['estimate_cli_wall_s']} s"
    )
    verdict = "meets" if ratio <= TARGET else "MISSES"
    print(
        f"\n{args.resources} resources, {args.entries} usage entries: estimate {result['ratio']}x the scan "
        f"({verdict} the <= {TARGET}x target)"
    )
    (OUT / "results_estimate.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
