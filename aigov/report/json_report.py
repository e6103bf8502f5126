"""The machine report: one JSON document, described by ``report.schema.json``.

The shape is documented field by field in ``docs/json-report.md``. Within
a ``schema_version`` fields are only ever added, never renamed, removed or
given another type. Version 2 lists each price once, in the top-level
``prices`` object keyed by a stable id (:func:`price_id`), and findings and
cost lines name those ids: a price used by 20,000 findings is written once.
Keys come out in a fixed order and findings in report order (severity, then
cost, descending), so two runs over the same input differ only in
``generated_at``.

Values known only after apply (:data:`aigov.model.UNKNOWN`) become ``null``;
a resource's ``unknown`` list names which of its fields are null for that
reason rather than because they are absent, and a finding's
``unknown_fields`` names the fields that left its rule undetermined.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any, ClassVar, Final, TextIO

from aigov import __version__
from aigov.baseline import count_baseline
from aigov.jsontext import dumps_outline, write_outline
from aigov.model import (
    UNKNOWN,
    AnomalyEvidence,
    BaselineState,
    BudgetStatus,
    CostChange,
    CostChangeItem,
    CostImpact,
    CostLine,
    CostTotal,
    Finding,
    InputCost,
    Outcome,
    Price,
    Resource,
    ResourceCost,
    ResourceCostChange,
    ScanResult,
    Suppression,
)
from aigov.report.base import (
    DEFAULT_OPTIONS,
    RegionLookup,
    Reporter,
    ReportOptions,
    count_by_outcome,
    count_by_severity,
    ordered_findings,
    region_lookup,
)
from aigov.showback import DIMENSIONS, GroupTotal, Showback

SCHEMA_VERSION: Final = 2
SCHEMA_RESOURCE: Final = "report.schema.json"

# The resource fields that may hold UNKNOWN, in the order they are listed in ``unknown``.
_MAYBE_UNKNOWN: Final = ("name", "subscription_id", "resource_group", "location")


@cache
def load_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the report this module writes."""
    text = resources.files("aigov.report").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class JsonReporter(Reporter):
    """The scan result as a stable, documented JSON document."""

    name: ClassVar[str] = "json"
    description: ClassVar[str] = "JSON document for tools (schema: aigov/report/report.schema.json)"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        # ASCII-only output is valid JSON on any console code page; parsers
        # restore the characters. NaN is not JSON: refuse rather than emit it.
        # One line per finding and per resource, written by the C encoder.
        return dumps_outline(build_document(result, options)) + "\n"

    def write(self, result: ScanResult, options: ReportOptions, out: TextIO) -> None:
        write_outline(build_document(result, options), out)
        out.write("\n")


def price_id(price: Price) -> str:
    """A price's key in the report's ``prices``: ``P`` and 12 hex digits of a hash of its record.

    The same price (meter, figure, region, source, dates) has the same id in
    every report, whichever findings use it and in whatever order.
    """
    canonical = json.dumps(price.record(), sort_keys=True, separators=(",", ":"))
    return "P" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


class PriceBook:
    """The prices a report uses, each once, in order of first use, with their ids."""

    def __init__(self) -> None:
        self._ids: dict[Price, str] = {}
        self.records: dict[str, dict[str, object]] = {}

    def refs(self, prices: tuple[Price, ...]) -> list[str]:
        out = []
        for price in prices:
            ref = self._ids.get(price)
            if ref is None:  # equal prices are one entry; the hash is computed once per price
                ref = self._ids[price] = price_id(price)
                self.records.setdefault(ref, price.record())
            out.append(ref)
        return out


def build_document(result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> dict[str, Any]:
    """The report as plain JSON-ready values, in output order."""
    findings = ordered_findings(result.findings)
    outcomes = count_by_outcome(findings)
    region = region_lookup(result)
    baseline = count_baseline(findings)
    summary = result.cost_summary
    book = PriceBook()
    rendered = [_finding(f, options, region, book) for f in findings]
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "aigov", "version": __version__},
        "generated_at": result.generated_at.isoformat(),
        "inputs": list(result.inputs),
        "catalog": result.catalog.record(),
        "prices": book.records,
        "gate": {
            "fail_on": None if options.fail_on is None else str(options.fail_on),
            "on_unknown": options.on_unknown,
            "failing_findings": sum(1 for f in findings if options.fails_gate(f)),
        },
        "summary": {
            "resources": len(result.resources),
            "findings": len(findings),
            "violations": outcomes[Outcome.VIOLATION],
            "undetermined": outcomes[Outcome.UNDETERMINED],
            "by_severity": {str(s): n for s, n in count_by_severity(findings).items()},
            "monthly_cost_at_risk_usd": result.monthly_cost_at_risk_usd,
            "spend_in_violation": _total(summary.spend),
            "possible_savings": _total(summary.savings),
            "unknown_cost_findings": result.unknown_cost_findings,
            "waived": sum(1 for f in findings if f.suppressed),
            "new": baseline[BaselineState.NEW],
            "existing": baseline[BaselineState.EXISTING],
        },
        "findings": rendered,
        "warnings": list(result.warnings),
        "cost": input_cost_record(result.cost),
        "cost_change": _cost_change(result.cost_change),
        "budgets": [budget_record(b) for b in result.budgets],
        "showback": showback_document(result.showback),
    }


