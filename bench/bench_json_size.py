"""Benchmark: the JSON report's size for a generated plan, and how much of it is prices.

    python bench/bench_json_size.py --resources 20000 --shape distinct

Scans a plan written by gen_plan.py in-process (bundled rules and prices) and
prints the size of the JSON report, of its top-level ``prices`` table and of
the findings' references to it. Schema version 2 lists each price once; in
version 1 each finding repeated its prices' full records (about 19 MB of the
55 MB report for 20,000 distinct resources, measured 2026-12-02).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_plan import Generator  # noqa: E402

from aigov.config import Config  # noqa: E402
from aigov.report.json_report import JsonReporter  # noqa: E402
from aigov.scan import run_scan  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--resources", type=int, default=20000)
    parser.add_argument("--shape", default="distinct")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(Generator(7).generate(args.resources, args.shape)), encoding="utf-8")
        start = time.process_time()
        result = run_scan([str(plan)], Config(), now=datetime.now(UTC))
        text = JsonReporter().render(result)
        seconds = time.process_time() - start
    document = json.loads(text)
    table = len(json.dumps(document["prices"]))
    refs = sum(len(json.dumps(f["cost"]["prices"])) for f in document["findings"])
    print(
        f"{args.resources} resources ({args.shape}): {len(document['findings'])} findings, "
        f"report {len(text) / 1e6:.1f} MB, prices table {table / 1e6:.2f} MB "
        f"({len(document['prices'])} prices), references {refs / 1e6:.2f} MB; "
        f"scan + render {seconds:.1f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
