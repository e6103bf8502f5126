"""Usage-based meters, discounts and reservations in the cost model (issue 6 items 1, 3 and 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.cost import CostKind, CostModel, CostSpec, load_catalog
from aigov.cost.catalog import Catalog
from aigov.cost.model import PricingTerms, Reservation, fine_tuned_base
from aigov.cost.reservations import reservation_resources
from aigov.cost.usage import COMPLETION_TOKENS_30D, PROMPT_TOKENS_30D, UsageBook, UsageEntry
from aigov.cost.usage import Usage as U
from aigov.model import Confidence, Inventory, Origin, Resource

ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
CHAT = U(input_tokens=100_000_000, output_tokens=20_000_000, source="usage.yaml:3 '*'")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _book(usage: U = CHAT) -> UsageBook:
    return UsageBook([UsageEntry("*", usage)])


def _inventory(*deployments: Resource, location: str = "eastus") -> Inventory:
    account = Resource(
        key="acct", type=ACCOUNT, name="acct", body={"location": location}, origin=Origin("test")
    )
    return Inventory([account, *deployments])


def _dep(
    key: str, sku: str, model: Any = "gpt-4o", version: Any = "2024-11-20", capacity: int = 1
) -> Resource:
    body = {
        "sku": {"name": sku, "capacity": capacity},
        "properties": {"model": {"name": model, "version": version}},
    }
    return Resource(key=key, type=DEPLOYMENT, name=key, body=body, origin=Origin("test"), parent_key="acct")


@pytest.mark.parametrize(
    ("sku", "model", "version", "expected"),
    [
        # 100M x 2.50 + 20M x 10.00
        ("GlobalStandard", "gpt-4o", "2024-11-20", 450.0),
        # Data Zone: 100M x 2.75 + 20M x 11.00
        ("DataZoneStandard", "gpt-4o", "2024-11-20", 495.0),
        # Batch at its own rate: 100M x 1.25 + 20M x 5.00
        ("GlobalBatch", "gpt-4o", "2024-11-20", 225.0),
        # Regional Standard in eastus: 100M x 2.75 + 20M x 11.00
        ("Standard", "gpt-4o", "2024-11-20", 495.0),
        # 100M x 0.15 + 20M x 0.60
        ("GlobalStandard", "gpt-4o-mini", "2024-07-18", 27.0),
    ],
)
def test_tokens_are_price_times_volume(
    catalog: Catalog, sku: str, model: str, version: str, expected: float
) -> None:
    costs = CostModel(catalog, usage=_book())
    deployment = _dep("chat", sku, model, version)
    impact = costs.monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == expected
    assert impact.confidence is Confidence.ESTIMATE
    assert "100,000,000 input tokens x " in impact.basis
    assert f"= {expected:,.2f} $/month" in impact.basis
    assert "usage: usage.yaml:3 '*'" in impact.basis


def test_embeddings_bill_input_only(catalog: Catalog) -> None:
    costs = CostModel(catalog, usage=_book(U(input_tokens=500_000_000, output_tokens=1000, source="s")))
    deployment = _dep("embed", "GlobalStandard", "text-embedding-3-large", None)
    impact = costs.monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == 65.0  # 500M x 0.13
    assert "output tokens not billed" in impact.basis


def test_cached_input_without_a_cached_price_is_an_upper_bound(catalog: Catalog) -> None:
    usage = U(input_tokens=0, output_tokens=0, cached_input_tokens=10_000_000, source="s")
    deployment = _dep("batch", "GlobalBatch")
    impact = CostModel(catalog, usage=_book(usage)).monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == 12.5  # 10M x 1.25 (the batch input rate)
    assert "cached input at the input rate, an upper bound" in impact.basis


def test_without_usage_tokens_stay_unknown(catalog: Catalog) -> None:
    deployment = _dep("chat", "GlobalStandard")
    impact = CostModel(catalog).monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN


def test_model_delta_at_the_same_usage(catalog: Catalog) -> None:
    costs = CostModel(catalog, usage=_book())
    deployment = _dep("chat", "GlobalStandard")
    spec = CostSpec(CostKind.DELTA, field="properties.model.name", to=("gpt-4o-mini", "gpt-4.1"))
    impact = costs.impact(spec, deployment, _inventory(deployment))
    # gpt-4o 450.00 - gpt-4o-mini 27.00 (the cheaper allowed model, at its newest catalogued version)
    assert impact.monthly_usd == 423.0
    assert "cheapest allowed: gpt-4o-mini" in impact.basis
    assert "priced at version 2024-07-18" in impact.basis


def test_provisioned_to_pay_per_token_delta_at_the_same_usage(catalog: Catalog) -> None:
    costs = CostModel(catalog, usage=_book())
    deployment = _dep("ptu", "GlobalProvisionedManaged", capacity=15)
    spec = CostSpec(CostKind.DELTA, field="sku.name", to=("GlobalStandard",))
    # 15 x 1.00 x 730 = 10,950 against 450.00 in tokens
    assert costs.impact(spec, deployment, _inventory(deployment)).monthly_usd == 10_500.0


def test_observed_usage_prices_the_run_rate(catalog: Catalog) -> None:
    book = UsageBook(observed={"chat": {PROMPT_TOKENS_30D: 72_000_000, COMPLETION_TOKENS_30D: 7_200_000}})
    deployment = _dep("chat", "GlobalStandard")
    impact = CostModel(catalog, usage=book).monthly_cost(deployment, _inventory(deployment))
    # 73M x 2.50 + 7.3M x 10.00 (30 days scaled to 730 h)
    assert impact.monthly_usd == 255.5
    assert "observed run-rate" in impact.basis


def test_fine_tuned_adds_tokens_at_the_base_rate(catalog: Catalog) -> None:
    model = "gpt-4o-mini-2024-07-18.ft-f8838e7c6d4a4cbe882a002815758510"
    assert fine_tuned_base(model) == ("gpt-4o-mini", "2024-07-18")
    deployment = _dep("ft", "GlobalStandard", model, "1")
    impact = CostModel(catalog, usage=_book()).monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == 1241.0 + 27.0


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        (PricingTerms(discount_percent=10), 405.0),
        (PricingTerms(discount_percent=10, discounts={"openai_tokens": 20}), 360.0),
        (PricingTerms(discounts={"openai_ptu": 20}), 450.0),
    ],
)
def test_discounts_apply_per_family(catalog: Catalog, terms: PricingTerms, expected: float) -> None:
    deployment = _dep("chat", "GlobalStandard")
    impact = CostModel(catalog, usage=_book(), terms=terms).monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == expected
    if expected != 450.0:
        assert "negotiated discount (450.00 list)" in impact.basis


def test_discount_on_hourly_meters(catalog: Catalog) -> None:
    deployment = _dep("ptu", "GlobalProvisionedManaged", capacity=15)
    terms = PricingTerms(discount_percent=10)
    impact = CostModel(catalog, terms=terms).monthly_cost(deployment, _inventory(deployment))
    assert impact.monthly_usd == 9855.0  # 10,950 less 10 %
    assert "10% negotiated discount (10,950.00 list) = 9,855.00 $/month" in impact.basis


def test_reservations_are_netted_first_come_first_served(catalog: Catalog) -> None:
    first = _dep("a", "GlobalProvisionedManaged", capacity=15)
    second = _dep("b", "GlobalProvisionedManaged", capacity=15)
    inventory = _inventory(first, second)
    terms = PricingTerms(reservations=(Reservation("GlobalProvisionedManaged", 20, "eastus"),))
    costs = CostModel(catalog, terms=terms)
    assert costs.monthly_cost(first, inventory).monthly_usd == 0.0
    second_cost = costs.monthly_cost(second, inventory)
    assert second_cost.monthly_usd == 7300.0  # (15 - 5 covered) x 1.00 x 730
    assert "15 PTU − 5 covered by owned reservations" in second_cost.basis
    # A reservation in another region covers nothing here.
    elsewhere = PricingTerms(reservations=(Reservation("GlobalProvisionedManaged", 20, "westus"),))
    assert CostModel(catalog, terms=elsewhere).monthly_cost(first, inventory).monthly_usd == 10_950.0


RESERVATION_PRICES = Path(__file__).resolve().parents[2] / "fixtures" / "cost" / "reservation_prices.yaml"


def test_reservation_saving_is_unknown_without_a_sourced_reservation_price(catalog: Catalog) -> None:
    deployment = _dep("ptu", "GlobalProvisionedManaged", capacity=15)
    spec = CostSpec(CostKind.RESERVATION_SAVING)
    impact = CostModel(catalog).impact(spec, deployment, _inventory(deployment))
    assert impact.monthly_usd is None
    assert impact.confidence is Confidence.UNKNOWN
    assert "no PTU reservation price for GlobalProvisionedManaged" in impact.basis


def test_reservation_saving() -> None:
    catalog = load_catalog(RESERVATION_PRICES)
    deployment = _dep("ptu", "GlobalProvisionedManaged", capacity=15)
    inventory = _inventory(deployment)
    spec = CostSpec(CostKind.RESERVATION_SAVING)
    impact = CostModel(catalog).impact(spec, deployment, inventory)
    assert impact.monthly_usd == 7050.0  # 15 x (730 - 260)
    assert impact.confidence is Confidence.ESTIMATE  # reservation prices are uncertain
    covered = PricingTerms(reservations=(Reservation("GlobalProvisionedManaged", 10),))
    assert CostModel(catalog, terms=covered).impact(spec, deployment, inventory).monthly_usd == 2350.0
    standard = _dep("chat", "GlobalStandard")
    assert CostModel(catalog).impact(spec, standard, _inventory(standard)).monthly_usd == 0.0


def _with_yearly(tmp_path: Path) -> Catalog:
    """The reservation test catalogue plus a one-year Global reservation price (per PTU per year)."""
    yearly = (
        '  - {family: "openai_ptu_reservation", meter: "Provisioned Managed Global", '
        'sku: "GlobalProvisionedManaged", regions: ["*"], term: "1 Year", unit: "1 Year", '
        "unit_price: 2652.0, source: test, effective: 2026-07-01}\n"
    )
    path = tmp_path / "prices.yaml"
    path.write_text(RESERVATION_PRICES.read_text(encoding="utf-8") + yearly, encoding="utf-8")
    return load_catalog(path)


def test_reservation_saving_names_the_one_year_term_beside_the_one_month_term(tmp_path: Path) -> None:
    catalog = _with_yearly(tmp_path)
    deployment = _dep("ptu", "GlobalProvisionedManaged", capacity=15)
    impact = CostModel(catalog).impact(
        CostSpec(CostKind.RESERVATION_SAVING), deployment, _inventory(deployment)
    )
    assert impact.monthly_usd == 7050.0  # the 1-month term: 15 x (1.0 x 730 - 260)
    # 15 x (1.0 x 730 - 2652 / 12) = 15 x 509 = 7,635.00
    assert "a 1-year reservation saves 7,635.00 $/month" in impact.basis
    assert "2652.00 $/PTU/year / 12" in impact.basis
    assert [p.unit for p in impact.lines[0].prices] == ["1 Hour", "1 Month", "1 Year"]


def test_an_owned_one_year_reservation_costs_its_yearly_price_over_twelve_months(tmp_path: Path) -> None:
    catalog = _with_yearly(tmp_path)
    owned = (
        Reservation("GlobalProvisionedManaged", 10, term="P1Y"),
        Reservation("GlobalProvisionedManaged", 10),
    )
    resources = reservation_resources(owned, "aigov.yaml")
    inventory = Inventory(resources)
    model = CostModel(catalog, terms=PricingTerms(reservations=owned))
    yearly, monthly = (model.line_for(r, inventory) for r in resources)
    assert yearly.monthly_usd == 2210.0  # 10 x 2,652 / 12
    assert "2652.00 $/PTU/year / 12 months reserved, 1-year term" in yearly.formula
    assert monthly.monthly_usd == 2600.0  # 10 x 260
    # Without a one-year price the one-year reservation is unknown, never priced at the monthly rate.
    bare = CostModel(load_catalog(RESERVATION_PRICES), terms=PricingTerms(reservations=owned))
    line = bare.line_for(resources[0], inventory)
    assert line.monthly_usd is None
    assert "no 1-year PTU reservation price for GlobalProvisionedManaged" in line.formula
