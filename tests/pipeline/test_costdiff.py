"""``--compare-to``: the monthly cost-at-risk change against the base branch's report."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from aigov.baseline import parse_report
from aigov.costdiff import compare, summary_line
from aigov.model import CostChange, CostChangeItem, monthly_at_risk
from aigov.report.json_report import JsonReporter
from tests.conftest import FIXTURES, GoldenCheck
from tests.pipeline.conftest import CONFIG, PLAN, one_error_line, run, run_json, scan_example

PTU = 'azurerm_cognitive_deployment.reports["ptu"]'


def _base_without(tmp_path: Path, rule_id: str) -> tuple[Path, dict[str, object]]:
    """The example's report with one rule's findings removed, and one finding the branch no longer has."""
    document = json.loads(JsonReporter().render(scan_example()))
    document["findings"] = [f for f in document["findings"] if f["rule_id"] != rule_id]
    gone = dict(document["findings"][0])
    gone["rule_id"], gone["fingerprint"] = "AIGOV-OLD-001", "0" * 32
    gone["resource"] = {**gone["resource"], "address": "azurerm_cognitive_deployment.old"}
    gone["cost"] = {**gone["cost"], "monthly_usd": 500.0}
    document["findings"].append(gone)
    document["summary"]["monthly_cost_at_risk_usd"] = 1000.0
    path = tmp_path / "base.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, document


def test_compare_lists_added_and_removed_findings_with_their_cost(tmp_path: Path) -> None:
    path, document = _base_without(tmp_path, "AIGOV-SKU-001")
    findings = scan_example().findings
    change = compare(parse_report(document, str(path)), findings)
    assert change.before_usd == 1000.0
    assert change.after_usd == monthly_at_risk(findings)
    assert change.delta_usd == round(change.after_usd - 1000.0, 2)
    sku = next(f for f in findings if f.rule_id == "AIGOV-SKU-001")
    assert change.added == (CostChangeItem("AIGOV-SKU-001", PTU, sku.fingerprint, 43800.0),)
    assert change.removed == (
        CostChangeItem("AIGOV-OLD-001", "azurerm_cognitive_deployment.old", "0" * 32, 500.0),
    )


def test_unchanged_findings_with_another_cost_are_neither_added_nor_removed() -> None:
    result = scan_example()
    document = json.loads(JsonReporter().render(result))
    for finding in document["findings"]:
        finding["cost"]["monthly_usd"] = 1.0
        finding["message"] = "reworded"
    change = compare(parse_report(document, "base.json"), result.findings)
    assert (change.added, change.removed) == ((), ())
    assert change.delta_usd == 0.0


def test_delta_sign_and_summary_line() -> None:
    change = CostChange("base.json", 100.0, 1341.0, (CostChangeItem("R", "a", "f" * 32, 1241.0),), ())
    assert change.delta_usd == 1241.0
    assert summary_line(change) == (
        "Against base.json: the cost of this change is not known: the base report carries no input cost "
        "(an older aigov); cost at risk $100.00 -> $1,341.00 per month (+$1,241.00); 1 added, 0 removed"
    )
    cheaper = dataclasses.replace(change, after_usd=40.0)
    assert "(-$60.00)" in summary_line(cheaper)


def test_table_has_a_cost_change_section_and_stderr_stays_quiet(tmp_path: Path) -> None:
    path, _ = _base_without(tmp_path, "AIGOV-SKU-001")
    result = run(PLAN, "--config", CONFIG, "--compare-to", path)
    out = result.stdout
    section = out[out.index("Cost change") :]
    assert f"Monthly cost at risk: $1,000.00 in {path} ->" in " ".join(section.split())
    assert "added: 1 finding" in section
    assert "+     $43,800.00  AIGOV-SKU-001" in section
    assert "removed: 1 finding" in section
    assert "-        $500.00  AIGOV-OLD-001" in section
    assert result.stderr == ""


def test_json_carries_cost_change_and_the_log_gets_one_line(tmp_path: Path) -> None:
    path, _ = _base_without(tmp_path, "AIGOV-SKU-001")
    result, report = run_json(PLAN, "--config", CONFIG, "--compare-to", path)
    change = report["cost_change"]
    assert change["base"] == str(path)
    assert change["before_usd"] == 1000.0
    assert change["delta_usd"] == round(change["after_usd"] - 1000.0, 2)
    assert [i["rule_id"] for i in change["added"]] == ["AIGOV-SKU-001"]
    assert [i["monthly_usd"] for i in change["removed"]] == [500.0]
    assert result.stderr.startswith(f"Against {path}: this change leaves the monthly Azure AI cost unchanged")
    assert "cost at risk $1,000.00 -> " in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_without_compare_to_there_is_no_cost_change() -> None:
    _, report = run_json(PLAN, "--config", CONFIG)
    assert report["cost_change"] is None


def test_a_base_that_is_neither_a_report_nor_an_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    base.write_text('{"tool": {"name": "aigov"}}')
    line = one_error_line(run(PLAN, "--config", CONFIG, "--compare-to", str(base)))
    assert (
        line == f"error: {base}: not an aigov JSON report (expected the output of aigov scan --format json)"
    )
    base.write_text('{"unrelated": true}')
    assert one_error_line(run(PLAN, "--config", CONFIG, "--compare-to", str(base))).startswith(
        f"error: {base}: "
    )


def _plan_without(tmp_path: Path, address: str) -> Path:
    """The example plan as the base branch had it: without the resource at ``address``."""
    plan = json.loads(Path(PLAN).read_text(encoding="utf-8"))
    plan["resource_changes"] = [c for c in plan["resource_changes"] if c["address"] != address]
    path = tmp_path / "base-plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    return path


def test_a_base_plan_is_scanned_alike_and_the_change_is_priced_per_resource(tmp_path: Path) -> None:
    base = _plan_without(tmp_path, PTU)
    result, report = run_json(PLAN, "--config", CONFIG, "--compare-to", str(base))
    change = report["cost_change"]
    assert change["cost_delta_usd"] == 43800.0  # 30 PTU x 2.00 $/h x 730 h
    assert change["cost_after_usd"] == report["cost"]["monthly_usd"]
    assert change["cost_before_usd"] == round(report["cost"]["monthly_usd"] - 43800.0, 2)
    assert change["resources"] == [
        {"address": PTU, "change": "added", "before_usd": None, "after_usd": 43800.0, "delta_usd": 43800.0}
    ]
    assert change["added_at_risk_usd"] == 43800.0  # the PTU's findings, the resource counted once
    assert result.stderr.startswith(
        f"Against {base}: this change adds $43,800.00 per month of Azure AI cost "
        "($43,800.00 of it in violation)"
    )


def test_the_same_input_as_base_changes_nothing(tmp_path: Path) -> None:
    _, report = run_json(PLAN, "--config", CONFIG, "--compare-to", PLAN)
    change = report["cost_change"]
    assert (change["cost_delta_usd"], change["resources"], change["added"], change["removed"]) == (
        0.0,
        [],
        [],
        [],
    )


def test_the_comment_leads_with_the_money_the_change_adds(tmp_path: Path) -> None:
    base = _plan_without(tmp_path, PTU)
    result = run(PLAN, "--config", CONFIG, "--compare-to", str(base), "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == "<!-- aigov-report -->"
    assert lines[1] == (
        r"**This change adds \$43,800.00 per month of Azure AI cost (\$43,800.00 of it in violation).**"
    )
    assert lines[3].startswith("### aigov: ")
    row = r'| azurerm\_cognitive\_deployment.reports\["ptu"\] | added |  | \$43,800.00 | +\$43,800.00 |'
    assert row in lines


def test_a_removed_resource_is_money_saved(tmp_path: Path) -> None:
    # Swap the roles: the base has the PTU, the head does not.
    head = _plan_without(tmp_path, PTU)
    result = run(str(head), "--config", CONFIG, "--compare-to", PLAN, "--format", "markdown")
    assert result.stdout.splitlines()[1] == (
        r"**This change removes \$43,800.00 per month of Azure AI cost (\$0.00 of it in violation).**"
    )


@pytest.mark.parametrize("scenario", ["adds", "removes"])
def test_the_pull_request_comment_matches_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str, golden: GoldenCheck
) -> None:
    # adds: the base branch's plan had no PTU deployment; removes: the head drops it.
    shutil.copytree(PLAN.parent, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    _plan_without(tmp_path / "repo", PTU)
    head, base = ("plan.json", "base-plan.json") if scenario == "adds" else ("base-plan.json", "plan.json")
    # A fixed day: AIGOV-LIFE-001's message counts the days to the example's model retirement.
    result = run(
        head, "--config", "aigov.yaml", "--compare-to", base, "--format", "markdown", "--today", "2026-10-01"
    )
    golden(f"pipeline/comment-{scenario}.md", result.stdout)


def _as_version_2(document: dict[str, Any]) -> dict[str, Any]:
    """A schema_version 1 report in version 2's shape: prices listed once, findings naming them."""
    prices: dict[str, Any] = {}
    for finding in document["findings"]:
        refs = []
        for price in finding["cost"]["prices"]:
            ref = f"P{len(prices):012x}"
            prices[ref] = price
            refs.append(ref)
        finding["cost"]["prices"] = refs
        for line in finding["cost"]["lines"]:
            line["prices"] = refs
    return {**document, "schema_version": 2, "prices": prices}


