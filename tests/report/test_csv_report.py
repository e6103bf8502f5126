"""``--format csv``: findings and showback totals in one table with FOCUS column names."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.report.csv_report import COLUMNS

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "showback"
ESTATE = FIXTURES / "estate.json"
USAGE = str(FIXTURES / "usage.yaml")


def _run(tmp_path: Path, template: Path = ESTATE) -> tuple[list[dict[str, str]], dict[str, object]]:
    out_csv, out_json = tmp_path / "r.csv", tmp_path / "r.json"
    result = CliRunner().invoke(
        main, ["scan", str(template), "--usage", USAGE, "-o", str(out_csv), "-o", str(out_json)]
    )
    assert result.exit_code == 1, result.output
    text = out_csv.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader), json.loads(out_json.read_text(encoding="utf-8"))


def test_a_row_per_finding_with_its_cost_and_owner(tmp_path: Path) -> None:
    rows, document = _run(tmp_path)
    findings = [r for r in rows if r["x_RowType"] == "finding"]
    assert len(findings) == len(document["findings"])  # type: ignore[arg-type]
    by_fingerprint = {r["x_Fingerprint"]: r for r in findings}
    for finding in document["findings"]:  # type: ignore[attr-defined]
        row = by_fingerprint[finding["fingerprint"]]
        cost = finding["cost"]["monthly_usd"]
        assert row["x_CostAtRisk"] == ("" if cost is None else f"{cost:.2f}")
        assert row["x_RuleId"] == finding["rule_id"]
        assert row["BillingCurrency"] == "USD"
    ptu = next(r for r in findings if r["ResourceId"].endswith("acct-fin/deployments/ptu"))
    assert ptu["x_CostCenter"] == "CC-100"  # inherited from its account
    assert ptu["ServiceName"] == "Azure AI Services"
    assert ptu["EffectiveCost"] == "73000.00"
    assert ptu["ChargePeriodStart"].endswith("-01T00:00:00Z")


@pytest.mark.parametrize("dimension", ["cost_center", "workload", "subscription", "rule_family"])
def test_total_rows_equal_the_json_showback(tmp_path: Path, dimension: str) -> None:
    rows, document = _run(tmp_path)
    totals = [r for r in rows if r["x_RowType"] == "total" and r["x_Dimension"] == dimension]
    groups = document["showback"][f"by_{dimension}"]  # type: ignore[index]
    assert [(r["x_Group"], float(r["EffectiveCost"]), float(r["x_CostAtRisk"])) for r in totals] == [
        (g["label"], g["monthly_usd"], g["at_risk_usd"]) for g in groups
    ]


def test_a_cell_that_would_be_a_formula_is_defused(tmp_path: Path) -> None:
    template = json.loads(ESTATE.read_text(encoding="utf-8"))
    template["resources"][0]["tags"]["Cost-Center"] = '=HYPERLINK("http://x.example","y")'
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps(template), encoding="utf-8")
    rows, _ = _run(tmp_path, hostile)
    centers = {r["x_CostCenter"] for r in rows if r["x_RowType"] == "finding"} | {
        r["x_Group"] for r in rows if r["x_Dimension"] == "cost_center"
    }
    assert '\'=HYPERLINK("http://x.example","y")' in centers
    assert not any(value.startswith("=") for row in rows for value in row.values())
