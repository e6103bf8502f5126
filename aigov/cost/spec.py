"""What a rule says about the cost of its violations, and the interface the engine prices through."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

from aigov.model import CostImpact, Inventory, Resource


class CostKind(enum.StrEnum):
    RESOURCE = "resource"  # the resource's own monthly cost (roll-up for parents)
    DELTA = "delta"  # its cost minus its cost with `field` set to the cheapest of `to`
    NONE = "none"  # the rule has no cost of its own
    RESERVATION_SAVING = "reservation_saving"  # what a 1-month PTU reservation saves over hourly billing
    CHANGE = "change"  # what the resource would cost more with `field` set to `to` (an upgrade's price rise)


@dataclass(frozen=True, slots=True)
class CostSpec:
    kind: CostKind
    field: str | None = None  # DELTA only: the ARM path to change
    to: tuple[Any, ...] = ()  # DELTA, CHANGE: the alternatives, parameters already resolved
    # DELTA, CHANGE: a `context:` path whose value per resource gives `to` (the engine resolves it)
    to_context: str | None = None


class CostEstimator(Protocol):
    """What the engine needs from the cost model (``aigov.cost.model.CostModel``)."""

    def monthly_cost(self, resource: Resource, inventory: Inventory) -> CostImpact:
        """The resource's own monthly cost; a parent's is the sum of what is billed to it."""
        ...

    def impact(self, spec: CostSpec, resource: Resource, inventory: Inventory) -> CostImpact:
        """What a violation of a rule with ``spec`` on ``resource`` costs per month."""
        ...
