"""The SARIF report: valid per Microsoft's validator with GitHub's rules, and what each field carries."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sarif_validator import SarifValidator

from aigov import __version__
from aigov.config import load_config
from aigov.model import Origin, ScanResult, Severity
from aigov.report import ReportOptions, SarifReporter
from aigov.report import sarif as sarif_module
from aigov.report.sarif import FINGERPRINT_KEY, NIGHTLY_AUTOMATION_ID, PLAN_AUTOMATION_ID, rule_level
from aigov.scan import run_scan

GoldenCheck = Callable[[str, str], None]
SCENARIOS = ["mixed", "clean", "pipeline", "live"]


def _normalised(text: str) -> str:
    """The log with aigov's version replaced, so a release does not rewrite golden files."""
    for key in ("version", "semanticVersion"):
        marker = f'"{key}": "{__version__}"'
        assert text.count(marker) == 1
        text = text.replace(marker, f'"{key}": "<version>"')
    return text


def _log(result: ScanResult, options: ReportOptions | None = None) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(SarifReporter().render(result, options or ReportOptions()))
    return log


def _results(result: ScanResult, options: ReportOptions | None = None) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in _log(result, options)["runs"][0]["results"]}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.sarif", _normalised(SarifReporter().render(result)))


@pytest.mark.parametrize("scenario", [*SCENARIOS, "hostile"])
def test_passes_the_sarif_multitool_with_github_rules(
    scenario: str, request: pytest.FixtureRequest, sarif_validator: SarifValidator, tmp_path: Path
) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    path = tmp_path / f"{scenario}.sarif"
    path.write_text(SarifReporter().render(result), encoding="utf-8")
    assert sarif_validator.validate(path) == []


@pytest.mark.parametrize("scenario", [*SCENARIOS, "hostile"])
def test_validates_against_the_sarif_schema_the_validator_ships(
    scenario: str, request: pytest.FixtureRequest, sarif_validator: SarifValidator
) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    validator = jsonschema.Draft202012Validator(sarif_validator.schema())
    assert [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_log(result))] == []


def test_the_validator_does_reject_what_github_would(
    mixed: ScanResult, sarif_validator: SarifValidator, tmp_path: Path
) -> None:
    # A control: the same log without the rules' help and with no region must fail,
    # or a clean validation above would prove nothing.
    log = _log(mixed)
    del log["runs"][0]["tool"]["driver"]["rules"][0]["help"]
    del log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    path = tmp_path / "broken.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    problems = sarif_validator.validate(path)
    assert any("GH2012" in p for p in problems)  # rule without help
    assert any("GH1003" in p or "SARIF2017" in p for p in problems)  # location without region


