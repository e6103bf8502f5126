"""``--baseline``: only findings missing from an earlier JSON report fail the gate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aigov.baseline import BaselineError, count_baseline, load_report, mark_baseline
from aigov.gate import fails_gate
from aigov.model import BaselineState, CostImpact, Finding, Origin, ScanResult, Severity
from tests.pipeline.conftest import CONFIG, PLAN, one_error_line, run, run_json, scan_example


def _report(tmp_path: Path, document: object, name: str = "base.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_same_plan_as_baseline_makes_every_finding_existing_and_passes(tmp_path: Path) -> None:
    first, report = run_json(PLAN, "--config", CONFIG)
    assert first.exit_code == 1
    baseline = _report(tmp_path, report)
    second, again = run_json(PLAN, "--config", CONFIG, "--baseline", baseline)
    assert second.exit_code == 0
    assert {f["baseline"] for f in again["findings"]} == {"existing"}
    assert again["summary"]["existing"] == len(again["findings"]) == len(report["findings"]) > 10
    assert again["summary"]["new"] == 0
    assert again["gate"]["failing_findings"] == 0


def test_only_findings_missing_from_the_baseline_are_new_and_fail(tmp_path: Path) -> None:
    _, report = run_json(PLAN, "--config", CONFIG)
    dropped = [f for f in report["findings"] if f["rule_id"] == "AIGOV-SKU-001"]
    assert len(dropped) == 1
    report["findings"] = [f for f in report["findings"] if f["rule_id"] != "AIGOV-SKU-001"]
    result, again = run_json(PLAN, "--config", CONFIG, "--baseline", _report(tmp_path, report))
    assert result.exit_code == 1
    new = [f for f in again["findings"] if f["baseline"] == "new"]
    assert [(f["rule_id"], f["fails_gate"]) for f in new] == [("AIGOV-SKU-001", True)]
    assert all(not f["fails_gate"] for f in again["findings"] if f["baseline"] == "existing")
    assert (again["summary"]["new"], again["summary"]["existing"]) == (1, len(report["findings"]))


def test_table_marks_new_and_existing_and_counts_them(tmp_path: Path) -> None:
    _, report = run_json(PLAN, "--config", CONFIG)
    report["findings"] = report["findings"][1:]
    result = run(PLAN, "--config", CONFIG, "--baseline", _report(tmp_path, report))
    out = result.stdout
    assert "baseline" in out.splitlines()[0]
    words = " ".join(out.split())  # the table is as wide as the terminal (80 here): lines may wrap
    assert f"Baseline: 1 new, {len(report['findings'])} existing (only new findings fail the gate)" in words
    assert "1 finding fails the gate" in words


def _moved(finding: Finding) -> Finding:
    """The same rule on the same resource after a refactor: other line and file, other message and cost."""
    resource = dataclasses.replace(
        finding.resource, origin=Origin("terraform_plan", "other/plan.json", 999, finding.resource.address)
    )
    return dataclasses.replace(
        finding,
        resource=resource,
        message="a reworded message",
        cost=CostImpact(1.0, "a different price", finding.cost.confidence),
    )


def test_line_moves_message_and_cost_changes_keep_a_finding_existing() -> None:
    result: ScanResult = scan_example()
    fingerprints = frozenset(f.fingerprint for f in result.findings)
    marked = mark_baseline([_moved(f) for f in result.findings], fingerprints)
    assert {f.baseline for f in marked} == {BaselineState.EXISTING}
    assert not any(fails_gate(f, Severity.LOW) for f in marked)


def test_another_resource_key_or_rule_is_new() -> None:
    finding = scan_example().findings[0]
    fingerprints = frozenset({finding.fingerprint})
    renamed = dataclasses.replace(finding, resource=dataclasses.replace(finding.resource, key="x.renamed"))
    other_rule = dataclasses.replace(finding, rule_id="AIGOV-SKU-999")
    marked = mark_baseline([finding, renamed, other_rule], fingerprints)
    assert [f.baseline for f in marked] == [BaselineState.EXISTING, BaselineState.NEW, BaselineState.NEW]
    assert count_baseline(marked) == {BaselineState.NEW: 2, BaselineState.EXISTING: 1}
    assert fails_gate(marked[1], Severity.LOW)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "not an aigov JSON report: invalid JSON"),
        ("[]", "not an aigov JSON report (expected the output of aigov scan --format json)"),
        ('{"format_version": "1.2", "terraform_version": "1.9.0"}', "not an aigov JSON report"),
        ('{"schema_version": 1, "tool": {"name": "checkov"}}', "not an aigov JSON report"),
        (
            '{"schema_version": 3, "tool": {"name": "aigov"}, "findings": []}',
            "schema_version: unsupported report schema_version 3: this aigov reads schema_version 1 or 2",
        ),
        (
            '{"schema_version": 1, "tool": {"name": "aigov"}, "findings": {}}',
            "findings: findings is not an array",
        ),
        (
            '{"schema_version": 1, "tool": {"name": "aigov"}, "summary": {"monthly_cost_at_risk_usd": 0},'
            ' "findings": [{"rule_id": "X"}]}',
            "findings[0]: fingerprint is missing or not 32 hex digits",
        ),
    ],
)
def test_a_baseline_that_is_not_an_aigov_report_is_one_line_and_exit_2(
    tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "base.json"
    path.write_text(content, encoding="utf-8")
    line = one_error_line(run(PLAN, "--config", CONFIG, "--baseline", path))
    assert line.startswith(f"error: {path}: ")
    assert expected in line


def test_a_missing_baseline_is_one_line_and_exit_2(tmp_path: Path) -> None:
    line = one_error_line(run(PLAN, "--config", CONFIG, "--baseline", tmp_path / "nope.json"))
    assert "nope.json: cannot read" in line


def test_the_plan_itself_is_not_accepted_as_a_baseline() -> None:
    with pytest.raises(BaselineError, match="not an aigov JSON report"):
        load_report(PLAN)
