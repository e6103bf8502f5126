"""Unread inputs become undetermined AIGOV-INPUT-001 findings, in every evaluation and every report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aigov.config import load_config
from aigov.cost.catalog import load_catalog
from aigov.cost.model import CostModel
from aigov.errors import ConfigError
from aigov.gate import fails_gate
from aigov.model import Context, Inventory, Outcome, Severity, UnreadInput
from aigov.policy.engine import evaluate
from aigov.policy.unread import UNREAD_RULE_ID, unread_findings
from aigov.report import REPORTERS
from aigov.report.base import ReportOptions
from aigov.scan import run_scan

NOW = datetime(2026, 11, 1, tzinfo=UTC)
UNREAD = UnreadInput(
    reference="module source Azure/x/azurerm",
    reason="not installed; run terraform init",
    address="module.x",
    source="terraform_hcl",
    file="infra/main.tf",
    line=7,
)


def test_an_unread_input_is_an_undetermined_high_finding_that_fails_closed() -> None:
    (finding,) = unread_findings(Inventory([], unread=[UNREAD]))
    assert finding.rule_id == UNREAD_RULE_ID == "AIGOV-INPUT-001"
    assert finding.outcome is Outcome.UNDETERMINED
    assert finding.severity is Severity.CRITICAL
    assert finding.category == "input"
    assert finding.message == (
        "input not read: module source Azure/x/azurerm (not installed; run terraform init); "
        "the resources it defines are not checked"
    )
    assert finding.resource.key == "module.x"
    assert finding.resource.type == "Microsoft.Resources/deployments"
    assert (finding.resource.origin.file, finding.resource.origin.line) == ("infra/main.tf", 7)
    assert finding.cost.monthly_usd is None
    assert fails_gate(finding, Severity.LOW)
    assert not fails_gate(finding, Severity.LOW, on_unknown="warn")
    assert fails_gate(finding, Severity.CRITICAL)
    assert not fails_gate(finding, None)


def test_the_engine_reports_unread_inputs_even_with_no_rules() -> None:
    findings = evaluate(Inventory([], unread=[UNREAD]), [], Context(now=NOW), CostModel(load_catalog()))
    assert [(f.rule_id, f.resource.address) for f in findings] == [("AIGOV-INPUT-001", "module.x")]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_report_format_shows_the_unread_input(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "main.tf").write_text('module "x" {\n  source = "Azure/x/azurerm"\n}\n')
    result = run_scan([str(tmp_path)], load_config(None), now=NOW)
    text = REPORTERS[fmt]().render(result, ReportOptions())
    assert "AIGOV-INPUT-001" in text
    assert "Azure/x/azurerm" in text


def _config(tmp_path: Path, rule: str) -> Path:
    path = tmp_path / "aigov.yaml"
    path.write_text(
        "waivers:\n"
        f"  - rule: {rule}\n"
        "    resource: module.x\n"
        "    reason: vendored module reviewed separately (SEC-12)\n"
        "    owner: platform@example.com\n"
        "    expires: 2026-12-31\n"
    )
    return path


def test_a_waiver_can_accept_a_known_unread_input(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "x" {\n  source = "Azure/x/azurerm"\n}\n')
    result = run_scan([str(tmp_path)], load_config(_config(tmp_path, "AIGOV-INPUT-001")), now=NOW)
    (finding,) = result.findings
    assert finding.suppressed
    assert not fails_gate(finding, Severity.LOW)


def test_a_waiver_for_an_unknown_rule_is_still_refused(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    with pytest.raises(ConfigError, match="is not a known rule"):
        run_scan([str(tmp_path)], load_config(_config(tmp_path, "AIGOV-INPUT-999")), now=NOW)
