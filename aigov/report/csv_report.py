"""Findings and showback totals as one CSV table (``--format csv``), for Power BI or a spreadsheet.

One header row, then a row per finding (``x_RowType`` ``finding``) and a row
per showback group (``x_RowType`` ``total``, with ``x_Dimension``
``cost_center``, ``workload``, ``subscription`` or ``rule_family``): one
table a pivot can filter on its row type. Column names follow FOCUS v1.2
(https://focus.finops.org/focus-specification/v1-2/) where a column applies,
as ``aigov estimate --format focus-csv`` does; the rest are ``x_`` columns.
``EffectiveCost`` is a monthly run-rate (after negotiated discounts) for the
calendar month of the scan (``ChargePeriodStart`` / ``ChargePeriodEnd``): the
resource's own cost on a finding row, the group's on a total row.
``x_CostAtRisk`` is the finding's monthly cost, or the group's de-duplicated
cost at risk; a total row splits it into ``x_SpendInViolation`` (resources'
own cost) and ``x_PossibleSavings`` (differences to an allowed alternative;
``x_SavingsUpperBound`` those that are upper bounds), never added together.
An unknown amount is an empty cell, never 0. ``x_PriceCatalog`` names the
catalogue that priced every row (bundled, or the refreshed file and its read date).

Text from the inputs (names, tags, messages) that a spreadsheet would read
as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return) is prefixed with ``'``, so opening the file never runs it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import ClassVar, Final

from aigov.cost.focus import SERVICE_CATEGORY, SERVICE_NAMES, charge_period
from aigov.model import UNKNOWN, Finding, ScanResult
from aigov.report.base import DEFAULT_OPTIONS, Reporter, ReportOptions, ordered_findings, region_lookup
from aigov.showback import DIMENSIONS, NO_OWNER, Showback

COLUMNS: Final = (
    "x_RowType",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "RegionId",
    "SubAccountId",
    "ServiceName",
    "ServiceCategory",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "EffectiveCost",
    "BillingCurrency",
    "Tags",
    "x_CostCenter",
    "x_Workload",
    "x_RuleId",
    "x_RuleFamily",
    "x_Severity",
    "x_Outcome",
    "x_FailsGate",
    "x_CostAtRisk",
    "x_SpendInViolation",
    "x_PossibleSavings",
    "x_SavingsUpperBound",
    "x_Confidence",
    "x_Basis",
    "x_Message",
    "x_Fingerprint",
    "x_Dimension",
    "x_Group",
    "x_Resources",
    "x_Findings",
    "x_MonthlyRequests",
    "x_CostPer1000Requests",
    "x_PriceCatalog",
)
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


class CsvReporter(Reporter):
    """Findings and showback totals as CSV with FOCUS column names."""

    name: ClassVar[str] = "csv"
    description: ClassVar[str] = "CSV of findings and showback totals (FOCUS column names) for spreadsheets"

    def render(self, result: ScanResult, options: ReportOptions = DEFAULT_OPTIONS) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        start, end = charge_period(result.generated_at)
        currency = result.catalog.currency
        period = {
            "ChargeCategory": "Usage",
            "ChargePeriodStart": start,
            "ChargePeriodEnd": end,
            "x_PriceCatalog": _text(result.catalog.label),
        }
        costs = {r.address: r.monthly_usd for r in result.cost.resources}
        region = region_lookup(result)
        showback = result.showback
        for finding in ordered_findings(result.findings):
            resource = finding.resource
            owner = showback.owner(resource.key) if showback is not None else NO_OWNER
            location = region(resource)
            row: dict[str, str] = {
                **period,
                "x_RowType": "finding",
                "ResourceId": _text(resource.address),
                "ResourceName": _text(resource.name if isinstance(resource.name, str) else ""),
                "ResourceType": resource.type,
                "RegionId": location if isinstance(location, str) else "",
                "SubAccountId": _text(
                    resource.subscription_id if isinstance(resource.subscription_id, str) else ""
                ),
                "ServiceName": SERVICE_NAMES.get(resource.type.casefold(), ""),
                "ServiceCategory": SERVICE_CATEGORY,
                "EffectiveCost": _money(costs.get(resource.address)),
                "BillingCurrency": currency,
                "Tags": _tags(finding),
                "x_CostCenter": _text(owner.cost_center or ""),
                "x_Workload": _text(owner.workload or ""),
                "x_RuleId": _text(finding.rule_id),
                "x_RuleFamily": _text(finding.category),
                "x_Severity": str(finding.severity),
                "x_Outcome": str(finding.outcome),
                "x_FailsGate": "true" if options.fails_gate(finding) else "false",
                "x_CostAtRisk": _money(finding.cost.monthly_usd),
                "x_Confidence": str(finding.cost.confidence),
                "x_Basis": _text(finding.cost.basis),
                "x_Message": _text(finding.message),
                "x_Fingerprint": finding.fingerprint,
            }
            writer.writerow([row.get(column, "") for column in COLUMNS])
        if showback is not None:
            for row in _totals(showback, period, currency):
                writer.writerow([row.get(column, "") for column in COLUMNS])
        return buffer.getvalue()


def _totals(showback: Showback, period: Mapping[str, str], currency: str) -> list[dict[str, str]]:
    rows = []
    for dimension in DIMENSIONS:
        for group in showback.dimension(dimension):
            rows.append(
                {
                    **period,
                    "x_RowType": "total",
                    "SubAccountId": _text(group.group or "") if dimension == "subscription" else "",
                    "ServiceCategory": SERVICE_CATEGORY,
                    "EffectiveCost": _money(group.monthly_usd),
                    "BillingCurrency": currency,
                    "x_CostAtRisk": _money(group.at_risk_usd),
                    "x_SpendInViolation": _money(group.spend_in_violation_usd),
                    "x_PossibleSavings": _money(group.possible_savings_usd),
                    "x_SavingsUpperBound": _money(group.savings_upper_bound_usd),
                    "x_Dimension": dimension,
                    "x_Group": _text(group.label),
                    "x_Resources": str(group.resources),
                    "x_Findings": str(group.findings),
                    "x_MonthlyRequests": _money(group.monthly_requests, places=0),
                    "x_CostPer1000Requests": _money(group.cost_per_1000_requests, places=4),
                }
            )
    return rows


def _tags(finding: Finding) -> str:
    tags = finding.resource.body.get("tags")
    if tags is UNKNOWN or not isinstance(tags, Mapping):
        return ""
    plain = {str(k): str(v) for k, v in sorted(tags.items(), key=lambda kv: str(kv[0])) if v is not UNKNOWN}
    return _text(json.dumps(plain, ensure_ascii=False, separators=(",", ":")))


def _text(value: str) -> str:
    """``value``, defused for spreadsheets when it would start a formula."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _money(value: float | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"