def test_compare_to_reads_reports_of_schema_version_1_and_2(tmp_path: Path) -> None:
    old = FIXTURES / "pipeline" / "report-v1.json"  # the example's report as schema_version 1 wrote it
    v1 = json.loads(old.read_text(encoding="utf-8"))
    assert v1["schema_version"] == 1
    assert isinstance(v1["findings"][0]["cost"]["prices"][0], dict)
    new = tmp_path / "base-v2.json"
    new.write_text(json.dumps(_as_version_2(v1)), encoding="utf-8")
    _, from_v1 = run_json(PLAN, "--config", CONFIG, "--compare-to", old)
    _, from_v2 = run_json(PLAN, "--config", CONFIG, "--compare-to", new)
    assert from_v1["schema_version"] == from_v2["schema_version"] == 2
    assert from_v1["cost_change"]["before_usd"] == v1["summary"]["monthly_cost_at_risk_usd"]
    assert {k: v for k, v in from_v1["cost_change"].items() if k != "base"} == {
        k: v for k, v in from_v2["cost_change"].items() if k != "base"
    }


def test_a_version_2_report_of_this_aigov_is_a_valid_base(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert run(PLAN, "--config", CONFIG, "--format", "json", "--output", report).exit_code == 1
    assert json.loads(report.read_text(encoding="utf-8"))["schema_version"] == 2
    _, document = run_json(PLAN, "--config", CONFIG, "--compare-to", report, "--baseline", report)
    assert document["cost_change"]["delta_usd"] == 0.0
    assert document["summary"]["existing"] == document["summary"]["findings"] > 0


COMPLIANT = PLAN.parent / "compliant"
DEV = "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"


@pytest.mark.parametrize(
    ("scenario", "base"),
    [("compliant", "base.json"), ("clean", "head.json")],
)
def test_the_comment_of_compliant_and_clean_changes_matches_golden(
    monkeypatch: pytest.MonkeyPatch, scenario: str, base: str, golden: GoldenCheck
) -> None:
    # compliant: a search service grows from basic to two standard replicas, no rule broken;
    # clean: the same template against itself. Both comments still state the cost and the budget.
    monkeypatch.chdir(COMPLIANT)
    args = ["head.json", "--config", "aigov.yaml", "--subscription", DEV, "--compare-to", base]
    result = run(*args, "--format", "markdown")
    assert result.exit_code == 0
    golden(f"pipeline/comment-{scenario}.md", result.stdout)


def test_the_compliant_comment_states_the_added_cost_and_no_violation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(COMPLIANT)
    args = ["head.json", "--config", "aigov.yaml", "--subscription", DEV, "--compare-to", "base.json"]
    _, report = run_json(*args)
    (moved,) = report["cost_change"]["resources"]
    added = round(moved["after_usd"] - moved["before_usd"], 2)
    first = run(*args, "--format", "markdown").stdout.splitlines()[1]
    assert (
        first
        == f"**This change adds \\${added:,.2f} per month of Azure AI cost (\\$0.00 of it in violation).**"
    )
    assert report["summary"]["findings"] == 0
    assert report["budgets"][0]["state"] == "within"


def test_the_over_budget_comment_matches_golden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, golden: GoldenCheck
) -> None:
    # The base branch had no PTU deployment; adding it takes invoice-reader over its budget.
    shutil.copytree(PLAN.parent, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    _plan_without(tmp_path / "repo", PTU)
    # The lifecycle rule counts days since a retirement: the golden is read on a fixed day.
    args = [
        "plan.json",
        "--config",
        "budgets.aigov.yaml",
        "--compare-to",
        "base-plan.json",
        "--today",
        "2026-12-02",
    ]
    result = run(*args, "--format", "markdown")
    assert result.exit_code == 1
    assert "| AIGOV-BUDGET-001 | budget:invoice-reader |" in result.stdout
    golden("pipeline/comment-over-budget.md", result.stdout)
