"""The estimate as a FOCUS-aligned CSV (``aigov estimate --format focus-csv``).

Column names follow FOCUS v1.2 (https://focus.finops.org/focus-specification/v1-2/)
where a column applies to a forward-looking estimate; what FOCUS has no
column for goes in ``x_`` columns, as Microsoft's own FOCUS export does. Each row is one resource's
estimated charge for the current calendar month (``ChargePeriodStart`` /
``ChargePeriodEnd``); ``ListCost`` is at list prices and ``EffectiveCost``
after negotiated discounts and owned reservations. A cost that is unknown is
an empty cell, never 0. ``SkuId`` is the priced SKU as aigov names it
(deployment type, model and version; search tier; VM size), not Azure's
internal sku id, which an estimate cannot know.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Final

from aigov.cost.estimate import Estimate
from aigov.cost.model import COMPUTE, DEPLOYMENT, SEARCH
from aigov.cost.pricing import EstimateRow

COLUMNS: Final = (
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "RegionId",
    "ServiceName",
    "ServiceCategory",
    "SkuId",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ListCost",
    "EffectiveCost",
    "BillingCurrency",
    "Tags",
    "x_Basis",
    "x_Confidence",
    "x_CostPer1000Requests",
    "x_MonthlyRequests",
    "x_Input",
    "x_PriceCatalog",
)
SERVICE_CATEGORY: Final = "AI and Machine Learning"
SERVICE_NAMES: Final = {
    DEPLOYMENT: "Azure AI Services",
    SEARCH: "Azure AI Search",
    COMPUTE: "Azure Machine Learning",
}


def charge_period(now: datetime) -> tuple[str, str]:
    """The calendar month of ``now`` as FOCUS datetimes: its first instant and the next month's."""
    start = datetime(now.year, now.month, 1, tzinfo=UTC)
    end = datetime(now.year + (now.month == 12), now.month % 12 + 1, 1, tzinfo=UTC)
    return _iso(start), _iso(end)


def render_focus_csv(estimate: Estimate) -> str:
    """The estimate as CSV text with a header row (RFC 4180 quoting, ``\\n`` line ends)."""
    start, end = charge_period(estimate.generated_at)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    catalog = f"{estimate.catalog.name} ({estimate.catalog.as_of.isoformat()})"
    for row in estimate.rows:
        writer.writerow(_row(row, start, end, estimate.catalog.currency, catalog))
    return buffer.getvalue()


def _row(row: EstimateRow, start: str, end: str, currency: str, catalog: str) -> list[str]:
    return [
        row.address,
        row.name,
        row.type,
        row.location or "",
        SERVICE_NAMES.get(row.type.casefold(), ""),
        SERVICE_CATEGORY,
        row.sku or "",
        "Usage",
        start,
        end,
        _money(row.list_monthly_usd),
        _money(row.monthly_usd),
        currency,
        json.dumps(dict(sorted((row.tags or {}).items())), ensure_ascii=False, separators=(",", ":")),
        row.basis,
        row.confidence.value,
        _money(row.cost_per_1000_requests, places=4),
        _money(row.monthly_requests, places=0),
        row.input,
        catalog,
    ]


def _money(value: float | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
