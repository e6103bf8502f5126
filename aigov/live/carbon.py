"""``aigov scan azure --carbon``: each AI resource's monthly emissions from the Azure Carbon Optimization API.

The API reports a month after it ends, per resource, in kgCO2e (scopes 1, 2
and 3, as the portal's Carbon Optimization blade shows them). The scan asks
it, through the maintained SDK client (azure-mgmt-carbonoptimization), for
the latest month it has (``queryCarbonEmissionDataAvailableDateRange``), then
for the item details of every resource of the AI types in the scanned
subscriptions (``carbonEmissionReports``, ``ItemDetailsReport`` by
``Resource``; up to 100 subscriptions and a page of 5,000 items per call,
paged with ``skipToken``).

A credential that may not read emissions (403), or any other failure after
the retries, leaves the emissions unread with the reason: the scan says so
in a warning and goes on, and the rules that need them do not apply. An AI
resource the report does not list (created since that month) has unknown
emissions, never zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from azure.core.exceptions import AzureError
from azure.mgmt.carbonoptimization import CarbonOptimizationMgmtClient
from azure.mgmt.carbonoptimization.models import DateRange, ItemDetailsQueryFilter

from aigov.cost.usage import observed_usage
from aigov.live.client import ClientFactory
from aigov.live.guard import walk
from aigov.live.reasons import reason
from aigov.model import Resource

AI_TYPES: Final = (
    "microsoft.cognitiveservices/accounts",
    "microsoft.search/searchservices",
    "microsoft.machinelearningservices/workspaces",
)
"""The resource types whose emissions are read: those the carbon rule checks."""

SUBSCRIPTIONS_PER_QUERY: Final = 100
PAGE_SIZE: Final = 5000
SCOPES: Final = ("Scope1", "Scope2", "Scope3")
SOURCE_URL: Final = "https://learn.microsoft.com/rest/api/carbon/carbon-service/query-carbon-emission-reports"


@dataclass(frozen=True, slots=True)
class Emissions:
    """What the Carbon Optimization API said for one scan: kgCO2e per lower-case resource id."""

    month: str | None  # "2026-10": the month the figures are for; None when nothing was read
    per_resource: Mapping[str, float] = field(default_factory=dict)
    error: str | None = None  # why nothing was read

    @property
    def read(self) -> bool:
        return self.error is None and self.month is not None


def read_emissions(clients: ClientFactory, subscription_ids: Sequence[str]) -> Emissions:
    """The latest month of emissions of the AI resources in ``subscription_ids``."""
    if not subscription_ids:
        return Emissions(None, error="no subscription to read emissions of")
    client = clients.carbon()
    try:
        available = client.carbon_service.query_carbon_emission_data_available_date_range()
        month = dt.date.fromisoformat(str(available.end_date)[:10]).replace(day=1)
        per_resource: dict[str, float] = {}
        for start in range(0, len(subscription_ids), SUBSCRIPTIONS_PER_QUERY):
            chunk = list(subscription_ids[start : start + SUBSCRIPTIONS_PER_QUERY])
            per_resource.update(_items(client, clients.retry.max_pages, chunk, month))
    except AzureError as exc:
        return Emissions(None, error=reason(exc))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return Emissions(None, error=f"an answer of the Carbon Optimization API could not be read: {exc}")
    return Emissions(month.strftime("%Y-%m"), per_resource)


def _items(
    client: CarbonOptimizationMgmtClient, max_pages: int, subscriptions: list[str], month: dt.date
) -> dict[str, float]:
    found: dict[str, float] = {}
    token: str | None = None
    with walk(max_pages):
        while True:
            query = ItemDetailsQueryFilter(
                date_range=DateRange(start=month, end=month),
                subscription_list=subscriptions,
                resource_type_list=list(AI_TYPES),
                carbon_scope_list=list(SCOPES),
                category_type="Resource",
                order_by="LatestMonthEmissions",
                sort_direction="Desc",
                page_size=PAGE_SIZE,
                skip_token=token,
            )
            page = client.carbon_service.query_carbon_emission_reports(query)
            for item in page.value or []:
                resource_id = getattr(item, "resource_id", None)
                kg = getattr(item, "latest_month_emissions", None)
                if isinstance(resource_id, str) and isinstance(kg, int | float):
                    found[resource_id.lower()] = found.get(resource_id.lower(), 0.0) + float(kg)
            token = page.skip_token
            if not token:
                return found


def carbon_context(
    emissions: Emissions, resources: Sequence[Resource], usage: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]] | None:
    """``context: carbon.*`` per resource key; None when nothing was read (the rules do not apply).

    ``kg_per_1m_tokens`` is the month's emissions over the tokens its
    deployments served, as their 30-day run-rate (prompt and completion), where known.
    """
    if not emissions.read:
        return None
    tokens: dict[str, float] = {}
    for resource in resources:
        if resource.parent_key is None:
            continue
        observed = observed_usage(usage.get(resource.key, {}))
        if observed is not None:
            served = observed.input_tokens + observed.output_tokens  # prompt tokens include cached ones
            tokens[resource.parent_key] = tokens.get(resource.parent_key, 0.0) + served
    out: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if resource.type.lower() not in AI_TYPES or resource.parent_key is not None:
            continue
        kg = emissions.per_resource.get(resource.key.lower())
        if kg is None:
            continue
        month_tokens = tokens.get(resource.key)
        per_million = round(kg / (month_tokens / 1e6), 4) if month_tokens else None
        out[resource.key] = {
            "monthly_kg": round(kg, 3),
            "month": emissions.month,
            "kg_per_1m_tokens": per_million,
        }
    return out
