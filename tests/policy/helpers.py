"""Shared builders for the policy tests: resources, scopes and a deterministic cost estimator."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aigov.cost.spec import CostEstimator, CostKind, CostSpec
from aigov.model import (
    Action,
    Confidence,
    Context,
    CostImpact,
    CostLine,
    Inventory,
    Origin,
    Resource,
)
from aigov.policy.context import Scope

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
ACCOUNT = "Microsoft.CognitiveServices/accounts"


def resource(
    body: Mapping[str, Any],
    *,
    key: str = "r1",
    type_: str = DEPLOYMENT,
    action: Action = Action.CREATE,
    subscription_id: Any = "sub-1",
    parent_key: str | None = None,
) -> Resource:
    return Resource(
        key=key,
        type=type_,
        name=body.get("name", key),
        body=body,
        origin=Origin("terraform_plan", "plan.json", 1, key),
        action=action,
        subscription_id=subscription_id,
        parent_key=parent_key,
    )


def scope(
    body: Mapping[str, Any],
    context: Context | None = None,
    inventory: Inventory | None = None,
    **kwargs: Any,
) -> Scope:
    r = resource(body, **kwargs)
    return Scope(r, inventory or Inventory([r]), context or Context(now=NOW))


class FlatCosts:
    """A deterministic estimator: every resource costs ``sku.capacity`` x 100 a month."""

    def monthly_cost(self, resource: Resource, inventory: Inventory) -> CostImpact:
        capacity = resource.body.get("sku", {}).get("capacity", 0)
        if not isinstance(capacity, int | float):
            return CostImpact.unknown("capacity unknown")
        line = CostLine(resource.key, float(capacity) * 100, f"{capacity} x 100", Confidence.EXACT)
        return CostImpact.from_lines([line])

    def impact(self, spec: CostSpec, resource: Resource, inventory: Inventory) -> CostImpact:
        if spec.kind is CostKind.NONE:
            return CostImpact(0.0, "no cost of its own", Confidence.EXACT)
        own = self.monthly_cost(resource, inventory)
        if spec.kind is CostKind.RESOURCE:
            return own
        numbers = [float(v) for v in spec.to if isinstance(v, int | float)]
        cheapest = min(numbers) * 100 if numbers else 0.0
        if own.monthly_usd is None:
            return own
        return CostImpact(own.monthly_usd - cheapest, f"delta on {spec.field}", Confidence.ESTIMATE)


COSTS: CostEstimator = FlatCosts()
