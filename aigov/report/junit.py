"""JUnit XML for Azure DevOps ``PublishTestResults@2`` (``testResultsFormat: JUnit``) and other CI test tabs.

The shape, and why:

* One ``<testsuite>`` per rule that produced a finding (named ``RULE-ID:
  title``), and a first suite, ``aigov scan``, with one test case for the
  scan itself. Azure DevOps shows a test case's ``name`` as its title and
  makes little use of ``classname``, so every name carries the rule id and
  the resource address; ``classname`` is ``aigov.RULE-ID`` for tools that
  group by it.
* One ``<testcase>`` per finding, that is per rule and resource:
  ``<failure>`` when it fails the gate (message: the finding and its monthly
  cost; body: the cost basis, prices, location and remediation);
  ``<skipped>`` when it is waived, suppressed inline or already in the
  baseline (the message says which, and why); passed when it is reported but
  does not fail the gate (below ``--fail-on``, or undetermined under
  ``--on-unknown warn``), with the finding in ``<system-out>``.
* A scan result lists findings, not every rule × resource pair that was
  evaluated, so a rule with no finding has no test case: the ``aigov scan``
  case (``N resources evaluated``) is what passes on a clean scan. A live
  scope that could not be read is an ``<error>`` in that suite.

Times are 0 (aigov does not time rules) and the timestamp is the scan's, so
the same scan always gives the same file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC
from typing import ClassVar, Final

from aigov.model import Finding, ScanResult
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    budget_text,
    format_usd,
    ordered_findings,
    plural,
    price_text,
)
from aigov.report.standing import (
    Standing,
    cost_summary,
    cost_with_basis,
    standing,
    standing_notes,
    undetermined_prefix,
)

SCAN_SUITE: Final = "aigov scan"

# XML 1.0 cannot carry these characters at all, escaped or not.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class JunitReporter(Reporter):
    """Findings as JUnit test cases: failures fail the gate, waived and existing ones are skipped."""

    name: ClassVar[str] = "junit"
    description: ClassVar[str] = "JUnit XML for Azure DevOps PublishTestResults@2 and other CI test tabs"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        root = build_tree(result, options)
        ET.indent(root, space="  ")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def build_tree(result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> ET.Element:
    """The JUnit document as an element tree (``<testsuites>`` at the root)."""
    timestamp = result.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", {"name": "aigov"})
    suites = [_scan_suite(result, timestamp)]
    by_rule: dict[str, list[Finding]] = {}
    for finding in ordered_findings(result.findings):
        by_rule.setdefault(finding.rule_id, []).append(finding)
    for rule_id in sorted(by_rule):
        suites.append(_rule_suite(rule_id, by_rule[rule_id], options, timestamp))
    root.extend(suites)
    _count(root, suites)
    return root


def _change_property(result: ScanResult) -> list[tuple[str, str]]:
    delta = result.cost_change.cost_delta_usd if result.cost_change is not None else None
    return [] if delta is None else [("monthlyCostChangeUsd", f"{delta:.2f}")]


def _scan_suite(result: ScanResult, timestamp: str) -> ET.Element:
    suite = ET.Element("testsuite", {"name": SCAN_SUITE, "timestamp": timestamp})
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("inputs", ", ".join(result.inputs)),
        ("monthlyCostAtRiskUsd", f"{result.monthly_cost_at_risk_usd:.2f}"),
        ("monthlySpendInViolationUsd", f"{result.cost_summary.spend.monthly_usd:.2f}"),
        ("monthlyPossibleSavingsUsd", f"{result.cost_summary.savings.firm_usd:.2f}"),
        ("monthlySavingsUpperBoundUsd", f"{result.cost_summary.savings.upper_bound_usd:.2f}"),
        ("unknownCostFindings", str(result.unknown_cost_findings)),
        ("monthlyCostUsd", f"{result.cost.monthly_usd:.2f}"),
        ("unknownCostResources", str(result.cost.unknown_resources)),
        *_change_property(result),
        *((f"budget:{b.name}", budget_text(b)) for b in result.budgets),
        ("catalog", result.catalog.label),
        ("catalogKind", result.catalog.kind),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    scan = _case(
        "aigov.scan",
        f"scan: {plural(len(result.resources), 'resource')} evaluated, "
        f"{plural(len(result.findings), 'finding')}, "
        f"{format_usd(result.cost_summary.spend.monthly_usd)}/month spend in violation of "
        f"{format_usd(result.cost.monthly_usd)}/month",
    )
    suite.append(scan)
    for item in result.not_scanned:
        case = _case("aigov.scan", f"read {item.scope}")
        ET.SubElement(
            case,
            "error",
            {"message": _clean(_one_line(f"not scanned: {item.reason}")), "type": "not-scanned"},
        )
        suite.append(case)
    out = [*(f"budget {budget_text(b)}" for b in result.budgets), *(f"warning: {w}" for w in result.warnings)]
    if out:
        _text(suite, "system-out", "\n".join(out))
    return suite


def _rule_suite(rule_id: str, findings: list[Finding], options: ReportOptions, timestamp: str) -> ET.Element:
    suite = ET.Element(
        "testsuite", {"name": _clean(f"{rule_id}: {findings[0].title}"), "timestamp": timestamp}
    )
    for finding in findings:
        suite.append(_finding_case(finding, options))
    return suite


def _finding_case(finding: Finding, options: ReportOptions) -> ET.Element:
    case = _case(f"aigov.{finding.rule_id}", f"{finding.rule_id} {finding.resource.address}")
    state = standing(finding, options)
    if state is Standing.FAILS:
        failure = ET.SubElement(
            case,
            "failure",
            {
                "message": _clean(_one_line(f"{_headline(finding)}; {cost_summary(finding.cost)}")),
                "type": f"{finding.severity} {finding.outcome}",
            },
        )
        failure.text = _clean(_details(finding))
    elif state.reported_only:
        notes = standing_notes(finding)
        reason = notes[0] if notes else str(state)
        ET.SubElement(case, "skipped", {"message": _clean(_one_line(reason))})
        _text(case, "system-out", _details(finding))
    else:
        _text(case, "system-out", f"warning (does not fail the gate): {_details(finding)}")
    return case


def _headline(finding: Finding) -> str:
    return f"{undetermined_prefix(finding)}{finding.message}"


def _details(finding: Finding) -> str:
    resource = finding.resource
    origin = resource.origin
    where = origin.file or origin.source
    if origin.file and origin.line is not None:
        where = f"{origin.file}:{origin.line}"
    lines = [
        f"{finding.rule_id} ({finding.severity}, {finding.category}): {finding.title}",
        f"resource: {resource.address} ({resource.type}) in {where}",
        f"message: {_headline(finding)}",
        f"cost: {cost_with_basis(finding.cost)}",
    ]
    lines.extend(f"price: {price_text(p)}" for p in finding.cost.prices)
    if finding.remediation:
        lines.append(f"fix: {finding.remediation}")
    lines.extend(standing_notes(finding))
    lines.append(f"fingerprint: {finding.fingerprint}")
    return "\n".join(lines)


def _case(classname: str, name: str) -> ET.Element:
    return ET.Element(
        "testcase", {"classname": _clean(classname), "name": _clean(_one_line(name)), "time": "0"}
    )


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = _clean(text)


def _count(root: ET.Element, suites: Iterable[ET.Element]) -> None:
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in suites:
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("time", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("time", "0")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot represent (shown as U+FFFD instead)."""
    return _NOT_XML.sub("\ufffd", text)