def showback_document(showback: Showback | None) -> dict[str, Any] | None:
    """The ``showback`` object: the four groupings and the unit costs (see docs/json-report.md)."""
    if showback is None:
        return None
    return {
        "cost_center_tag": showback.cost_center_tag,
        "workload_tag": showback.workload_tag,
        **{f"by_{name}": [_group(g) for g in showback.dimension(name)] for name in DIMENSIONS},
        "unit_costs": [
            {
                "address": a.address,
                "type": a.type,
                "cost_center": a.owner.cost_center,
                "workload": a.owner.workload,
                "subscription_id": a.owner.subscription_id,
                "monthly_usd": a.monthly_usd,
                "monthly_requests": round(a.monthly_requests or 0.0, 1),
                "cost_per_1000_requests": a.cost_per_1000_requests,
                "requests_basis": a.requests_basis,
            }
            for a in showback.unit_costs
        ],
    }


def _group(group: GroupTotal) -> dict[str, Any]:
    return {
        "group": group.group,
        "label": group.label,
        "kind": str(group.kind),
        "monthly_usd": group.monthly_usd,
        "at_risk_usd": group.at_risk_usd,
        "spend_in_violation_usd": group.spend_in_violation_usd,
        "possible_savings_usd": group.possible_savings_usd,
        "savings_upper_bound_usd": group.savings_upper_bound_usd,
        "resources": group.resources,
        "unknown_cost_resources": group.unknown_cost_resources,
        "findings": group.findings,
        "monthly_requests": group.monthly_requests,
        "cost_per_1000_requests": group.cost_per_1000_requests,
    }


def _total(total: CostTotal) -> dict[str, float]:
    return {
        "monthly_usd": total.monthly_usd,
        "exact_usd": total.exact_usd,
        "estimated_usd": total.estimated_usd,
        "upper_bound_usd": total.upper_bound_usd,
    }


def budget_record(status: BudgetStatus) -> dict[str, Any]:
    """One budget's standing as JSON data (the scan report and ``aigov estimate --format json``)."""
    share = status.share
    return {
        "name": status.name,
        "origin": status.origin,
        "state": str(status.state),
        "limit_usd": status.limit_usd,
        "forecast_usd": status.spend_usd,
        "over_usd": status.over_usd,
        "share": round(share, 4) if share is not None else None,
        "warn_at": status.warn_at,
        "unknown_resources": status.unknown_resources,
        "resources": [
            {"address": c.address, "monthly_usd": c.monthly_usd, "certain": c.certain}
            for c in status.contributors
        ],
    }


def input_cost_record(cost: InputCost) -> dict[str, Any]:
    """The cost of the inputs as JSON data (the scan report and ``aigov estimate --format json``)."""
    return {
        "monthly_usd": cost.monthly_usd,
        "exact_usd": cost.exact_usd,
        "estimated_usd": cost.estimated_usd,
        "unknown_resources": cost.unknown_resources,
        "resources": [_resource_cost(r) for r in cost.resources],
    }


def _resource_cost(cost: ResourceCost) -> dict[str, Any]:
    """One billed resource; with its monthly requests and cost per 1,000 requests when requests are known."""
    row: dict[str, Any] = {
        "address": cost.address,
        "type": cost.type,
        "monthly_usd": cost.monthly_usd,
        "confidence": cost.confidence.value,
    }
    if cost.monthly_requests is not None:
        row["monthly_requests"] = round(cost.monthly_requests, 2)
        row["cost_per_1000_requests_usd"] = cost.cost_per_1000_requests
    return row


