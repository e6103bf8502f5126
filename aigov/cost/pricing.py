"""The monthly cost of each billed AI resource of an inventory: what ``scan`` and ``estimate`` share.

Every scan prices every billed resource (Azure OpenAI deployments, AI
Search services, Azure ML computes, managed online deployments and
serverless endpoints) with the same :class:`CostModel` the
rules use, in violation or not; ``aigov estimate`` lists the same rows.
Accounts and workspaces are not rows of their own: their cost is the sum
of their children's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aigov import armpath
from aigov.armtypes import TEMPLATE_DEPLOYMENT
from aigov.cost.model import COMPUTE, DEPLOYMENT, ONLINE_DEPLOYMENT, SEARCH, SERVERLESS_ENDPOINT, CostModel
from aigov.model import (
    UNKNOWN,
    Confidence,
    Inventory,
    Price,
    Resource,
    ResourceCost,
    UnreadInput,
    _Unknown,
    cost_per_1000_requests,
)

BILLED_TYPES: Final = frozenset({DEPLOYMENT, SEARCH, COMPUTE, ONLINE_DEPLOYMENT, SERVERLESS_ENDPOINT})


@dataclass(frozen=True, slots=True)
class EstimateRow:
    """One billed resource's monthly cost, effective (after discounts) and list."""

    address: str
    name: str
    type: str
    monthly_usd: float | None
    list_monthly_usd: float | None
    basis: str
    confidence: Confidence
    input: str
    location: str | None = None
    sku: str | None = None  # what was priced: deployment type + model, search tier, VM size
    tags: Mapping[str, str] | None = None  # the resource's tags over its ancestors'
    monthly_requests: float | None = None
    prices: tuple[Price, ...] = ()
    key: str = ""  # the resource's key in its input (a budget's `resource` glob matches it)
    subscription_id: str | _Unknown | None = None
    unknown_tags: tuple[str, ...] = ()  # tag names known only after apply; "*": the whole tag set

    def resource_cost(self) -> ResourceCost:
        """The row as the scan result's per-resource cost (what budgets and --compare-to read)."""
        return ResourceCost(
            address=self.address,
            type=self.type,
            monthly_usd=self.monthly_usd,
            confidence=self.confidence,
            monthly_requests=self.monthly_requests,
            key=self.key or self.address,
            name=self.name,
            subscription_id=self.subscription_id,
            tags=dict(self.tags or {}),
            unknown_tags=self.unknown_tags,
        )

    @property
    def cost_per_1000_requests(self) -> float | None:
        """Unit economics: the monthly cost per 1,000 requests, where requests are known."""
        return cost_per_1000_requests(self.monthly_usd, self.monthly_requests)


def estimate_inventory(
    inventory: Inventory, costs: CostModel, input_name: str, list_costs: CostModel | None = None
) -> list[EstimateRow]:
    """A row per billed AI resource of ``inventory``; ``list_costs`` prices the list figure (no discount)."""
    rows = []
    for resource in inventory:
        if resource.type.casefold() not in BILLED_TYPES or not resource.action.billed:
            continue
        impact = costs.monthly_cost(resource, inventory)
        listed = list_costs.monthly_cost(resource, inventory) if list_costs is not None else impact
        usage = costs.usage_for(resource, inventory)
        location = inventory.effective_location(resource)
        tags, unknown_tags = _tags(resource, inventory)
        rows.append(
            EstimateRow(
                address=resource.address,
                name=resource.name if isinstance(resource.name, str) else resource.key,
                type=resource.type,
                monthly_usd=impact.monthly_usd,
                list_monthly_usd=listed.monthly_usd,
                basis=impact.basis,
                confidence=impact.confidence,
                input=input_name,
                location=location if isinstance(location, str) else None,
                sku=_sku(resource),
                tags=tags,
                monthly_requests=usage.requests if usage is not None else None,
                prices=impact.prices,
                key=resource.key,
                subscription_id=resource.subscription_id,
                unknown_tags=unknown_tags,
            )
        )
    rows.extend(_unread_row(unread, input_name) for unread in inventory.unread)
    return rows


def _unread_row(unread: UnreadInput, input_name: str) -> EstimateRow:
    """An input aigov could not read: the resources it defines cost an unknown amount, never nothing."""
    return EstimateRow(
        address=unread.address,
        name=unread.address,
        type=TEMPLATE_DEPLOYMENT,
        monthly_usd=None,
        list_monthly_usd=None,
        basis=f"input not read: {unread.reference} ({unread.reason}); its resources are not priced",
        confidence=Confidence.UNKNOWN,
        input=input_name,
    )


def _sku(resource: Resource) -> str | None:
    body = resource.body
    kind = resource.type.casefold()
    parts: list[str] = []
    paths: tuple[str, ...]
    if kind == DEPLOYMENT:
        paths = ("sku.name", "properties.model.name", "properties.model.version")
    elif kind == SEARCH:
        paths = ("sku.name",)
    else:
        paths = ("properties.properties.vmSize", "properties.vmSize")
    for path in paths:
        value = armpath.get(body, path)
        if isinstance(value, str) and value:
            parts.append(value)
            if kind == COMPUTE:
                break
    return " ".join(parts) or None


def _tags(resource: Resource, inventory: Inventory) -> tuple[dict[str, str], tuple[str, ...]]:
    """The resource's tags over its ancestors', and the names whose value is unknown ("*": all)."""
    merged: dict[str, str] = {}
    unknown: dict[str, None] = {}
    for holder in [*reversed(list(inventory.ancestors(resource))), resource]:
        tags = holder.body.get("tags")
        if tags is UNKNOWN:
            unknown["*"] = None
        elif isinstance(tags, Mapping):
            for k, v in tags.items():
                name = str(k)
                if v is UNKNOWN:
                    merged.pop(name, None)
                    unknown[name] = None
                elif isinstance(v, str | int | float):
                    merged[name] = str(v)
                    unknown.pop(name, None)
    return merged, tuple(unknown)
