"""Azure ML online deployments and serverless endpoints in the live scan (AIGOV-MODEL-001/002).

The fake estate's workspace ``mlw-research`` (dev subscription, eastus) holds three online
endpoints: ``chat`` (one Standard_NC24ads_A100_v4 instance serving Llama-2-7b-chat),
``scoring`` (three CPU deployments, two pages) and ``onprem`` (a Kubernetes deployment), and
the serverless endpoint ``mistral-large`` (a third-party model billed through the marketplace).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

from aigov.cli.main import main
from aigov.config import Config, load_config
from aigov.cost.model import CostModel
from aigov.gate import ExitCode, exit_code
from aigov.live.command import AzureCommand, run_azure
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import Inventory, Severity
from aigov.scan import ScanOptions, load_prices

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
DEV = "00000000-0000-0000-0000-0000000000a2"
WORKSPACE = (
    f"/subscriptions/{DEV}/resourceGroups/rg-ml-dev/providers/Microsoft.MachineLearningServices"
    "/workspaces/mlw-research"
)
ONLINE = "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments"
SERVERLESS = "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints"
FORBIDDEN = {
    "error": {
        "code": "AuthorizationFailed",
        "message": "The client does not have authorization to perform action "
        "'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read'.",
    }
}


def scan(arm: FakeArm, config: Config | None = None) -> LiveScan:
    options = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
    )
    return scan_live(config or Config(), now=NOW, options=options)


def model_findings(live: LiveScan) -> dict[tuple[str, str], float | None]:
    return {
        (f.rule_id, str(f.resource.name)): f.cost.monthly_usd
        for f in live.result.findings
        if f.rule_id.startswith("AIGOV-MODEL-")
    }


def cli(arm: FakeArm, *args: str) -> tuple[int, dict[str, Any]]:
    command = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
    result = CliRunner().invoke(main, [*command, "--format", "json", *args], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


class TestListed:
    def test_every_online_deployment_and_serverless_endpoint_is_a_live_resource_of_its_workspace(
        self, arm: FakeArm
    ) -> None:
        live = scan(arm)
        listed = {r.name: r for r in live.result.resources if r.type in {ONLINE, SERVERLESS}}
        assert set(listed) == {"llama", "blue", "green", "canary", "gpu-cluster", "mistral-large"}
        llama = listed["llama"]
        assert llama.address == f"{WORKSPACE}/onlineEndpoints/chat/deployments/llama"
        assert llama.key == llama.address.lower()
        assert llama.origin.source == "azure"
        assert llama.subscription_id == DEV
        assert llama.resource_group == "rg-ml-dev"
        # The endpoint is in no inventory: the workspace is the nearest parent (region, tags, owner).
        assert {r.parent_key for r in listed.values()} == {WORKSPACE.lower()}
        assert llama.body["properties"]["endpointComputeType"] == "Managed"
        assert listed["mistral-large"].body["sku"] == {"name": "Consumption"}
        assert live.result.not_scanned == ()

    def test_pages_are_followed_by_next_link_and_counted_by_kind(self, arm: FakeArm) -> None:
        live = scan(arm)
        # Two items a page: three endpoints take two pages, the scoring endpoint's three deployments too.
        endpoint_pages = [
            c for c in arm.calls("/workspaces/mlw-research/onlineEndpoints") if "/deployments" not in c.path
        ]
        assert [c.query.get("$skipToken") for c in endpoint_pages] == [None, ["2"]]
        scoring = arm.calls("/onlineEndpoints/scoring/deployments")
        assert [c.query.get("$skipToken") for c in scoring] == [None, ["2"]]
        assert {c.query["api-version"][0] for c in [*endpoint_pages, *scoring]} == {"2024-10-01"}
        assert {r.name for r in live.result.resources if r.type == ONLINE} >= {"blue", "green", "canary"}
        kinds = ("online_endpoints", "online_deployments", "serverless_endpoints")
        assert [live.calls.calls[kind] for kind in kinds] == [2, 4, 1]  # chat 1, scoring 2, onprem 1

    def test_a_repeating_next_link_stops_the_walk_and_the_workspace_is_not_scanned(
        self, arm: FakeArm
    ) -> None:
        again = f"{arm.url}{WORKSPACE}/serverlessEndpoints?api-version=2024-10-01&$skipToken=0"
        arm.faults = [Fault(f"{WORKSPACE}/serverlessEndpoints", patch={"nextLink": again}, times=5)]
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope == f"{WORKSPACE}/serverlessEndpoints"
        assert "already read" in missing.reason
        assert "AIGOV-MODEL-001" in {
            f.rule_id for f in live.result.findings
        }  # the online endpoints were read


class TestRules:
    def test_the_gpu_deployment_is_found_live_with_its_monthly_cost(self, arm: FakeArm) -> None:
        live = scan(arm)
        found = model_findings(live)
        # 1 instance x 3.673 $/h (Linux Standard_NC24ads_A100_v4, eastus, aigov/cost/prices.yaml) x 730 h.
        assert found["AIGOV-MODEL-001", "llama"] == 2681.29
        [llama] = [f for f in live.result.findings if f.rule_id == "AIGOV-MODEL-001"]
        assert llama.cost.basis.startswith(
            "1 instances x 3.673 $/h x 730 h (Standard_NC24ads_A100_v4, eastus"
        )
        assert llama.message.startswith(
            "llama self-hosts Llama-2-7b-chat (publisher azureml-meta) on 1 x Standard_NC24ads_A100_v4"
        )
        # CPU instance types pass; a Kubernetes instance type is not a GPU VM size.
        assert {name for rule, name in found if rule == "AIGOV-MODEL-001"} == {"llama"}

    def test_the_serverless_endpoint_of_a_third_party_model_is_found_at_an_unknown_cost(
        self, arm: FakeArm
    ) -> None:
        live = scan(arm)
        assert model_findings(live)["AIGOV-MODEL-002", "mistral-large"] is None  # no marketplace prices
        [mistral] = [f for f in live.result.findings if f.rule_id == "AIGOV-MODEL-002"]
        assert "serves Mistral-Large-2411 (publisher azureml-mistral)" in mistral.message

    def test_only_managed_deployments_bill_as_vms(self, arm: FakeArm) -> None:
        live = scan(arm)
        inventory = Inventory(live.result.resources)
        costs = CostModel(load_prices(Config(), ScanOptions()))
        by_name = {
            r.name: costs.monthly_cost(r, inventory) for r in live.result.resources if r.type == ONLINE
        }
        # blue: 2 instances x 0.169 $/h (Standard_F4s_v2, eastus) x 730 h.
        assert by_name["blue"].monthly_usd == 246.74
        assert by_name["gpu-cluster"].monthly_usd == 0.0
        assert (
            by_name["gpu-cluster"].basis
            == "Kubernetes online deployment: billed on its own compute, not here"
        )

    def test_allowed_in_the_configuration_they_pass(self, arm: FakeArm, tmp_path: Path) -> None:
        path = tmp_path / "aigov.yaml"
        path.write_text(
            "rules:\n"
            "  AIGOV-MODEL-001:\n"
            "    parameters:\n"
            "      allowed_instance_types: [Standard_NC24ads_A100_v4]\n"
            "      allowed_publishers: [azureml-meta]\n"
            "  AIGOV-MODEL-002: {parameters: {allowed_publishers: [azureml-mistral]}}\n",
            encoding="utf-8",
        )
        assert model_findings(scan(arm, load_config(path))) == {}


class TestNotScanned:
    def test_a_workspace_refusing_its_online_endpoints_is_not_scanned_exit_3(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"{WORKSPACE}/onlineEndpoints", 403, body=FORBIDDEN, times=5)]
        code, document = cli(arm)
        assert code == 3
        assert document["live"]["not_scanned"] == [
            {
                "scope": f"{WORKSPACE}/onlineEndpoints",
                "reason": "403 AuthorizationFailed: The client does not have authorization to perform action "
                "'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read'.",
            }
        ]
        rules = {(f["rule_id"], f["resource"]["name"]) for f in document["findings"]}
        assert ("AIGOV-MODEL-002", "mistral-large") in rules  # its serverless endpoints were read
        assert ("AIGOV-IDLE-002", "invoice-ft") in rules  # and the rest of the estate
        assert not arm.calls("/onlineEndpoints/chat")  # no endpoint was listed, so no deployments asked for

    def test_a_workspace_failing_after_the_retries_is_not_scanned(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"{WORKSPACE}/serverlessEndpoints", 500, times=20)]
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope == f"{WORKSPACE}/serverlessEndpoints"
        assert missing.reason.startswith("500 InternalServerError:")
        # Retried, and every attempt counted under its kind.
        attempts = arm.calls(f"{WORKSPACE}/serverlessEndpoints")
        assert len(attempts) > 1
        assert {c.status for c in attempts} == {500}
        assert live.calls.calls["serverless_endpoints"] == len(attempts)
        assert exit_code(live.result, fail_on=Severity.LOW) is ExitCode.PARTIAL

    def test_a_subscription_refusing_every_call_is_listed_once(self, arm: FakeArm) -> None:
        arm.forbidden = {DEV}
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope == DEV
        assert missing.reason.startswith("403 AuthorizationFailed:")

    def test_the_history_keeps_a_refused_workspace_s_findings_open(
        self, arm: FakeArm, tmp_path: Path
    ) -> None:
        options = LiveOptions(
            arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
        )
        command = AzureCommand(options, tmp_path / "aigov.db")
        run_azure(Config(), command, now=NOW)
        arm.faults = [Fault(f"{WORKSPACE}/onlineEndpoints", 403, body=FORBIDDEN, times=5)]
        diff = run_azure(Config(), command, now=NOW + timedelta(days=1)).history
        assert diff is not None
        # Not read tonight is not fixed: the GPU deployment's finding stays open, not re-checked.
        assert not [f for f in diff.fixed if f.rule_id == "AIGOV-MODEL-001"]
        assert {f.address.rsplit("/", 1)[-1] for f in diff.not_rechecked} == {"llama"}