def _finding(
    finding: Finding, options: ReportOptions, region: RegionLookup, book: PriceBook
) -> dict[str, Any]:
    origin = finding.resource.origin
    out: dict[str, Any] = {
        "rule_id": finding.rule_id,
        "title": finding.title,
        "category": finding.category,
        "severity": str(finding.severity),
        "outcome": str(finding.outcome),
        "fails_gate": options.fails_gate(finding),
        "message": finding.message,
        "remediation": finding.remediation,
        "fingerprint": finding.fingerprint,
        "unknown_fields": list(finding.unknown_fields),
        "resource": _resource(finding.resource, region),
        "location": {"source": origin.source, "file": origin.file, "line": origin.line},
        "cost": _cost(finding.cost, book),
        "suppression": _suppression(finding.suppression),
        "baseline": None if finding.baseline is None else str(finding.baseline),
    }
    if finding.anomaly is not None:
        out["anomaly"] = _anomaly(finding.anomaly)
    return out


def _anomaly(evidence: AnomalyEvidence) -> dict[str, Any]:
    """A finding of category ``anomaly``: the series it was judged on, or what changed."""
    return {
        "kind": evidence.kind,
        "series": [
            {
                "metric": s.metric,
                "recent": [{"date": day.isoformat(), "value": value} for day, value in s.recent],
                "baseline_days": s.baseline_days,
                "median": s.median,
                "mad": s.mad,
                "score": s.score,
                "threshold": s.threshold,
                "anomalous": s.anomalous,
            }
            for s in evidence.series
        ],
        "previous_scan_at": None
        if evidence.previous_scan_at is None
        else evidence.previous_scan_at.isoformat(),
        "before": None if evidence.before is None else dict(evidence.before),
        "after": None if evidence.after is None else dict(evidence.after),
    }


def _suppression(suppression: Suppression | None) -> dict[str, Any] | None:
    if suppression is None:
        return None
    return {
        "kind": suppression.kind,
        "reason": suppression.reason,
        "owner": suppression.owner,
        "expires_on": None if suppression.expires_on is None else suppression.expires_on.isoformat(),
        "origin": suppression.origin,
        "expired": suppression.expired,
    }


def _cost_change(change: CostChange | None) -> dict[str, Any] | None:
    if change is None:
        return None
    return {
        "base": change.base,
        "before_usd": change.before_usd,
        "after_usd": change.after_usd,
        "delta_usd": change.delta_usd,
        "added": [_change_item(item) for item in change.added],
        "removed": [_change_item(item) for item in change.removed],
        "added_at_risk_usd": change.added_at_risk_usd,
        "cost_before_usd": change.cost_before_usd,
        "cost_after_usd": change.cost_after_usd,
        "cost_delta_usd": change.cost_delta_usd,
        "resources": [resource_change_record(c) for c in change.resources],
    }


def resource_change_record(change: ResourceCostChange) -> dict[str, Any]:
    """One resource's cost change as JSON data (``cost_change.resources`` of scan and estimate)."""
    return {
        "address": change.address,
        "change": change.change,
        "before_usd": change.before_usd,
        "after_usd": change.after_usd,
        "delta_usd": change.delta_usd,
    }


def _change_item(item: CostChangeItem) -> dict[str, Any]:
    return {
        "rule_id": item.rule_id,
        "address": item.address,
        "fingerprint": item.fingerprint,
        "monthly_usd": item.monthly_usd,
    }


def _resource(resource: Resource, region: RegionLookup) -> dict[str, Any]:
    values: dict[str, object] = {
        "name": resource.name,
        "subscription_id": resource.subscription_id,
        "resource_group": resource.resource_group,
        "location": region(resource),
    }
    return {
        "key": resource.key,
        "address": resource.address,
        "type": resource.type,
        "name": _known(values["name"]),
        "action": str(resource.action),
        "subscription_id": _known(values["subscription_id"]),
        "resource_group": _known(values["resource_group"]),
        "location": _known(values["location"]),
        "parent_key": resource.parent_key,
        "unknown": [field for field in _MAYBE_UNKNOWN if values[field] is UNKNOWN],
    }


def _known(value: object) -> object:
    return None if value is UNKNOWN else value


def _cost(cost: CostImpact, book: PriceBook) -> dict[str, Any]:
    return {
        "monthly_usd": cost.monthly_usd,
        "basis": cost.basis,
        "confidence": str(cost.confidence),
        "partial": cost.partial,
        "saving": cost.saving,
        "upper_bound": cost.upper_bound,
        "lines": [_line(line, book) for line in cost.lines],
        "prices": book.refs(cost.prices),
    }


def _line(line: CostLine, book: PriceBook) -> dict[str, Any]:
    return {
        "resource_key": line.resource_key,
        "monthly_usd": line.monthly_usd,
        "formula": line.formula,
        "confidence": str(line.confidence),
        "saving": line.saving,
        "upper_bound": line.upper_bound,
        "prices": book.refs(line.prices),
    }
