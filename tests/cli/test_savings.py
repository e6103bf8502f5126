"""Savings through ``aigov scan``: the alternative a user could move to, upper bounds, the headline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from aigov.cli.main import main
from aigov.cost import load_catalog

SEARCH = "Microsoft.Search/searchServices"
ACCOUNT = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT = "Microsoft.CognitiveServices/accounts/deployments"


def _template(path: Path, *resources: dict[str, Any]) -> str:
    document = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": list(resources),
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _search(name: str, tier: str, replicas: int, partitions: int) -> dict[str, Any]:
    return {
        "type": SEARCH,
        "apiVersion": "2025-05-01",
        "name": name,
        "location": "eastus",
        "sku": {"name": tier},
        "tags": {"cost-center": "CC-1", "owner": "ana", "workload": "rag"},
        "properties": {"replicaCount": replicas, "partitionCount": partitions},
    }


def _ptu(capacity: int) -> list[dict[str, Any]]:
    return [
        {
            "type": ACCOUNT,
            "apiVersion": "2025-09-01",
            "name": "acct",
            "location": "eastus",
            "kind": "OpenAI",
            "sku": {"name": "S0"},
            "tags": {"cost-center": "CC-1", "owner": "ana", "workload": "chat"},
        },
        {
            "type": DEPLOYMENT,
            "apiVersion": "2025-09-01",
            "name": "acct/chat",
            "dependsOn": ["[resourceId('Microsoft.CognitiveServices/accounts', 'acct')]"],
            "sku": {"name": "ProvisionedManaged", "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": "gpt-4o", "version": "2024-11-20"}},
        },
    ]


def _scan(*args: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def _finding(report: dict[str, Any], rule: str) -> dict[str, Any]:
    return next(f for f in report["findings"] if f["rule_id"] == rule)


def _rate(family: str, **keys: str) -> float:
    """A bundled catalogue price, so the expected figures follow the catalogue's rows."""
    catalog = load_catalog()
    lookup = {"search_unit": catalog.search_unit_hourly, "openai_ptu": catalog.ptu_hourly}[family]
    match = lookup(keys["sku"], "eastus")
    assert match is not None
    return match.price.unit_price


def test_s3_search_compares_with_s1_at_the_same_replicas_and_partitions(tmp_path: Path) -> None:
    s1, s3 = _rate("search_unit", sku="standard"), _rate("search_unit", sku="standard3")
    assert (s1, s3) == (0.336, 2.688)
    template = _template(
        tmp_path / "main.json", _search("two", "standard3", 2, 1), _search("six", "standard3", 2, 3)
    )
    code, report, _ = _scan(template, "--check", "AIGOV-SKU-005")
    assert code == 1
    costs = {f["resource"]["name"]: f["cost"] for f in report["findings"]}
    assert costs["two"]["monthly_usd"] == round((s3 - s1) * 2 * 730, 2) == 3_433.92
    assert costs["six"]["monthly_usd"] == round((s3 - s1) * 2 * 3 * 730, 2) == 10_301.76
    assert "standard: 0.336 $/h x 2 replicas x 3 partitions x 730 h" in costs["six"]["basis"]
    assert "not compared: free takes at most 1 replicas and 1 partitions" in costs["two"]["basis"]
    assert costs["two"]["saving"] is True
    savings = report["summary"]["possible_savings"]
    assert savings["monthly_usd"] == 3_433.92 + 10_301.76
    assert savings["upper_bound_usd"] == 0.0
    # A saving is not spend: nothing here is a resource's own cost in violation.
    assert report["summary"]["spend_in_violation"]["monthly_usd"] == 0.0


def test_ptu_against_pay_per_token_is_an_upper_bound_without_usage(tmp_path: Path) -> None:
    template = _template(tmp_path / "main.json", *_ptu(100))
    code, report, _ = _scan(template, "--check", "AIGOV-SKU-001")
    assert code == 1
    cost = _finding(report, "AIGOV-SKU-001")["cost"]
    ptu = _rate("openai_ptu", sku="ProvisionedManaged")
    assert cost["monthly_usd"] == round(100 * ptu * 730, 2) == 146_000.00
    assert cost["confidence"] == "estimate"
    assert cost["upper_bound"] is True
    assert cost["basis"].startswith("upper bound: ")
    savings = report["summary"]["possible_savings"]
    assert (savings["exact_usd"], savings["upper_bound_usd"]) == (0.0, 146_000.00)

    result = CliRunner().invoke(main, ["scan", template, "--check", "AIGOV-SKU-001", "--format", "table"])
    headline = " ".join(result.stdout.split())
    wanted = "Possible monthly savings: $0.00 (exact $0.00), plus up to $146,000.00 more as upper bounds"
    assert f"{wanted}, not added" in headline


def test_ptu_against_pay_per_token_with_usage_subtracts_the_same_tokens(tmp_path: Path) -> None:
    template = _template(tmp_path / "main.json", *_ptu(100))
    usage = tmp_path / "usage.yaml"
    usage.write_text(
        "usage:\n  - match: chat\n    monthly_input_tokens: 100000000\n    monthly_output_tokens: 20000000\n",
        encoding="utf-8",
    )
    code, report, _ = _scan(template, "--check", "AIGOV-SKU-001", "--usage", str(usage))
    assert code == 1
    cost = _finding(report, "AIGOV-SKU-001")["cost"]
    catalog = load_catalog()
    tokens = catalog.token_prices("gpt-4o", "2024-11-20", "Standard", "eastus")
    regional = 100 * tokens["input"].price.unit_price + 20 * tokens["output"].price.unit_price
    assert regional == 495.0  # 100M x 2.75 + 20M x 11.00, regional Standard in eastus
    assert cost["monthly_usd"] == round(146_000.00 - regional, 2) == 145_505.00
    assert cost["confidence"] == "estimate"
    assert cost["upper_bound"] is False
    assert "nearest allowed (same data processing scope): Standard: 100,000,000 input tokens" in cost["basis"]
    assert report["summary"]["possible_savings"]["estimated_usd"] == 145_505.00
