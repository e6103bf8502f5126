"""``aigov estimate``: the monthly cost of every AI resource in the inputs, and its change.

An estimate prices each billed AI resource (Azure OpenAI deployments, AI
Search services, Azure ML computes) with the same :class:`CostModel` the
scan uses: hourly meters from the catalogue and token meters from usage
(assumed, or observed by a live scan). Accounts and workspaces are not rows
of their own: their cost is the sum of their children, which are.

With negotiated discounts, each row carries the list figure as well as the
effective one (the FOCUS ``ListCost`` and ``EffectiveCost``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from aigov.baseline import load_report
from aigov.cost.catalog import Catalog
from aigov.cost.model import CostModel, PricingTerms
from aigov.cost.pricing import EstimateRow, estimate_inventory
from aigov.cost.usage import UsageBook, UsageProvider, unmatched_warning
from aigov.errors import AigovError
from aigov.jsontext import decode
from aigov.model import BudgetStatus, CatalogInfo, InputCost, ResourceCostChange, cost_changes
from aigov.readfile import DOCUMENT_LIMIT, read_head, read_regular_text
from aigov.report.json_report import budget_record, input_cost_record, resource_change_record
from aigov.sources import load_input
from aigov.sources.base import SourceOptions

ESTIMATE_SCHEMA: Final = "aigov-estimate/1"


@dataclass(frozen=True, slots=True)
class Estimate:
    inputs: tuple[str, ...]
    rows: tuple[EstimateRow, ...]
    catalog: CatalogInfo
    generated_at: datetime
    discounted: bool = False
    usage_entries: int = 0
    warnings: tuple[str, ...] = ()  # usage entries that price nothing, printed on stderr
    budgets: tuple[BudgetStatus, ...] = ()  # aigov.yaml's budgets against these rows

    @property
    def cost(self) -> InputCost:
        """The rows as a scan's input cost: the same per-resource figures ``scan`` reports."""
        return InputCost(tuple(r.resource_cost() for r in self.rows))

    @property
    def total_monthly_usd(self) -> float:
        return round(sum(r.monthly_usd for r in self.rows if r.monthly_usd is not None), 2)

    @property
    def total_list_monthly_usd(self) -> float:
        return round(sum(r.list_monthly_usd for r in self.rows if r.list_monthly_usd is not None), 2)

    @property
    def unknown(self) -> int:
        return sum(1 for r in self.rows if r.monthly_usd is None)


def run_estimate(
    inputs: Sequence[str],
    catalog: Catalog,
    *,
    now: datetime,
    default_region: str | None = None,
    usage: UsageProvider | None = None,
    terms: PricingTerms | None = None,
    subscription: str | None = None,
    bicep_cache: str | None = None,
) -> Estimate:
    """Estimate every input (any format the source registry reads). Raises AigovError on bad input."""
    costs = CostModel(catalog, default_region=default_region, usage=usage, terms=terms)
    list_costs = None
    if terms is not None and terms.any_discount:
        list_costs = CostModel(
            catalog,
            default_region=default_region,
            usage=usage,
            terms=PricingTerms(reservations=terms.reservations),
        )
    options = SourceOptions(subscription=subscription, bicep_cache=bicep_cache)
    rows: list[EstimateRow] = []
    names = []
    used: set[int] = set()
    for path in inputs:
        source_input, inventory = load_input(path, options)
        names.append(source_input.name)
        rows.extend(estimate_inventory(inventory, costs, source_input.name, list_costs))
        if isinstance(usage, UsageBook):
            used |= usage.matched(inventory)
    unmatched = usage.unmatched(used) if isinstance(usage, UsageBook) else ()
    return Estimate(
        inputs=tuple(names),
        rows=tuple(rows),
        catalog=costs.catalog.info,
        generated_at=now,
        discounted=list_costs is not None,
        usage_entries=len(usage) if isinstance(usage, Sized) else 0,
        warnings=tuple(unmatched_warning(entry) for entry in unmatched),
    )


# ---------------------------------------------------------------------------- JSON


