"""The JSON report: golden outputs, the schema, and what UNKNOWN and totals become."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from aigov import __version__
from aigov.model import UNKNOWN, Confidence, CostImpact, CostLine, Origin, Resource, ScanResult
from aigov.report import JsonReporter, ReportOptions
from aigov.report.json_report import load_schema

GoldenCheck = Callable[[str, str], None]
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "aigov" / "report" / "report.schema.json"


def _normalised(text: str) -> str:
    """The report with the tool version replaced, so a release does not rewrite golden files."""
    marker = f'"version": "{__version__}"'
    assert text.count(marker) == 1
    return text.replace(marker, '"version": "<version>"')


def _closed(schema: Any) -> Any:
    """A copy of ``schema`` in which no object may carry a property it does not describe.

    The published schema leaves objects open so that consumers pinned to it
    accept fields added later in schema_version 1; the tests close it so that
    an undocumented field cannot slip into the output.
    """
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def _render(result: ScanResult, options: ReportOptions | None = None) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(JsonReporter().render(result, options or ReportOptions()))
    return document


@pytest.mark.parametrize("scenario", ["mixed", "clean"])
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.json", _normalised(JsonReporter().render(result, ReportOptions())))


@pytest.mark.parametrize("scenario", ["mixed", "clean"])
def test_output_validates_against_the_closed_schema(scenario: str, request: pytest.FixtureRequest) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    validator = jsonschema.Draft202012Validator(_closed(load_schema()))
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(_render(result))]
    assert errors == []


def test_schema_is_valid_2020_12_and_is_the_packaged_file() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def test_format_is_two_space_indent_ascii_and_newline_terminated(mixed: ScanResult) -> None:
    text = JsonReporter().render(mixed)
    assert text.startswith('{\n  "schema_version": 1,\n  "tool": {\n    "name": "aigov"')
    assert text.endswith("}\n")
    assert text.isascii()


def test_summary_total_counts_each_resource_once(mixed: ScanResult) -> None:
    summary = _render(mixed)["summary"]
    # PTU 43,800 + fine-tune hosting 1,241 + search 245.28, each once although
    # the account roll-up and the notice bill the first two again.
    assert summary["monthly_cost_at_risk_usd"] == pytest.approx(43_800.00 + 1_241.00 + 245.28)
    naive = sum(f.cost.monthly_usd or 0.0 for f in mixed.findings)
    assert naive == pytest.approx(90_327.28)
    assert summary["unknown_cost_findings"] == 2
    assert summary["by_severity"] == {"critical": 0, "high": 2, "medium": 2, "low": 1, "info": 1}
    assert (summary["resources"], summary["findings"], summary["violations"], summary["undetermined"]) == (
        9,
        6,
        5,
        1,
    )


def test_unknown_values_are_null_and_named(mixed: ScanResult) -> None:
    findings = {f["rule_id"]: f for f in _render(mixed)["findings"]}
    search = findings["AIGOV-SKU-010"]["resource"]
    assert (search["subscription_id"], search["resource_group"]) == (None, None)
    assert search["unknown"] == ["subscription_id", "resource_group"]
    assert search["location"] == "westus3"
    undetermined = findings["AIGOV-SKU-002"]
    assert undetermined["outcome"] == "undetermined"
    assert undetermined["unknown_fields"] == ["sku.capacity"]
    assert undetermined["cost"] == {
        "monthly_usd": None,
        "basis": "depends on sku.capacity (known after apply) x 2.00 $/h x 730 h",
        "confidence": "unknown",
        "partial": False,
        "saving": False,
        "upper_bound": False,
        "lines": [],
        "prices": [],
    }


def test_child_location_comes_from_its_parent_even_when_unknown(mixed: ScanResult) -> None:
    dev_account = next(r for r in mixed.resources if r.key == "azurerm_cognitive_account.dev")
    child = Resource(
        key="azurerm_cognitive_deployment.dev",
        type="Microsoft.CognitiveServices/accounts/deployments",
        name="dev",
        body={"sku": {"name": "ProvisionedManaged"}},
        origin=Origin("terraform_plan", "plan.json", 300, "azurerm_cognitive_deployment.dev"),
        parent_key=dev_account.key,
    )
    finding = dataclasses.replace(mixed.findings[0], resource=child)
    orphan = dataclasses.replace(
        mixed.findings[0],
        resource=dataclasses.replace(child, key="elsewhere", parent_key=None, origin=Origin("x")),
    )
    result = dataclasses.replace(mixed, resources=(*mixed.resources, child), findings=(finding, orphan))
    by_key = {f["resource"]["key"]: f["resource"] for f in _render(result)["findings"]}
    assert by_key["azurerm_cognitive_deployment.dev"]["location"] is None
    assert by_key["azurerm_cognitive_deployment.dev"]["unknown"] == ["location"]
    # A resource outside the scanned inventory has only its own (absent) location: null, not unknown.
    assert by_key["elsewhere"]["location"] is None
    assert by_key["elsewhere"]["unknown"] == []
    unknown_name = dataclasses.replace(finding, resource=dataclasses.replace(child, name=UNKNOWN))
    document = _render(dataclasses.replace(result, findings=(unknown_name,)))
    assert document["findings"][0]["resource"]["name"] is None
    assert document["findings"][0]["resource"]["unknown"] == ["name", "location"]


def test_order_is_stable_whatever_the_input_order(mixed: ScanResult) -> None:
    reversed_result = dataclasses.replace(mixed, findings=tuple(reversed(mixed.findings)))
    assert JsonReporter().render(reversed_result) == JsonReporter().render(mixed)


def test_gate_block_reflects_options(mixed: ScanResult) -> None:
    never = _render(mixed, ReportOptions(fail_on=None))
    assert never["gate"] == {"fail_on": None, "on_unknown": "fail", "failing_findings": 0}
    assert not any(f["fails_gate"] for f in never["findings"])
    default = _render(mixed)
    assert default["gate"]["failing_findings"] == 5
    notice = next(f for f in default["findings"] if f["severity"] == "info")
    assert notice["fails_gate"] is False


def test_prices_are_traceable(mixed: ScanResult) -> None:
    account = next(f for f in _render(mixed)["findings"] if f["rule_id"] == "AIGOV-TAG-001")
    assert [line["resource_key"] for line in account["cost"]["lines"]] == [
        'azurerm_cognitive_deployment.reports["ptu"]',
        'azurerm_cognitive_deployment.ft["invoice"]',
    ]
    assert {p["meter"] for p in account["cost"]["prices"]} == {
        "Provisioned Managed Regional Unit",
        "gpt-4o-mini Fine-tuned Hosting",
    }
    assert all(p["read"] == p["effective"] == "2026-09-30" for p in account["cost"]["prices"])
    api = "https://prices.azure.com/api/retail/prices"
    assert all(p["url"] == p["query"] == api for p in account["cost"]["prices"])


def test_not_a_number_is_refused_rather_than_written(mixed: ScanResult) -> None:
    broken = dataclasses.replace(
        mixed.findings[0], cost=CostImpact(math.nan, "broken", mixed.findings[0].cost.confidence)
    )
    with pytest.raises(ValueError, match="not JSON compliant"):
        JsonReporter().render(dataclasses.replace(mixed, findings=(broken,)))


def test_a_partly_usage_priced_cost_says_partial(mixed: ScanResult) -> None:
    finding = mixed.findings[0]
    usage_line = CostLine("chat", None, "chat: pay-per-token; no usage known", Confidence.UNKNOWN)
    cost = CostImpact.from_lines((*finding.cost.lines, usage_line))
    result = dataclasses.replace(mixed, findings=(dataclasses.replace(finding, cost=cost),))
    rendered = _render(result)["findings"][0]["cost"]
    assert rendered["partial"] is True
    assert rendered["monthly_usd"] == finding.cost.monthly_usd
    assert rendered["lines"][-1] == {
        "resource_key": "chat",
        "monthly_usd": None,
        "formula": "chat: pay-per-token; no usage known",
        "confidence": "unknown",
        "saving": False,
        "upper_bound": False,
    }
