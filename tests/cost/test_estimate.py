"""``aigov estimate`` internals: rows, totals, JSON, comparison and the FOCUS CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aigov.cost import load_catalog
from aigov.cost.estimate import Estimate, compare, load_base, run_estimate, to_json
from aigov.cost.focus import COLUMNS, charge_period, render_focus_csv
from aigov.cost.model import PricingTerms
from aigov.cost.usage import load_usage
from aigov.errors import AigovError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PLAN = str(FIXTURES / "terraform_plan" / "example.json")
USAGE = FIXTURES / "cost" / "usage.yaml"
NOW = datetime(2026, 12, 15, 9, 30, tzinfo=UTC)


def _estimate(terms: PricingTerms | None = None) -> Estimate:
    return run_estimate([PLAN], load_catalog(), now=NOW, usage=load_usage(USAGE), terms=terms)


def test_every_billed_resource_has_a_row_and_the_total_adds_up() -> None:
    estimate = _estimate()
    by_address = {r.address: r for r in estimate.rows}
    assert set(by_address) == {
        'azurerm_cognitive_deployment.reports["chat"]',
        'azurerm_cognitive_deployment.reports["ptu"]',
        "azurerm_machine_learning_compute_cluster.gpu",
        "module.ai.azurerm_cognitive_deployment.tuned",
        "module.ai.azurerm_search_service.support",
    }
    chat = by_address['azurerm_cognitive_deployment.reports["chat"]']
    assert chat.monthly_usd == 27.0  # gpt-4o-mini: 100M x 0.15 + 20M x 0.60
    assert chat.cost_per_1000_requests == 0.54  # 27.00 / 50,000 requests x 1,000
    assert by_address['azurerm_cognitive_deployment.reports["ptu"]'].monthly_usd == 43_800.0
    assert estimate.total_monthly_usd == 88_707.75
    assert estimate.total_monthly_usd == round(sum(r.monthly_usd or 0 for r in estimate.rows), 2)
    assert estimate.unknown == 0


def test_discount_keeps_the_list_figure() -> None:
    estimate = _estimate(PricingTerms(discount_percent=10))
    assert estimate.discounted
    assert estimate.total_list_monthly_usd == 88_707.75
    assert estimate.total_monthly_usd == pytest.approx(88_707.75 * 0.9, abs=0.05)


def test_json_shape() -> None:
    document = to_json(_estimate())
    assert document["total_monthly_usd"] == 88_707.75
    assert document["currency"] == "USD"
    assert document["catalog"]["name"] == "bundled"
    row = document["resources"][0]
    assert {"address", "name", "type", "monthly_usd", "basis", "confidence"} <= set(row)
    json.dumps(document)


def test_compare_to_a_saved_estimate(tmp_path: Path) -> None:
    estimate = _estimate()
    saved = to_json(estimate)
    saved["resources"] = [r for r in saved["resources"] if "ptu" not in r["address"]]
    saved["resources"][0]["monthly_usd"] = 20.0
    saved["resources"].append({"address": "gone", "monthly_usd": 5.0})
    base_file = tmp_path / "base.json"
    base_file.write_text(json.dumps(saved), encoding="utf-8")
    comparison = compare(estimate, load_base(base_file), str(base_file))
    changes = {d.address: (d.change, d.delta_usd) for d in comparison.deltas}
    assert changes['azurerm_cognitive_deployment.reports["ptu"]'] == ("added", 43_800.0)
    assert changes['azurerm_cognitive_deployment.reports["chat"]'] == ("changed", 7.0)
    assert changes["gone"] == ("removed", -5.0)
    assert comparison.total_delta == round(88_707.75 - comparison.before_total, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [("{", "invalid JSON"), ('{"findings": []}', "no `resources` list"), ('{"resources": [{}]}', "address")],
)
def test_bad_base_estimate(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AigovError, match=message):
        load_base(path)


def test_focus_csv() -> None:
    text = render_focus_csv(_estimate(PricingTerms(discount_percent=10)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == COLUMNS
    chat = next(r for r in rows if r["ResourceId"] == 'azurerm_cognitive_deployment.reports["chat"]')
    assert chat["ServiceName"] == "Azure AI Services"
    assert chat["ServiceCategory"] == "AI and Machine Learning"
    assert chat["ListCost"] == "27.00"
    assert chat["EffectiveCost"] == "24.30"
    assert chat["BillingCurrency"] == "USD"
    assert chat["ChargePeriodStart"] == "2026-12-01T00:00:00Z"
    assert chat["ChargePeriodEnd"] == "2027-01-01T00:00:00Z"
    assert chat["SkuId"].startswith("GlobalStandard gpt-4o-mini")
    assert "negotiated discount" in chat["x_Basis"]
    # A deployment has no tags of its own: it carries its account's.
    assert json.loads(chat["Tags"]) == {
        "cost-center": "cc-4410",
        "environment": "prod",
        "workload": "invoice-reader",
    }
    search = next(r for r in rows if r["ResourceType"] == "Microsoft.Search/searchServices")
    assert search["ServiceName"] == "Azure AI Search"
    # The example's eastus2 service is priced from that region's own Retail Prices API answer.
    assert search["x_Confidence"] == "exact"
    assert "(standard3, eastus2, price effective 2016-12-01" in search["x_Basis"]


def test_charge_period_wraps_the_year() -> None:
    assert charge_period(datetime(2026, 12, 31, tzinfo=UTC)) == (
        "2026-12-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    )
    assert charge_period(datetime(2026, 2, 3, tzinfo=UTC)) == ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")


def test_an_unread_input_is_a_row_of_unknown_cost(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "x" {\n  source = "Azure/x/azurerm"\n}\n')
    estimate = run_estimate([str(tmp_path)], load_catalog(), now=NOW)
    (row,) = estimate.rows
    assert (row.address, row.monthly_usd, row.confidence) == ("module.x", None, "unknown")
    assert row.basis.startswith(
        "input not read: module source Azure/x/azurerm (not installed; run terraform init)"
    )
    assert estimate.unknown == 1
    assert sum("module.x" in line for line in render_focus_csv(estimate).splitlines()) == 1