def to_json(estimate: Estimate, comparison: Comparison | None = None) -> dict[str, Any]:
    """The estimate as the JSON document ``aigov estimate --format json`` prints."""
    info = estimate.catalog
    document: dict[str, Any] = {
        "schema": ESTIMATE_SCHEMA,
        "generated_at": estimate.generated_at.isoformat(),
        "inputs": list(estimate.inputs),
        "currency": info.currency,
        "catalog": info.record(),
        "resources": [
            {
                "address": r.address,
                "name": r.name,
                "type": r.type,
                "monthly_usd": r.monthly_usd,
                "list_monthly_usd": r.list_monthly_usd,
                "basis": r.basis,
                "confidence": r.confidence.value,
                "input": r.input,
                "location": r.location,
                "sku": r.sku,
                "monthly_requests": r.monthly_requests,
                "cost_per_1000_requests_usd": r.cost_per_1000_requests,
                "prices": [p.record() for p in r.prices],
            }
            for r in estimate.rows
        ],
        "total_monthly_usd": estimate.total_monthly_usd,
        "total_list_monthly_usd": estimate.total_list_monthly_usd,
        "unknown_cost_resources": estimate.unknown,
    }
    # The scan report's blocks, under the same names and with the same fields (docs/json-report.md).
    document["cost"] = input_cost_record(estimate.cost)
    document["budgets"] = [budget_record(b) for b in estimate.budgets]
    document["cost_change"] = None
    if comparison is not None:
        document["cost_change"] = {
            "base": comparison.base,
            "cost_before_usd": comparison.before_total,
            "cost_after_usd": comparison.after_total,
            "cost_delta_usd": comparison.total_delta,
            "resources": [resource_change_record(d) for d in comparison.deltas],
        }
        document["compare"] = {
            "base": comparison.base,
            "base_total_monthly_usd": comparison.before_total,
            "total_delta_usd": comparison.total_delta,
            "resources": [
                {
                    "address": d.address,
                    "change": d.change,
                    "base_monthly_usd": d.before_usd,
                    "monthly_usd": d.after_usd,
                    "delta_usd": d.delta_usd,
                }
                for d in comparison.deltas
            ],
        }
    return document


# ---------------------------------------------------------------------------- comparison


@dataclass(frozen=True, slots=True)
class Comparison:
    """This estimate against a saved one: what changed per resource, and the total."""

    base: str
    before_total: float
    after_total: float
    deltas: tuple[ResourceCostChange, ...]  # the same per-resource change the scan's --compare-to gives

    @property
    def total_delta(self) -> float:
        return round(self.after_total - self.before_total, 2)


def load_base(path: Path) -> dict[str, float | None]:
    """A saved ``aigov estimate --format json``: monthly cost by address. Errors are one line."""
    shown = str(path)
    document = decode(read_regular_text(path, DOCUMENT_LIMIT), shown, AigovError)
    resources = document.get("resources") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        raise AigovError(
            "not an aigov estimate: no `resources` list (save one with --format json)", file=shown
        )
    out: dict[str, float | None] = {}
    for i, item in enumerate(resources):
        if not isinstance(item, dict) or not isinstance(item.get("address"), str):
            raise AigovError("each resource needs an `address` string", file=shown, where=f"$.resources[{i}]")
        value = item.get("monthly_usd")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AigovError("monthly_usd must be a number or null", file=shown, where=f"$.resources[{i}]")
        out[item["address"]] = float(value) if value is not None else None
    return out


def base_costs(path: Path, price_input: Callable[[str], Estimate]) -> Mapping[str, float | None]:
    """``--compare-to`` of ``aigov estimate``: the monthly cost by address of the base.

    The base is what ``aigov scan --compare-to`` takes, or a saved estimate:
    an ``aigov scan --format json`` report (its ``cost.resources``), an
    ``aigov estimate --format json`` document, or a second input such as the
    base branch's plan, which ``price_input`` prices with this estimate's
    configuration, usage and catalogue.
    """
    head = read_head(path, 4096, AigovError)
    if b'"tool"' in head and b'"aigov"' in head:
        costs = load_report(path).resource_costs
        if costs is None:
            raise AigovError(
                "the report carries no input cost (written by an older aigov); scan the base again",
                file=str(path),
            )
        return costs
    if ESTIMATE_SCHEMA.encode() in head:
        return load_base(path)
    return {r.address: r.monthly_usd for r in price_input(str(path)).rows}


def compare(estimate: Estimate, base: Mapping[str, float | None], base_name: str) -> Comparison:
    """Per-resource and total change from ``base`` (address → monthly cost) to ``estimate``."""
    deltas = cost_changes(base, {r.address: r.monthly_usd for r in estimate.rows})
    before_total = round(sum(v for v in base.values() if v is not None), 2)
    return Comparison(base_name, before_total, estimate.total_monthly_usd, tuple(deltas))
