"""Budgets at night: ``aigov scan azure`` checks aigov.yaml's budgets against the live estate's cost."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from fake_arm import FakeArm

from aigov.cli.main import main
from aigov.cost.catalog import load_catalog
from aigov.model import HOURS_PER_MONTH

PROD = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod/providers"
PTU = f"{PROD}/Microsoft.CognitiveServices/accounts/oai-prod-eastus/deployments/reports-ptu"
FT = f"{PROD}/Microsoft.CognitiveServices/accounts/oai-prod-eastus/deployments/invoice-ft"
CHAT = f"{PROD}/Microsoft.CognitiveServices/accounts/oai-prod-eastus/deployments/chat"
SEARCH = f"{PROD}/Microsoft.Search/searchServices/search-prod"


def _figures() -> dict[str, float]:
    """The estate's cost-center CC-1001 resources, priced from the bundled catalogue's rows."""
    catalog = load_catalog(None)
    ptu = catalog.ptu_hourly("ProvisionedManaged", "eastus")
    ft = catalog.ft_hosting_hourly("Standard", "eastus")
    search = catalog.search_unit_hourly("standard", "eastus")
    assert ptu is not None
    assert ft is not None
    assert search is not None
    return {
        PTU: round(50 * ptu.price.unit_price * HOURS_PER_MONTH, 2),  # 50 PTU
        FT: round(ft.price.unit_price * HOURS_PER_MONTH, 2),
        SEARCH: round(search.price.unit_price * HOURS_PER_MONTH, 2),  # 1 replica x 1 partition
    }


def test_a_nightly_scan_reports_a_budget_over_its_limit(arm: FakeArm, tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "budgets:\n"
        "  - name: finance-ai\n    match: {tags: {cost-center: cc-1001}}\n    monthly_usd: 50000\n"
        "  - name: nothing\n    match: {workload: no-such-workload}\n    monthly_usd: 10\n",
        encoding="utf-8",
    )
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--config", str(config), "--format", "json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    document = json.loads(result.stdout)
    figures = _figures()
    by_address = {r["address"].lower(): r["monthly_usd"] for r in document["cost"]["resources"]}
    for address, figure in figures.items():
        assert by_address[address.lower()] == figure
    finance, nothing = document["budgets"]
    spend = round(sum(figures.values()), 2)
    assert (finance["state"], finance["forecast_usd"]) == ("over", spend)
    assert finance["over_usd"] == round(spend - 50000, 2)
    assert finance["unknown_resources"] == 1  # the pay-per-token chat deployment, no token metrics
    assert {r["address"].lower() for r in finance["resources"]} == {a.lower() for a in [*figures, CHAT]}
    assert nothing["state"] == "empty"
    over = [f for f in document["findings"] if f["rule_id"] == "AIGOV-BUDGET-001"]
    failing = [f for f in document["findings"] if f["fails_gate"]]
    assert [f["rule_id"] for f in failing].count("AIGOV-BUDGET-001") == 1
    assert [(f["severity"], f["cost"]["monthly_usd"]) for f in over] == [
        ("high", round(spend - 50000, 2)),
        ("info", 0.0),
    ]
    # The fixture estate leaves a scope unread (partial: exit 3, which wins over 1); the budget's
    # finding fails the gate all the same (fails_gate above).
    assert result.exit_code == 3
