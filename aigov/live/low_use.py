"""What a live fine-tuned deployment's hosting cost per request served (AIGOV-IDLE-004).

Azure deletes a fine-tuned deployment only after 15 days without calls, so
a trickle of requests keeps one billing its hourly hosting fee for good. For
every fine-tuned deployment whose requests the scan observed, this adds to
its ``context.usage``:

=========================  ======================================================
``requests_per_day``       requests over the window / ``window_days``
``window_hosting_usd``     the hosting fee over the window: $/h x 24 h x days
                           (after a negotiated ``openai_ft_hosting`` discount)
``usd_per_1k_requests``    ``window_hosting_usd`` / requests x 1,000 (requests > 0)
=========================  ======================================================

A deployment type the catalogue has no hosting price for gets
``requests_per_day`` only; the rule's message then shows the figures as unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aigov import armpath, armtypes
from aigov.cost.catalog import FT_HOSTING
from aigov.cost.model import CostModel, is_fine_tuned
from aigov.model import Inventory


def add_hosting_per_request(
    inventory: Inventory, usage: Mapping[str, dict[str, Any]], costs: CostModel
) -> None:
    """Add ``requests_per_day``, ``window_hosting_usd`` and ``usd_per_1k_requests`` to fine-tunes' usage."""
    for key, observed in usage.items():
        deployment = inventory.get(key)
        if deployment is None or deployment.type.casefold() != armtypes.DEPLOYMENT.casefold():
            continue
        if not is_fine_tuned(armpath.get(deployment.body, "properties.model.name")):
            continue
        requests, days = observed.get("requests"), observed.get("window_days")
        if not isinstance(requests, int | float) or not isinstance(days, int | float) or days <= 0:
            continue
        observed["requests_per_day"] = round(requests / days, 2)
        sku = armpath.get(deployment.body, "sku.name")
        if not isinstance(sku, str):
            continue
        match = costs.catalog.ft_hosting_hourly(sku, inventory.effective_location(deployment))
        if match is None:
            continue
        rate = match.price.unit_price * (1 - costs.terms.discount(FT_HOSTING) / 100)
        hosting = round(rate * 24 * days, 2)
        observed["window_hosting_usd"] = hosting
        if requests > 0:
            observed["usd_per_1k_requests"] = round(hosting / requests * 1000, 2)
