"""Benchmark: what parsing a plan costs, by parser and with the garbage collector running or paused.

    python bench/bench_parsers.py                       # the 20,000-resource distinct plan
    python bench/bench_parsers.py --plan out/plan_for_each_5000.json
    python bench/bench_parsers.py --python /path/to/venv/bin/python   # one with orjson / msgspec

Each parse runs in a fresh process (CPU seconds, peak RSS): the standard
library's ``json.loads`` with the collector running, paused (``gc.disable``)
and frozen (``gc.freeze``); aigov's parse of the plan as a scan does it
(msgspec decodes the members aigov reads and steps over ``planned_values``
and ``prior_state`` without building them; resource changes of other types
are dropped), and its standard-library path (member by member, what input
msgspec refuses takes); whole-document ``orjson`` and ``msgspec`` (orjson is
not an aigov dependency; a line says so when it is missing).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CASES = {
    "json.loads, collector running": "import json; d = json.loads(open(p, 'rb').read())",
    "json.loads, collector paused": "import json, gc; gc.disable(); d = json.loads(open(p, 'rb').read())",
    "json.loads, collector frozen": "import json, gc; gc.freeze(); d = json.loads(open(p, 'rb').read())",
    "aigov plan parse, paused": (
        "import gc; from aigov.sources.json_sections import load_members; "
        "from aigov.sources.terraform_plan import _NOTED_MEMBERS, _WANTED_MEMBERS, _mapped_change; "
        "gc.disable(); d = load_members(open(p, 'rb').read(), _WANTED_MEMBERS, "
        "keep={'resource_changes': _mapped_change}, noted=_NOTED_MEMBERS)"
    ),
    "aigov stdlib path, paused": (
        "import gc; from aigov.sources.json_sections import _load_members_slowly; "
        "from aigov.sources.terraform_plan import _WANTED_MEMBERS, _mapped_change; gc.disable(); "
        "d = _load_members_slowly(open(p, encoding='utf-8').read(), _WANTED_MEMBERS, "
        "{'resource_changes': _mapped_change})"
    ),
    "orjson.loads, collector running": "import orjson; d = orjson.loads(open(p, 'rb').read())",
    "orjson.loads, collector paused": (
        "import orjson, gc; gc.disable(); d = orjson.loads(open(p, 'rb').read())"
    ),
    "msgspec decode, collector running": "import msgspec; d = msgspec.json.decode(open(p, 'rb').read())",
    "msgspec decode, collector paused": (
        "import msgspec, gc; gc.disable(); d = msgspec.json.decode(open(p, 'rb').read())"
    ),
}

_TIMED = """
import resource, sys, time
sys.path.insert(0, {root!r})
p = {path!r}
try:
    start = time.process_time()
    {code}
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(round(time.process_time() - start, 3), round(peak))
except ImportError as exc:
    print("missing", exc.name)
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--plan", type=Path, default=HERE / "out" / "plan_distinct_20000.json")
    parser.add_argument("--python", default=sys.executable, help="interpreter to run the parses with")
    args = parser.parse_args()
    if not args.plan.exists():
        parser.error(f"{args.plan}: write it first (bench/gen_plan.py --shape distinct --resources 20000)")
    print(f"{args.plan.name}, {args.plan.stat().st_size / 1e6:.1f} MB")
    print(f"{'parse':36} {'CPU s':>6} {'peak MB':>8}")
    for name, code in CASES.items():
        program = _TIMED.format(root=str(ROOT), path=str(args.plan), code=code)
        out = subprocess.run([args.python, "-c", program], capture_output=True, text=True, check=False)
        words = out.stdout.split()
        if len(words) == 2 and words[0] == "missing":
            print(f"{name:36} {'-':>6} {'-':>8}  ({words[1]} not installed)")
        elif len(words) == 2:
            print(f"{name:36} {words[0]:>6} {words[1]:>8}")
        else:
            print(f"{name:36} failed: {out.stderr.strip()[-200:]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