def test_driver_and_rules_carry_what_code_scanning_displays(mixed: ScanResult) -> None:
    run = _log(mixed)["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("aigov", __version__)
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted({f.rule_id for f in mixed.findings})
    sku = driver["rules"][ids.index("AIGOV-SKU-001")]
    assert sku["name"] == "AzureOpenAIDeploymentsUseAnApprovedDeploymentType"
    assert sku["shortDescription"]["text"] == "Azure OpenAI deployments use an approved deployment type."
    assert "Use a pay-as-you-go deployment type" in sku["help"]["text"]
    assert "How the cost is computed" in sku["help"]["markdown"]
    assert sku["properties"]["tags"] == ["finops", "sku"]
    assert sku["defaultConfiguration"]["level"] == "error"
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_no_security_severity_anywhere(pipeline: ScanResult) -> None:
    assert "security-severity" not in SarifReporter().render(pipeline)


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_follows_the_severity(severity: Severity, level: str) -> None:
    assert rule_level(severity) == level


def test_levels_are_independent_of_the_gate(mixed: ScanResult) -> None:
    gates = [
        ReportOptions(),
        ReportOptions(fail_on=Severity.HIGH, on_unknown="warn"),
        ReportOptions(fail_on=None),
        ReportOptions(fail_on=Severity.INFO),
    ]
    logs = [_results(mixed, options) for options in gates]
    for results in logs:
        for result in results.values():
            assert result["level"] == rule_level(Severity(result["properties"]["severity"]))
        assert {r: v["level"] for r, v in results.items()} == {r: v["level"] for r, v in logs[0].items()}
    # The gate still differs, and says so in the result's properties.
    assert logs[0]["AIGOV-TAG-001"]["properties"]["gate"] != logs[2]["AIGOV-TAG-001"]["properties"]["gate"]
    rules = {r["id"]: r for r in _log(mixed, gates[1])["runs"][0]["tool"]["driver"]["rules"]}
    for rule in rules.values():
        level = rule["defaultConfiguration"]["level"]
        assert level == rule_level(Severity(rule["properties"]["severity"]))


def test_message_states_the_monthly_cost_and_its_basis(mixed: ScanResult) -> None:
    results = _results(mixed)
    text = results["AIGOV-SKU-001"]["message"]["text"]
    assert text.startswith("ptu uses deployment type ProvisionedManaged")
    assert "Monthly cost: $43,800.00/month (exact): 30 PTU x 2.00 $/h x 730 h" in text
    props = results["AIGOV-SKU-001"]["properties"]
    assert props["monthlyCostUsd"] == 43_800.0
    assert (props["costConfidence"], props["category"]) == ("exact", "sku")
    assert props["costBasis"].startswith("30 PTU x 2.00 $/h")
    # Each price the cost uses, with the source's URL and the price's two dates.
    assert props["prices"] == [
        "Provisioned Managed Regional Unit: 2.00 USD per 1 Hour, eastus (Azure Retail Prices API, "
        "https://prices.azure.com/api/retail/prices; effective 2026-09-30, read 2026-09-30; "
        "check: https://prices.azure.com/api/retail/prices)"
    ]
    unknown = results["AIGOV-SKU-002"]
    assert unknown["properties"]["monthlyCostUsd"] is None
    assert unknown["message"]["text"].startswith("undetermined: sku.capacity known after apply.")


def test_location_is_repo_relative_with_a_region_even_without_a_line(mixed: ScanResult) -> None:
    result = _results(mixed)["AIGOV-SKU-001"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "plan.json"
    assert physical["region"] == {"startLine": 40}
    assert "lineUnknown" not in result["properties"]
    finding = mixed.findings[0]
    no_line = dataclasses.replace(
        finding,
        resource=dataclasses.replace(
            finding.resource, origin=Origin("terraform_plan", ".\\infra\\plan.json")
        ),
    )
    moved = _results(dataclasses.replace(mixed, findings=(no_line,)))["AIGOV-SKU-001"]
    physical = moved["locations"][0]["physicalLocation"]
    assert physical == {"artifactLocation": {"uri": "infra/plan.json"}, "region": {"startLine": 1}}
    assert moved["properties"]["lineUnknown"] is True
    # The fingerprint is the rule and the resource only: a moved line keeps the alert.
    assert (
        moved["partialFingerprints"]
        == result["partialFingerprints"]
        == {FINGERPRINT_KEY: finding.fingerprint}
    )


def test_absolute_paths_under_the_working_directory_become_relative(
    mixed: ScanResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    finding = mixed.findings[0]
    inside = str(tmp_path / "env" / "my plan.json")
    resource = dataclasses.replace(finding.resource, origin=Origin("terraform_plan", inside, 3))
    result = dataclasses.replace(mixed, findings=(dataclasses.replace(finding, resource=resource),))
    location = _results(result)["AIGOV-SKU-001"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "env/my%20plan.json"


def test_suppressions_and_baseline(pipeline: ScanResult) -> None:
    results = _results(pipeline)
    waived = results["AIGOV-TAG-001"]
    assert waived["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "cost-center assigned by finance in FIN-88",
            "properties": {
                "owner": "platform-team",
                "expiresOn": "2026-12-31",
                "declaredAt": "aigov.yaml:14",
            },
        }
    ]
    assert waived["properties"]["gate"] != "fail"  # a waived finding does not fail the gate
    assert waived["baselineState"] == "unchanged"
    assert waived["properties"]["baseline"] == "existing"
    inline = results["AIGOV-IDLE-001"]
    assert inline["suppressions"][0]["kind"] == "inSource"
    assert inline["baselineState"] == "new"
    expired = results["AIGOV-MODEL-001"]
    assert "suppressions" not in expired  # an expired waiver suppresses nothing
    assert expired["properties"]["gate"] == "fail"
    assert expired["properties"]["waiverExpired"] is True
    assert "Waiver expired on 2026-09-01" in expired["message"]["text"]
    existing = results["AIGOV-SKU-002"]
    assert (existing["properties"]["gate"], existing["baselineState"]) == ("existing", "unchanged")


def test_no_baseline_no_baseline_state(mixed: ScanResult) -> None:
    for result in _results(mixed).values():
        assert "baselineState" not in result
        assert "baseline" not in result["properties"]


def test_automation_id_separates_plan_and_nightly_scans(mixed: ScanResult, live: ScanResult) -> None:
    assert _log(mixed)["runs"][0]["automationDetails"] == {"id": PLAN_AUTOMATION_ID}
    assert _log(live)["runs"][0]["automationDetails"] == {"id": NIGHTLY_AUTOMATION_ID}


def test_a_live_resource_is_located_by_its_resource_id(live: ScanResult) -> None:
    run = _log(live)["runs"][0]
    result = run["results"][0]
    resource_id = live.findings[0].resource.key
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == resource_id.lstrip("/")
    assert uri.startswith("subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai-prod/")
    assert result["properties"]["fileUnknown"] is True
    assert result["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": resource_id, "kind": "resource"}
    ]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False  # a scope could not be read
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"


def test_run_properties_hold_the_totals(mixed: ScanResult) -> None:
    properties = _log(mixed)["runs"][0]["properties"]
    assert properties["monthlyCostAtRiskUsd"] == pytest.approx(45_286.28)
    assert properties["failingFindings"] == 5
    assert properties["catalog"]["asOf"] == "2026-09-30"


def test_results_are_capped_at_githubs_limit_and_say_so(
    mixed: ScanResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif_module, "MAX_RESULTS", 2)
    run = _log(mixed)["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["AIGOV-SKU-001", "AIGOV-SKU-002"]  # the most severe
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert (
        "4 findings left out: GitHub accepts at most 2 results per run; the JSON report has them all."
        in notes
    )
    assert run["properties"]["failingFindings"] == 5  # the totals still count everything


def test_hostile_text_stays_inside_json_strings(hostile: ScanResult) -> None:
    text = SarifReporter().render(hostile)
    assert text.isascii()
    results = _log(hostile)["runs"][0]["results"]
    assert (
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "infra/my%20plan%3Bv2%5D.json"
    )
    assert "<script>" in results[0]["message"]["text"]  # kept verbatim: JSON escaping is enough


def test_rule_help_carries_the_rules_description_references_and_help_uri() -> None:
    root = Path(__file__).resolve().parents[2]
    plan = root / "fixtures" / "terraform_plan" / "example.json"
    config = root / "fixtures" / "terraform_plan" / "example.aigov.yaml"
    result = run_scan([str(plan)], load_config(config), now=datetime(2026, 12, 1, tzinfo=UTC))
    rules = {r["id"]: r for r in _log(result)["runs"][0]["tool"]["driver"]["rules"]}
    sku = rules["AIGOV-SKU-001"]
    assert sku["helpUri"] == "https://learn.microsoft.com/azure/ai-foundry/openai/how-to/deployment-types"
    assert sku["help"]["text"].startswith("Provisioned deployment types (ProvisionedManaged,")
    assert (
        "References:\n- https://learn.microsoft.com/azure/ai-foundry/openai/how-to/deployment-types"
        in (sku["help"]["text"])
    )
    assert (
        "- <https://learn.microsoft.com/azure/ai-foundry/openai/how-to/provisioned-throughput-onboarding>"
        in (sku["help"]["markdown"])
    )
    assert "**Remediation:**" in sku["help"]["markdown"]
