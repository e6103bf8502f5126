"""The JUnit report: golden files, and the structure Azure DevOps reads back."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from aigov.model import ScanResult, Severity
from aigov.report import JunitReporter, ReportOptions
from aigov.report.junit import SCAN_SUITE

GoldenCheck = Callable[[str, str], None]


def _parse(result: ScanResult, options: ReportOptions | None = None) -> ET.Element:
    return ET.fromstring(JunitReporter().render(result, options or ReportOptions()).encode("utf-8"))


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.get("name", ""): case for case in root.iter("testcase")}


def _case(root: ET.Element, rule: str) -> ET.Element:
    matches = [case for name, case in _cases(root).items() if name.startswith(f"{rule} ")]
    assert len(matches) == 1
    return matches[0]


@pytest.mark.parametrize("scenario", ["mixed", "clean", "pipeline", "live"])
def test_matches_golden(scenario: str, request: pytest.FixtureRequest, golden: GoldenCheck) -> None:
    result: ScanResult = request.getfixturevalue(scenario)
    golden(f"report/{scenario}.junit.xml", JunitReporter().render(result))


@pytest.mark.parametrize("scenario", ["mixed", "clean", "pipeline", "live", "hostile"])
def test_counts_agree_with_the_cases(scenario: str, request: pytest.FixtureRequest) -> None:
    root = _parse(request.getfixturevalue(scenario))
    assert root.tag == "testsuites"
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counts.items():
            assert suite.get(key) == str(value), (suite.get("name"), key)
            totals[key] += value
    for key, value in totals.items():
        assert root.get(key) == str(value)


def test_one_suite_per_rule_and_one_case_per_finding(mixed: ScanResult) -> None:
    root = _parse(mixed)
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert names[0] == SCAN_SUITE
    assert names[1:] == [f"{f.rule_id}: {f.title}" for f in sorted(mixed.findings, key=lambda f: f.rule_id)]
    assert root.get("tests") == str(len(mixed.findings) + 1)
    case = _case(root, "AIGOV-SKU-001")
    assert case.get("name") == 'AIGOV-SKU-001 azurerm_cognitive_deployment.reports["ptu"]'
    assert case.get("classname") == "aigov.AIGOV-SKU-001"


def test_a_failing_finding_is_a_failure_with_its_cost(mixed: ScanResult) -> None:
    root = _parse(mixed)
    failure = _case(root, "AIGOV-SKU-001").find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard; "
        "$43,800.00/month (exact)"
    )
    assert failure.get("type") == "high violation"
    body = failure.text or ""
    assert "cost: $43,800.00/month (exact): 30 PTU x 2.00 $/h x 730 h" in body
    assert "price: Provisioned Managed Regional Unit: 2.00 USD per 1 Hour, eastus" in body
    assert (
        'resource: azurerm_cognitive_deployment.reports["ptu"] '
        "(Microsoft.CognitiveServices/accounts/deployments) in plan.json:40" in body
    )
    assert root.get("failures") == "5"


def test_a_finding_that_does_not_fail_the_gate_passes_and_says_why(mixed: ScanResult) -> None:
    root = _parse(mixed, ReportOptions(fail_on=Severity.HIGH, on_unknown="warn"))
    tag = _case(root, "AIGOV-TAG-001")
    assert tag.find("failure") is None
    assert tag.find("skipped") is None
    assert (tag.findtext("system-out") or "").startswith("warning (does not fail the gate): AIGOV-TAG-001")
    assert root.get("failures") == "1"


def test_waived_suppressed_and_existing_findings_are_skipped(pipeline: ScanResult) -> None:
    root = _parse(pipeline)
    skipped = {name.split(" ")[0]: case.find("skipped") for name, case in _cases(root).items()}
    waived = skipped["AIGOV-TAG-001"]
    assert waived is not None
    assert waived.get("message") == (
        "waived (owner platform-team, expires 2026-12-31, aigov.yaml:14): "
        "cost-center assigned by finance in FIN-88"
    )
    inline = skipped["AIGOV-IDLE-001"]
    assert inline is not None
    assert inline.get("message") == "suppressed inline (main.tf:22): demo until Friday"
    existing = skipped["AIGOV-SKU-002"]
    assert existing is not None
    assert existing.get("message") == "existing: already in the baseline report"
    expired = _case(root, "AIGOV-MODEL-001").find("failure")
    assert expired is not None  # an expired waiver is a finding again
    assert "waiver expired on 2026-09-01" in (expired.text or "")
    assert (root.get("failures"), root.get("skipped")) == ("3", "3")


def test_clean_scan_has_one_passing_case(clean: ScanResult) -> None:
    root = _parse(clean)
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "1",
        "0",
        "0",
        "0",
    )
    assert next(iter(_cases(root))) == (
        "scan: 3 resources evaluated, 0 findings, $0.00/month spend in violation of $3,723.00/month"
    )


def test_a_scope_not_scanned_is_an_error(live: ScanResult) -> None:
    root = _parse(live)
    error = _cases(root)["read 00000000-0000-0000-0000-000000000002"].find("error")
    assert error is not None
    assert error.get("message") == "not scanned: 403 AuthorizationFailed"
    assert root.get("errors") == "1"


def test_hostile_text_is_escaped_and_control_characters_replaced(hostile: ScanResult) -> None:
    finding = hostile.findings[1]
    bell = dataclasses.replace(finding, message=f"bell\x07 and nul\x00 {finding.message}")
    text = JunitReporter().render(dataclasses.replace(hostile, findings=(hostile.findings[0], bell)))
    root = ET.fromstring(text.encode("utf-8"))  # well-formed despite <script>, &, quotes, control characters
    failure = _case(root, "AIGOV-SKU-009").find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith(
        "bell\ufffd and nul\ufffd message a|b <script>alert(1)</script> 100% done next::error::x"
    )
    assert "\n" not in message  # one line in the Azure DevOps error column
    assert "<script>" not in text  # escaped in the XML text itself
