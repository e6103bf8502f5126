"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

What GitHub needs, and what each part of the log is:

* ``runs[0].tool.driver``: aigov's name, version and ``informationUri``, and
  one ``rules[]`` entry per rule that produced a finding, each with
  ``shortDescription``, ``fullDescription``, ``helpUri`` (the rule's first
  reference, else aigov's page), ``help`` (text and Markdown: the rule's own
  description, its remediation, its references and how the cost is computed),
  ``defaultConfiguration.level`` and ``properties.tags`` (``finops`` and the
  rule's category). There is no
  ``security-severity``: these are cost findings, not vulnerabilities.
* ``results[]``: ``ruleId`` and ``ruleIndex``; ``level`` from the severity
  (critical and high ``error``, medium ``warning``, low and info ``note``),
  whatever ``--fail-on`` is (``properties.gate`` says whether it fails);
  ``message.text`` with the monthly cost and its basis;
  ``locations[0]`` with the input's path relative to the checkout and
  ``region.startLine`` (GitHub requires a region: when the source has no line,
  as for a Terraform plan, it is 1 and ``properties.lineUnknown`` says so);
  ``partialFingerprints["aigovFingerprint/v1"]``, the finding's fingerprint
  (rule and resource identity, stable across runs and line moves);
  ``suppressions`` for a waived (``external``) or inline-suppressed
  (``inSource``) finding; ``baselineState`` when the scan had a baseline;
  ``properties`` with ``monthlyCostUsd``, ``costConfidence``, ``costBasis``,
  ``prices`` (each price line with its source URL and dates), ``category``
  and ``baseline``.
* ``automationDetails.id``: ``aigov/plan/`` for an IaC scan and
  ``aigov/nightly/`` for a live one (code scanning's categories ``aigov/plan``
  and ``aigov/nightly``; the upload action's ``category`` does not replace an
  id the log carries, so action.yml states the same) (every resource read from Azure), so that
  GitHub keeps the two analyses apart and one never closes the other's alerts.

A live resource has no file; its location is its ARM id as a relative path
(``subscriptions/.../providers/...``), which is stable, and
``properties.fileUnknown`` says it is not a file in the repository.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import Any, ClassVar, Final, TextIO
from urllib.parse import quote

from aigov import __version__
from aigov.jsontext import dumps_outline, write_outline
from aigov.model import BaselineState, Finding, Outcome, ScanResult, Severity
from aigov.report.base import (
    DEFAULT_OPTIONS,
    Reporter,
    ReportOptions,
    budget_text,
    ordered_findings,
    plural,
    price_text,
)
from aigov.report.standing import (
    cost_with_basis,
    repo_path,
    standing,
    standing_notes,
    undetermined_prefix,
)

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://pypi.org/project/aigov/"
FINGERPRINT_KEY: Final = "aigovFingerprint/v1"
PLAN_AUTOMATION_ID: Final = "aigov/plan/"
NIGHTLY_AUTOMATION_ID: Final = "aigov/nightly/"
MAX_RESULTS: Final = 25_000
"""GitHub rejects a run with more results than this; the most severe and costly are kept."""

_COST_HELP: Final = (
    "How the cost is computed: each result states the monthly cost of the violation in USD, its "
    "confidence and its basis (properties.costBasis): the formula with every price, its meter, region "
    "and date from aigov's price catalogue. exact is a list price times a quantity the input states; "
    "estimate involves an assumption (a default region, running hours, a scale bound); unknown means "
    "usage (tokens) decides the figure, which is then null. Totals count each billed resource once."
)


class SarifReporter(Reporter):
    """Findings as a SARIF 2.1.0 log that GitHub code scanning accepts."""

    name: ClassVar[str] = "sarif"
    description: ClassVar[str] = "SARIF 2.1.0 for GitHub code scanning (upload with github/codeql-action)"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        # One line per result (runs[0].results[i]), written by the C encoder: see dumps_outline.
        return dumps_outline(build_log(result, options), levels=4) + "\n"

    def write(self, result: ScanResult, options: ReportOptions, out: TextIO) -> None:
        write_outline(build_log(result, options), out, levels=4)
        out.write("\n")


def build_log(result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS, cwd: Path | None = None) -> Any:
    """The SARIF log as plain JSON-ready values."""
    findings = ordered_findings(result.findings)
    kept = findings[:MAX_RESULTS]
    rules = _rules(kept)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "aigov",
                "fullName": "aigov: FinOps guard-rails as code for Azure AI",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "automationDetails": {"id": automation_id(result)},
        "invocations": [_invocation(result, len(findings) - len(kept))],
        "results": [_result(f, index[f.rule_id], options, cwd) for f in kept],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "monthlyCostAtRiskUsd": result.monthly_cost_at_risk_usd,
            "monthlySpendInViolationUsd": result.cost_summary.spend.monthly_usd,
            "monthlyPossibleSavingsUsd": result.cost_summary.savings.firm_usd,
            "monthlySavingsUpperBoundUsd": result.cost_summary.savings.upper_bound_usd,
            "unknownCostFindings": result.unknown_cost_findings,
            "monthlyCostUsd": result.cost.monthly_usd,
            "unknownCostResources": result.cost.unknown_resources,
            "monthlyCostChangeUsd": result.cost_change.cost_delta_usd if result.cost_change else None,
            "budgets": [
                {
                    "name": b.name,
                    "state": str(b.state),
                    "limitUsd": b.limit_usd,
                    "forecastUsd": b.spend_usd,
                    "overUsd": b.over_usd,
                    "unknownResources": b.unknown_resources,
                    "summary": budget_text(b),
                }
                for b in result.budgets
            ],
            "failingFindings": sum(1 for f in findings if options.fails_gate(f)),
            "failOn": None if options.fail_on is None else str(options.fail_on),
            "onUnknown": options.on_unknown,
            "catalog": {
                "kind": result.catalog.kind,
                "name": result.catalog.name,
                "path": result.catalog.path,
                "label": result.catalog.label,
                "asOf": result.catalog.as_of.isoformat(),
                "currency": result.catalog.currency,
                "defaultRegion": result.catalog.default_region,
            },
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def automation_id(result: ScanResult) -> str:
    """``aigov/nightly/`` when every resource was read from Azure, else ``aigov/plan/``."""
    resources = result.resources or tuple(f.resource for f in result.findings)
    if resources and all(r.origin.live for r in resources):
        return NIGHTLY_AUTOMATION_ID
    return PLAN_AUTOMATION_ID


SEVERITY_LEVELS: Final[dict[Severity, str]] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
"""SARIF level by severity. The gate (``--fail-on``) decides the exit code, never the level: code
scanning shows how serious a finding is, whichever threshold a pipeline chose."""


def rule_level(severity: Severity) -> str:
    """A rule's default level: ``error`` for critical and high, ``warning`` for medium, else ``note``."""
    return SEVERITY_LEVELS[severity]


def result_level(finding: Finding) -> str:
    """A result's level: its severity's (see :data:`SEVERITY_LEVELS`)."""
    return SEVERITY_LEVELS[finding.severity]


def _rules(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    first: dict[str, Finding] = {}
    for finding in findings:
        first.setdefault(finding.rule_id, finding)
    return [_rule(first[rule_id]) for rule_id in sorted(first)]


def _rule(finding: Finding) -> dict[str, Any]:
    remediation = finding.remediation or "See the rule's description."
    description = (finding.description or "").strip()
    references = list(finding.references)
    text = [description] if description else []
    markdown = [description] if description else []
    text.append(f"Remediation: {_sentence(remediation)}")
    markdown.append(f"**Remediation:** {_sentence(remediation)}")
    if references:
        text.append("References:\n" + "\n".join(f"- {url}" for url in references))
        markdown.append("**References:**\n\n" + "\n".join(f"- <{url}>" for url in references))
    text.append(_COST_HELP)
    markdown.append(_COST_HELP)
    rule: dict[str, Any] = {
        "id": finding.rule_id,
        "name": _pascal_case(finding.title) or finding.rule_id,
        "shortDescription": {"text": _sentence(finding.title)},
        "fullDescription": {
            "text": f"{_sentence(finding.title)} Category: {finding.category}; severity: {finding.severity}. "
            "Each violation is reported with its monthly cost."
        },
        "helpUri": references[0] if references else INFORMATION_URI,
        "help": {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)},
        "defaultConfiguration": {"level": rule_level(finding.severity)},
        "properties": {
            "tags": ["finops", finding.category],
            "category": finding.category,
            "severity": str(finding.severity),
        },
    }
    return rule


def _result(finding: Finding, rule_index: int, options: ReportOptions, cwd: Path | None) -> dict[str, Any]:
    cost = finding.cost
    resource = finding.resource
    path = repo_path(resource.origin.file, cwd)
    line = resource.origin.line
    properties: dict[str, Any] = {
        "monthlyCostUsd": cost.monthly_usd,
        "costConfidence": str(cost.confidence),
        "costBasis": cost.basis,
        "costPartial": cost.partial,
        "category": finding.category,
        "severity": str(finding.severity),
        "outcome": str(finding.outcome),
        "gate": str(standing(finding, options)),
        "resourceAddress": resource.address,
        "resourceType": resource.type,
    }
    if cost.prices:
        properties["prices"] = [price_text(p) for p in cost.prices]
    if finding.unknown_fields:
        properties["unknownFields"] = list(finding.unknown_fields)
    if finding.baseline is not None:
        properties["baseline"] = str(finding.baseline)
    if finding.suppression is not None and finding.suppression.expired:
        properties["waiverExpired"] = True
    if path is None:
        properties["fileUnknown"] = True
    if line is None:
        properties["lineUnknown"] = True
    sarif: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": result_level(finding),
        "message": {"text": _message(finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(path, finding)},
                    "region": {"startLine": line if line is not None and line >= 1 else 1},
                },
                "logicalLocations": [{"fullyQualifiedName": resource.address, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
    }
    if finding.baseline is not None:
        sarif["baselineState"] = "new" if finding.baseline is BaselineState.NEW else "unchanged"
    if finding.suppressed and finding.suppression is not None:
        suppression = finding.suppression
        entry: dict[str, Any] = {
            "kind": "inSource" if suppression.kind == "inline" else "external",
            "status": "accepted",
            "justification": suppression.reason,
        }
        extra = {
            key: value
            for key, value in (
                ("owner", suppression.owner),
                ("expiresOn", suppression.expires_on.isoformat() if suppression.expires_on else None),
                ("declaredAt", suppression.origin),
            )
            if value
        }
        if extra:
            entry["properties"] = extra
        sarif["suppressions"] = [entry]
    sarif["properties"] = properties
    return sarif


def _message(finding: Finding) -> str:
    parts = [f"{undetermined_prefix(finding)}{_sentence(finding.message)}"]
    parts.append(f"Monthly cost: {_sentence(cost_with_basis(finding.cost))}")
    parts.extend(_sentence(note[:1].upper() + note[1:]) for note in standing_notes(finding))
    if finding.outcome is Outcome.UNDETERMINED and finding.cost.monthly_usd is None:
        parts.append("The figure depends on values known only after apply.")
    return " ".join(parts)


def _uri(path: str | None, finding: Finding) -> str:
    if path is not None:
        if path.startswith("/"):
            return Path(path).as_uri()
        return quote(path, safe="/")
    # No file: a live resource's ARM id (stable across scans), or the address for stdin.
    identity = finding.resource.origin.address or finding.resource.key
    return quote(identity.lstrip("/"), safe="/")


def _invocation(result: ScanResult, left_out: int) -> dict[str, Any]:
    notifications: list[dict[str, Any]] = [
        {"level": "warning", "message": {"text": _sentence(warning)}} for warning in result.warnings
    ]
    notifications.extend(
        {"level": "error", "message": {"text": _sentence(f"Not scanned: {item.scope}: {item.reason}")}}
        for item in result.not_scanned
    )
    if left_out:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{plural(left_out, 'finding')} left out: GitHub accepts at most "
                    f"{MAX_RESULTS:,} results per run; the JSON report has them all."
                },
            }
        )
    invocation: dict[str, Any] = {
        "executionSuccessful": not result.partial,
        "endTimeUtc": result.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _sentence(text: str) -> str:
    """``text`` ending in a full stop (SARIF asks messages to be sentences)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _pascal_case(title: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in re.findall(r"[A-Za-z0-9]+", title))
