"""AIGOV-MODEL-001/002/003 through ``aigov scan``: self-hosted and third-party models, allow-lists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main

TEMPLATE = str(Path(__file__).resolve().parents[2] / "fixtures" / "models" / "hosted.json")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIGOV_CACHE_DIR", str(tmp_path / "cache"))  # the bundled prices, not a refreshed copy


def scan(*args: str) -> Result:
    command = ["scan", TEMPLATE, "--check", "AIGOV-MODEL-*", "--format", "json", *args]
    return CliRunner().invoke(main, command, catch_exceptions=False)


def findings(result: Result) -> dict[str, dict[str, Any]]:
    return {f["rule_id"]: f for f in json.loads(result.stdout)["findings"]}


def test_nothing_allowed_by_default_each_with_its_cost() -> None:
    result = scan()
    assert result.exit_code == 1, result.output
    found = findings(result)
    assert set(found) == {"AIGOV-MODEL-001", "AIGOV-MODEL-002", "AIGOV-MODEL-003"}
    gpu = found["AIGOV-MODEL-001"]
    assert gpu["resource"]["address"].endswith("onlineEndpoints/chat/deployments/llama")
    # 2 instances x 3.673 $/h (Linux Standard_NC24ads_A100_v4, eastus) x 730 h.
    assert gpu["cost"]["monthly_usd"] == 5362.58
    assert gpu["cost"]["basis"].startswith(
        "2 instances x 3.673 $/h x 730 h (Standard_NC24ads_A100_v4, eastus"
    )
    assert "serves Meta-Llama-3-8B-Instruct (publisher azureml-meta)" in found["AIGOV-MODEL-002"]["message"]
    # Marketplace and third-party token prices are not in the catalogue: unknown, never a guess.
    assert found["AIGOV-MODEL-002"]["cost"]["monthly_usd"] is None
    assert found["AIGOV-MODEL-003"]["cost"]["monthly_usd"] is None
    assert "deploys DeepSeek-R1 (publisher DeepSeek, format DeepSeek)" in found["AIGOV-MODEL-003"]["message"]


def test_allow_lists_in_the_configuration(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "rules:\n"
        "  AIGOV-MODEL-001:\n"
        "    parameters:\n"
        "      allowed_instance_types: [Standard_NC24ads_A100_v4]\n"
        "      allowed_publishers: [azureml-meta]\n"
        "  AIGOV-MODEL-002: {parameters: {allowed_models: [Meta-Llama-3-8B-Instruct]}}\n"
        "  AIGOV-MODEL-003: {parameters: {allowed_publishers: [DeepSeek]}}\n",
        encoding="utf-8",
    )
    result = scan("--config", str(config))
    assert result.exit_code == 0, result.output
    assert findings(result) == {}


def test_a_misspelt_allow_list_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "aigov.yaml"
    config.write_text(
        "rules:\n  AIGOV-MODEL-001: {parameters: {allowed_instance_type: [x]}}\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["scan", TEMPLATE, "--config", str(config)])
    assert result.exit_code == 2
    assert "allowed_instance_type" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_workspace_costs_what_its_online_deployments_and_endpoints_cost() -> None:
    # The online deployment's endpoint is not a resource aigov evaluates: the deployment's parent is its
    # workspace, which is priced and tagged with it (here by AIGOV-TAG-001's finding on the workspace).
    result = CliRunner().invoke(
        main, ["scan", TEMPLATE, "--check", "AIGOV-TAG-001", "--format", "json"], catch_exceptions=False
    )
    document = json.loads(result.stdout)
    workspace = next(f for f in document["findings"] if f["resource"]["name"] == "ml-research")
    assert (
        workspace["cost"]["monthly_usd"] == 5362.58
    )  # the GPU deployment; the serverless endpoint is unknown
    assert workspace["cost"]["partial"] is True
    assert workspace["cost"]["basis"].startswith("llama: 2 instances x 3.673 $/h x 730 h")
    # The estimate's rows are the billed children; the workspace is not a row of its own.
    rows = {r["address"].rsplit("/", 1)[-1]: r["monthly_usd"] for r in document["cost"]["resources"]}
    assert rows["llama"] == 5362.58
    assert rows["llama3"] is None
    assert "ml-research" not in rows
