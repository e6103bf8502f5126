"""A count no deployment can have (negative, NaN, infinite, huge) is an input error, never a cost."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.cost import CostModel, load_catalog
from aigov.errors import SourceError
from aigov.model import Inventory, Origin, Resource

ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"
SEARCH = "Microsoft.Search/searchServices"
PLAN = Path(__file__).resolve().parents[2] / "fixtures" / "terraform_plan" / "example.json"


@pytest.fixture(scope="module")
def costs() -> CostModel:
    return CostModel(load_catalog())


def _origin() -> Origin:
    return Origin("arm", file="azuredeploy.json", line=12, address="acct/ptu")


@pytest.mark.parametrize("capacity", [-5, "-5", float("nan"), "NaN", float("inf"), "Infinity", 10**400])
def test_a_bad_ptu_count_is_an_input_error_at_the_resource(costs: CostModel, capacity: Any) -> None:
    account = Resource("acct", ACCOUNT, "acct", {"location": "eastus", "kind": "OpenAI"}, _origin())
    body = {
        "sku": {"name": "ProvisionedManaged", "capacity": capacity},
        "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}},
    }
    deployment = Resource("ptu", DEPLOYMENT, "ptu", body, _origin(), parent_key="acct")
    with pytest.raises(SourceError) as caught:
        costs.monthly_cost(deployment, Inventory([account, deployment]))
    assert caught.value.file == "azuredeploy.json"
    assert caught.value.where == "line 12, acct/ptu"
    assert caught.value.message.startswith("sku.capacity is ")
    assert caught.value.message.endswith(": a count must be a finite number, 0 or more")


def test_a_negative_replica_count_is_an_input_error(costs: CostModel) -> None:
    body = {"location": "eastus", "sku": {"name": "standard"}, "properties": {"replicaCount": -2}}
    search = Resource("docs", SEARCH, "docs", body, _origin())
    with pytest.raises(SourceError, match=r"properties.replicaCount is -2: a count must be"):
        costs.monthly_cost(search, Inventory([search]))


def test_a_plan_with_a_negative_capacity_fails_the_scan_in_one_line(tmp_path: Path) -> None:
    plan = json.loads(PLAN.read_text(encoding="utf-8"))
    for change in plan["resource_changes"]:
        after = change["change"]["after"]
        if change["type"] == "azurerm_cognitive_deployment" and after is not None:
            after["sku"][0]["capacity"] = -30
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(plan), encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(bad)], catch_exceptions=False)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {bad}: ")
    assert lines[0].endswith("sku.capacity is -30: a count must be a finite number, 0 or more")
