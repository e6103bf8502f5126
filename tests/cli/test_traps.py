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
