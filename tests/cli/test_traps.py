"""No silent traps that change the numbers (issue 9 item 4), through the commands a user runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.cost import load_catalog

SEARCH = "Microsoft.Search/searchServices"
TAGS = {"cost-center": "CC-1", "owner": "ana", "workload": "rag"}


def _template(path: Path, *resources: dict[str, Any]) -> str:
    document = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": list(resources),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _search(
    name: str = "rag",
    replicas: int = 3,
    partitions: int = 2,
    tags: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "type": SEARCH,
        "apiVersion": "2025-05-01",
        "name": name,
        "location": "eastus",
        "sku": {"name": "standard"},
        "tags": TAGS if tags is None else tags,
        "properties": {"replicaCount": replicas, "partitionCount": partitions},
        **extra,
    }


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _s1() -> float:
    match = load_catalog().search_unit_hourly("standard", "eastus")
    assert match is not None
    return match.price.unit_price


# ---------------------------------------------------------------- partitions


def test_estimate_bills_replicas_times_partitions(tmp_path: Path) -> None:
    template = _template(tmp_path / "main.json", _search(replicas=3, partitions=2))
    result = _run("estimate", template, "--format", "json")
    assert result.exit_code == 0, result.output
    (resource,) = json.loads(result.stdout)["resources"]
    assert resource["monthly_usd"] == round(_s1() * 3 * 2 * 730, 2) == 1_471.68
    assert resource["basis"].startswith("0.336 $/h x 3 replicas x 2 partitions x 730 h")


def test_a_finding_on_a_partitioned_search_service_costs_every_search_unit(tmp_path: Path) -> None:
    untagged = _search(replicas=2, partitions=6, tags={"owner": "ana", "workload": "rag"})
    template = _template(tmp_path / "main.json", untagged)
    result = _run("scan", template, "--check", "AIGOV-TAG-001", "--format", "json")
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["cost"]["monthly_usd"] == round(_s1() * 2 * 6 * 730, 2) == 2_943.36


# ---------------------------------------------------------------- whitespace tags


def test_a_tag_of_only_whitespace_does_not_satisfy_a_required_tag(tmp_path: Path) -> None:
    blank = _search(tags={"cost-center": "  ", "owner": "\t", "workload": "rag"})
    template = _template(tmp_path / "main.json", blank, _search("tagged"))
    result = _run("scan", template, "--check", "AIGOV-TAG-*", "--format", "json")
    assert result.exit_code == 1
    findings = json.loads(result.stdout)["findings"]
    assert [(f["rule_id"], f["resource"]["name"]) for f in findings] == [("AIGOV-TAG-001", "rag")]
    assert findings[0]["message"].endswith("is missing cost-allocation tags: cost-center, owner")
    assert findings[0]["cost"]["monthly_usd"] == 1_471.68


# ---------------------------------------------------------------- region names

SEARCH_TF = """
variable "location" {
  type    = string
  default = "eastus"
}

