"""``aigov scan azure --carbon``: monthly emissions per AI resource from the Carbon Optimization API.

The fake ARM serves the API's documented shapes (the available date range,
then an ItemDetailsReport by Resource, paged by ``skipToken``) for the real
SDK client; AIGOV-CARBON-001 reads what the scan found.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result
from fake_arm import FakeArm, Fault

from aigov.cli.main import main
from aigov.live.carbon import Emissions, carbon_context
from aigov.model import Origin, Resource

PROD = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-ai-prod/providers"
EASTUS = f"{PROD}/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
SEARCH = f"{PROD}/Microsoft.Search/searchServices/search-prod"
CARBON = "/providers/Microsoft.Carbon/"


def scan(arm: FakeArm, *extra: str) -> tuple[Result, dict[str, Any]]:
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
    result = CliRunner().invoke(main, [*args, "--format", "json", *extra])
    assert result.exit_code in (0, 1, 3), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return result, document


def carbon_findings(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f["resource"]["key"].lower(): f for f in document["findings"] if f["rule_id"] == "AIGOV-CARBON-001"
    }


def test_emissions_per_ai_resource_and_the_ceiling(arm: FakeArm, tmp_path: Path) -> None:
    arm.estate.carbon = {EASTUS.lower(): 1250.4, SEARCH.lower(): 80.0}
    _, document = scan(arm, "--carbon")
    carbon = document["live"]["carbon"]
    assert carbon["read"] is True
    assert carbon["month"] == "2026-10"
    assert carbon["source"].startswith("https://learn.microsoft.com/")
    rows = {r["address"].lower(): r for r in carbon["resources"]}
    assert set(rows) == {EASTUS.lower(), SEARCH.lower()}
    assert rows[EASTUS.lower()]["monthly_kg"] == 1250.4
    assert carbon["total_kg"] == 1330.4
    assert document["live"]["api_calls"]["carbon"] == 2  # the date range, then one page of items

    findings = carbon_findings(document)
    over = findings[EASTUS.lower()]
    assert over["outcome"] == "violation"
    assert "emitted 1250.4 kgCO2e in 2026-10 (over 1000;" in over["message"]
    assert SEARCH.lower() not in findings  # 80 kg, under the default ceiling
    # An AI resource the report does not list has unknown emissions, never zero.
    unlisted = [f for key, f in findings.items() if key not in (EASTUS.lower(), SEARCH.lower())]
    assert unlisted
    assert {f["outcome"] for f in unlisted} == {"undetermined"}
    assert {f["severity"] for f in unlisted} == {"info"}

    # The ceiling is the rule's parameter: aigov.yaml lowers it.
    config = tmp_path / "aigov.yaml"
    config.write_text("rules:\n  AIGOV-CARBON-001: {parameters: {max_monthly_kg: 50}}\n", encoding="utf-8")
    _, lowered = scan(arm, "--carbon", "--config", str(config))
    assert carbon_findings(lowered)[SEARCH.lower()]["outcome"] == "violation"


def test_emissions_per_million_tokens_use_the_accounts_observed_tokens(arm: FakeArm) -> None:
    arm.estate.carbon = {EASTUS.lower(): 1250.4}
    _, document = scan(arm, "--carbon")
    (row,) = [r for r in document["live"]["carbon"]["resources"] if r["address"].lower() == EASTUS.lower()]
    chat = [
        r
        for r in document["cost"]["resources"]
        if r["address"].lower() == EASTUS.lower() + "/deployments/chat"
    ]
    assert chat[0]["monthly_requests"] > 0  # the fixture's chat deployment serves observed traffic
    assert row["kg_per_1m_tokens"] > 0


def test_kg_per_million_tokens_is_the_month_over_the_accounts_token_run_rate() -> None:
    account = Resource(
        key="acct", type="Microsoft.CognitiveServices/accounts", name="a", body={}, origin=Origin("azure")
    )
    chat = Resource(
        key="acct/deployments/chat",
        type="Microsoft.CognitiveServices/accounts/deployments",
        name="chat",
        body={},
        origin=Origin("azure"),
        parent_key="acct",
    )
    # 30 days of 72M prompt and 36M completion tokens: a month (730 h) of 73M + 36.5M = 109.5M tokens.
    usage = {chat.key: {"prompt_tokens_30d": 72_000_000, "completion_tokens_30d": 36_000_000}}
    facts = carbon_context(Emissions("2026-10", {"acct": 219.0}), [account, chat], usage)
    assert facts == {"acct": {"monthly_kg": 219.0, "month": "2026-10", "kg_per_1m_tokens": 2.0}}
    assert carbon_context(Emissions(None, error="HTTP 403"), [account, chat], usage) is None
    assert carbon_context(Emissions("2026-10", {}), [account, chat], usage) == {}


def test_a_credential_that_cannot_read_emissions_says_so_and_the_scan_goes_on(arm: FakeArm) -> None:
    plain, without = scan(arm)
    assert without["live"]["carbon"] is None
    assert "carbon" not in without["live"]["api_calls"]
    arm.estate.carbon = {EASTUS.lower(): 1250.4}
    arm.faults = [Fault(CARBON, 403, times=100)]
    result, document = scan(arm, "--carbon")
    carbon = document["live"]["carbon"]
    assert carbon["read"] is False
    assert "403" in carbon["error"]
    assert any(w.startswith("carbon: emissions not read (") for w in document["warnings"])
    assert not carbon_findings(document)
    assert result.exit_code == plain.exit_code  # neither a failure nor a partial scan
    assert document["live"]["not_scanned"] == without["live"]["not_scanned"]


def test_the_table_report_has_a_carbon_line(arm: FakeArm) -> None:
    arm.estate.carbon = {EASTUS.lower(): 1250.4, SEARCH.lower(): 80.0}
    args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url, "--carbon"]
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, args)
    assert (
        "Carbon (2026-10, kgCO2e (scopes 1-3), Azure Carbon Optimization): 1,330.4 kg from 2 AI resources"
        in (result.stdout)
    )


def test_carbon_is_for_the_live_scan_only(tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_plan" / "example.json"
    result = CliRunner().invoke(main, ["scan", str(plan), "--carbon"])
    assert result.exit_code == 2
    assert "--carbon" in result.stderr
    assert "apply to `aigov scan azure` only" in result.stderr
