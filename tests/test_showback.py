"""Showback through ``aigov scan``: cost and cost at risk by cost center, workload, subscription, family."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.report.json_report import load_schema

FIXTURES = Path(__file__).parent.parent / "fixtures" / "showback"
ESTATE = str(FIXTURES / "estate.json")
USAGE = str(FIXTURES / "usage.yaml")
SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def _scan(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["scan", ESTATE, "--usage", USAGE, "--format", "json", *args])
    assert result.exit_code == 1, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(document, load_schema())
    return document


def _groups(document: dict[str, Any], dimension: str) -> dict[str | None, dict[str, Any]]:
    return {g["group"]: g for g in document["showback"][f"by_{dimension}"]}


@pytest.fixture(scope="module")
def untagged_subscription() -> dict[str, Any]:
    return _scan()


@pytest.fixture(scope="module")
def tagged_subscription() -> dict[str, Any]:
    return _scan("--config", str(FIXTURES / "aigov.yaml"), "--subscription", SUBSCRIPTION)


@pytest.mark.parametrize("dimension", ["cost_center", "workload", "subscription"])
def test_each_grouping_adds_up_to_the_report_totals(
    untagged_subscription: dict[str, Any], dimension: str
) -> None:
    doc = untagged_subscription
    groups = doc["showback"][f"by_{dimension}"]
    assert sum(g["monthly_usd"] for g in groups) == pytest.approx(doc["cost"]["monthly_usd"], abs=0.01)
    assert sum(g["at_risk_usd"] for g in groups) == pytest.approx(
        doc["summary"]["monthly_cost_at_risk_usd"], abs=0.01
    )
    assert sum(g["resources"] for g in groups) == len(doc["cost"]["resources"])


def test_deployments_carry_their_accounts_cost_center(untagged_subscription: dict[str, Any]) -> None:
    by_center = _groups(untagged_subscription, "cost_center")
    # acct-fin's tag is spelled Cost-Center: tag names match case-insensitively, as in Azure.
    fin = by_center["CC-100"]
    assert fin["resources"] == 2  # its chat and ptu deployments
    prices = {r["address"]: r["monthly_usd"] for r in untagged_subscription["cost"]["resources"]}
    chat = next(a for a in prices if a.endswith("acct-fin/deployments/chat"))
    ptu = next(a for a in prices if a.endswith("acct-fin/deployments/ptu"))
    assert fin["monthly_usd"] == pytest.approx(prices[chat] + prices[ptu])


def test_untagged_spend_has_its_own_line(untagged_subscription: dict[str, Any]) -> None:
    untagged = _groups(untagged_subscription, "cost_center")[None]
    assert untagged["kind"] == "untagged"
    assert untagged["label"] == "(untagged)"
    # acct-shared's deployment has no tag anywhere; the search service's tag is empty.
    assert untagged["resources"] == 2
    assert untagged["monthly_usd"] > 0
    lines = untagged_subscription["showback"]["by_cost_center"]
    assert lines[-1]["group"] is None  # listed last, after the named groups


def test_subscription_tags_are_inherited_when_the_resource_has_none(
    untagged_subscription: dict[str, Any], tagged_subscription: dict[str, Any]
) -> None:
    before = _groups(untagged_subscription, "cost_center")
    after = _groups(tagged_subscription, "cost_center")
    assert None not in after  # the empty tag on the search service falls through to the subscription
    assert after["CC-SUB"]["monthly_usd"] == pytest.approx(before[None]["monthly_usd"])
    assert after["CC-100"]["monthly_usd"] == pytest.approx(before["CC-100"]["monthly_usd"])
    subs = tagged_subscription["showback"]["by_subscription"]
    assert [(s["group"], s["label"]) for s in subs] == [(SUBSCRIPTION, "corp-ai-dev")]
    # A template without --subscription does not know its subscription until deployment.
    unknown = untagged_subscription["showback"]["by_subscription"]
    assert [s["kind"] for s in unknown] == ["unknown"]


def test_rule_families_list_their_findings_and_cost_at_risk(untagged_subscription: dict[str, Any]) -> None:
    families = _groups(untagged_subscription, "rule_family")
    counted: dict[str, int] = {}
    for finding in untagged_subscription["findings"]:
        counted[finding["category"]] = counted.get(finding["category"], 0) + 1
    assert {name: g["findings"] for name, g in families.items()} == counted
    # The rate family carries no cost of its own (a notice), whatever its resources cost.
    assert families["rate"]["at_risk_usd"] == 0
    assert families["rate"]["monthly_usd"] > 0


def test_cost_per_1000_requests_where_requests_are_known(untagged_subscription: dict[str, Any]) -> None:
    units = untagged_subscription["showback"]["unit_costs"]
    assert [u["address"].rsplit("/", 1)[-1] for u in units] == ["chat"]
    chat = units[0]
    assert chat["monthly_requests"] == 50000
    assert chat["cost_per_1000_requests"] == pytest.approx(chat["monthly_usd"] / 50, abs=1e-4)
    fin = _groups(untagged_subscription, "cost_center")["CC-100"]
    # The cost center's unit cost is over the resources whose requests are known: the chat deployment.
    assert fin["monthly_requests"] == 50000
    assert fin["cost_per_1000_requests"] == pytest.approx(chat["cost_per_1000_requests"])
    assert _groups(untagged_subscription, "cost_center")[None]["cost_per_1000_requests"] is None


def test_table_and_markdown_show_the_showback() -> None:
    runner = CliRunner()
    table = runner.invoke(main, ["scan", ESTATE, "--usage", USAGE, "--format", "table"])
    assert "Showback" in table.stdout
    row = next(line for line in table.stdout.splitlines() if line.strip().startswith("CC-100"))
    assert "$73,450.00" in row
    assert "$9.0000" in row
    markdown = runner.invoke(main, ["scan", ESTATE, "--usage", USAGE, "--format", "markdown"])
    assert "| CC-100 | \\$73,450.00 |" in markdown.stdout
    assert "| (untagged) |" in markdown.stdout


def test_cost_center_tag_name_is_configurable(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("cost_center_tag: owner\n", encoding="utf-8")
    doc = _scan("--config", str(config))
    assert doc["showback"]["cost_center_tag"] == "owner"
    assert set(_groups(doc, "cost_center")) == {"ana", None}


def test_a_misspelt_cost_center_setting_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("cost_centre_tag: owner\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", ESTATE, "--config", str(config)])
    assert result.exit_code == 2
    assert "cost_centre_tag" in result.output
    assert "Traceback" not in result.output


def test_a_tag_computed_at_apply_has_its_own_line() -> None:
    plan = Path(__file__).parent.parent / "fixtures" / "terraform_plan" / "unknown_values.json"
    result = CliRunner().invoke(main, ["scan", str(plan), "--format", "json"])
    document = json.loads(result.stdout)
    jsonschema.validate(document, load_schema())
    kinds = {g["kind"]: g for g in document["showback"]["by_cost_center"]}
    assert kinds["unknown"]["label"] == "(known after apply)"
    assert kinds["unknown"]["group"] == "(known after apply)"
    assert isinstance(kinds["unknown"]["monthly_usd"], float)
    total = sum(g["monthly_usd"] for g in kinds.values())
    assert total == pytest.approx(document["cost"]["monthly_usd"], abs=0.01)