resource "azurerm_search_service" "rag" {
  name                = "srch-rag"
  resource_group_name = "rg"
  location            = var.location
  sku                 = "standard"
  replica_count       = 2
  partition_count     = 1
  tags                = { cost-center = "CC-1", owner = "ana", workload = "rag" }
}
"""


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    return line


def test_a_default_region_no_azure_cloud_knows_is_an_error_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text("pricing:\n  default_region: east-us\n", encoding="utf-8")
    template = _template(tmp_path / "main.json", _search())
    for command in ("scan", "estimate"):
        line = _one_error_line(_run(command, template, "--config", str(config)))
        assert line == (
            f"error: {config}: line 2: $.pricing.default_region: 'east-us' is not an Azure region; "
            "nearest: eastus, eastus2, westus"
        )


def test_a_reservation_region_typo_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "pricing:\n  reservations:\n"
        "    - {deployment_type: GlobalProvisionedManaged, ptu: 50, region: swedencentrall}\n",
        encoding="utf-8",
    )
    line = _one_error_line(
        _run("scan", _template(tmp_path / "main.json", _search()), "--config", str(config))
    )
    assert (
        "$.pricing.reservations[0].region: 'swedencentrall' is not an Azure region; nearest: swedencentral"
        in line
    )


def test_a_var_typo_reaching_a_resource_location_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(SEARCH_TF, encoding="utf-8")
    line = _one_error_line(_run("scan", str(tmp_path), "--var", "location=westeu"))
    assert line == (
        f"error: {tmp_path / 'main.tf'}: line 7, azurerm_search_service.rag: location 'westeu' is not an "
        "Azure region; nearest: westeurope, westus, westus3"
    )
    # The same plan with a real region is priced as usual.
    result = _run(
        "scan", str(tmp_path), "--var", "location=East US", "--check", "AIGOV-TAG-*", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    (resource,) = json.loads(result.stdout)["cost"]["resources"]
    assert resource["monthly_usd"] == round(_s1() * 2 * 730, 2) == 490.56


def test_a_real_region_without_a_price_is_no_error(tmp_path: Path) -> None:
    template = _template(
        tmp_path / "main.json", {**_search(replicas=1, partitions=1), "location": "chilecentral"}
    )
    result = _run("estimate", template, "--format", "json")
    assert result.exit_code == 0, result.output
    (resource,) = json.loads(result.stdout)["resources"]
    # No chilecentral row: priced at the catalogue's default region, an estimate that says so.
    assert resource["monthly_usd"] == round(_s1() * 730, 2) == 245.28
    assert resource["confidence"] == "estimate"
    assert "region chilecentral not in catalogue; priced at eastus" in resource["basis"]


def test_prices_refresh_refuses_a_region_typo_before_any_request() -> None:
    line = _one_error_line(_run("prices", "refresh", "--region", "eastus", "--region", "uk-south"))
    assert line == "error: --region 'uk-south' is not an Azure region; nearest: uksouth, koreasouth, ukwest"


# ---------------------------------------------------------------- usage entries and globs

OPENAI_TF = """
resource "azurerm_cognitive_account" "main" {
  name                = "oai-chat"
  resource_group_name = "rg"
  location            = "eastus"
  kind                = "OpenAI"
  sku_name            = "S0"
  tags                = { cost-center = "CC-1", owner = "ana", workload = "chat" }
}

resource "azurerm_cognitive_deployment" "chat" {
  for_each             = toset(["gpt4o"])
  name                 = "chat-${each.key}"
  cognitive_account_id = azurerm_cognitive_account.main.id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name     = "GlobalStandard"
    capacity = 10
  }
}
"""

USAGE = """usage:
  - match: 'azurerm_cognitive_deployment.chat["gpt4o"]'
    monthly_input_tokens: 100000000
    monthly_output_tokens: 20000000
  - match: "chat-gtp*"
    monthly_input_tokens: 1
"""


def test_a_usage_entry_with_a_key_matches_and_one_that_matches_nothing_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(OPENAI_TF, encoding="utf-8")
    usage = tmp_path / "usage.yaml"
    usage.write_text(USAGE, encoding="utf-8")
    warning = (
        "usage entry usage.yaml:5 'chat-gtp*' matches no Azure OpenAI deployment in the inputs "
        "(address, key, name or account/deployment): its usage prices nothing"
    )

    result = _run("estimate", str(tmp_path), "--usage", str(usage), "--format", "json")
    assert result.exit_code == 0, result.output
    (row,) = [r for r in json.loads(result.stdout)["resources"] if r["name"] == "chat-gpt4o"]
    tokens = load_catalog().token_prices("gpt-4o", "2024-11-20", "GlobalStandard", "eastus")
    expected = round(100 * tokens["input"].price.unit_price + 20 * tokens["output"].price.unit_price, 2)
    assert row["monthly_usd"] == expected == 450.0  # the address with ["gpt4o"] matched itself
    assert result.stderr.splitlines() == [f"warning: {warning}"]

    scanned = _run("scan", str(tmp_path), "--usage", str(usage), "--check", "AIGOV-TAG-*", "--format", "json")
    assert scanned.exit_code == 0, scanned.output
    report = json.loads(scanned.stdout)
    assert warning in report["warnings"]
    assert [r["monthly_usd"] for r in report["cost"]["resources"]] == [450.0]
