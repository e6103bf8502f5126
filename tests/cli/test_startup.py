"""Start-up: a plan scan imports only what a plan needs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "fixtures" / "terraform_plan" / "example.json"

# Run the CLI in a fresh interpreter, then list which of these modules it loaded.
_PROBE = """
import json, sys
from aigov.cli.main import main
try:
    main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
watched = ("lark", "hcl2", "jsonschema", "rich", "urllib.request", "azure", "aigov.sources.terraform_hcl",
           "aigov.sources.bicep.source", "aigov.sources.arm", "aigov.cli.rules", "aigov.cost.estimate")
print(json.dumps(sorted(m for m in watched if m in sys.modules)), file=sys.stderr)
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_a_plan_scan_to_json_loads_no_other_parser_schema_validator_or_table_renderer(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.json"
    assert _loaded("scan", str(PLAN), "--format", "json", "--output", str(out)) == []
    assert json.loads(out.read_text(encoding="utf-8"))["findings"]


def test_a_bicep_scan_loads_the_bicep_parser_only(tmp_path: Path) -> None:
    bicep = tmp_path / "main.bicep"
    bicep.write_text("param location string = 'eastus'\n", encoding="utf-8")
    out = tmp_path / "report.json"
    loaded = _loaded("scan", str(bicep), "--format", "json", "--output", str(out))
    assert "aigov.sources.bicep.source" in loaded
    assert "aigov.sources.terraform_hcl" not in loaded
