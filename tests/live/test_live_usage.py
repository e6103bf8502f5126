"""Observed usage in a live scan: batch metrics, metric definitions, and tokens that price deployments.

Real SDK clients (``MetricsClient`` for ``metrics:getBatch``) against the fake
ARM server over HTTPS; the batch endpoint is the fake's, one path prefix per
region (``--metrics-endpoint https://127.0.0.1:PORT/{region}``), and it answers
400 to a batch that mixes regions or subscriptions or holds more than 50 ids.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

from aigov.cli.main import main
from aigov.config import Config
from aigov.gate import ExitCode, exit_code
from aigov.live.client import MetricsEndpoint
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import Outcome, ResourceCost

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
PROD = "00000000-0000-0000-0000-0000000000a1"
DEV = "00000000-0000-0000-0000-0000000000a2"
RESTRICTED = "00000000-0000-0000-0000-0000000000a3"
PROD_RG = f"/subscriptions/{PROD}/resourceGroups/rg-ai-prod/providers/Microsoft.CognitiveServices/accounts"
EASTUS = f"{PROD_RG}/oai-prod-eastus"
WESTEU = f"{PROD_RG}/oai-prod-westeu"
PRICES = Path(__file__).resolve().parents[2] / "aigov" / "cost" / "prices.yaml"
MONTH_OVER_30_DAYS = 730 / 720  # a 730-hour month over the 30 days observed


def scan(arm: FakeArm, **options: Any) -> LiveScan:
    live = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False, **options
    )
    return scan_live(Config(), now=NOW, options=live)


def cost_of(live: LiveScan, deployment: str, account: str | None = None) -> ResourceCost:
    suffix = f"{account}/deployments/{deployment}" if account else f"/deployments/{deployment}"
    [row] = [r for r in live.result.cost.resources if r.address.endswith(suffix)]
    return row


def token_price(model: str, version: str, sku: str, direction: str, region: str) -> float:
    """$/1M tokens from the catalogue's own row: the region's row, else the row for every region."""
    rows = yaml.safe_load(PRICES.read_text(encoding="utf-8"))["prices"]
    matching = [
        r
        for r in rows
        if r.get("family") == "openai_tokens"
        and (r.get("model"), str(r.get("version")), r.get("sku"), r.get("direction"))
        == (model, version, sku, direction)
    ]
    regional = [r for r in matching if region in r["regions"]]
    [row] = regional or [r for r in matching if "*" in r["regions"]]
    return float(row["unit_price"])


def observed(arm: FakeArm, account: str, deployment: str, series: str) -> float:
    return float(sum(arm.estate.metrics[account.lower()][deployment][series][-30:]))


def add_accounts(arm: FakeArm, count: int, template: str = EASTUS) -> list[str]:
    """``count`` copies of an account (same subscription and region), each with one deployment."""
    [row] = [r for r in arm.estate.resources if r["id"] == template]
    chat = next(d for d in arm.estate.deployments[template.lower()] if d["name"] == "chat")
    ids = []
    for i in range(count):
        account = f"{template}-{i:03d}"
        copied = {**copy.deepcopy(row), "id": account, "name": account.rsplit("/", 1)[1]}
        arm.estate.resources.append(copied)
        arm.estate.published[account.lower()] = list(arm.estate.published[template.lower()])
        deployment = copy.deepcopy(chat)
        deployment["id"] = f"{account}/deployments/chat"
        arm.estate.deployments[account.lower()] = [deployment]
        arm.estate.metrics[account.lower()] = {"chat": {"requests": [10] * 30, "prompt": [1000] * 30}}
        arm.estate.metrics[account.lower()]["chat"]["completion"] = [100] * 30
        ids.append(account)
    return ids


class TestObservedTokensPriceDeployments:
    def test_a_pay_per_token_deployment_is_priced_from_its_observed_tokens(self, arm: FakeArm) -> None:
        live = scan(arm)
        prompt = observed(arm, EASTUS, "chat", "prompt")
        completion = observed(arm, EASTUS, "chat", "completion")
        requests = observed(arm, EASTUS, "chat", "requests")
        input_rate = token_price("gpt-4o-mini", "2024-07-18", "GlobalStandard", "input", "eastus")
        output_rate = token_price("gpt-4o-mini", "2024-07-18", "GlobalStandard", "output", "eastus")
        expected = round(
            (prompt * input_rate + completion * output_rate) / 1e6 * MONTH_OVER_30_DAYS,
            2,
        )
        chat = cost_of(live, "chat")
        assert chat.monthly_usd == pytest.approx(expected, abs=0.01)
        assert chat.monthly_usd > 0
        assert chat.monthly_requests == pytest.approx(requests * MONTH_OVER_30_DAYS)
        assert chat.cost_per_1000_requests == pytest.approx(
            expected / (requests * MONTH_OVER_30_DAYS) * 1000, 1e-3
        )
        # The usage the context holds: 30-day totals of the account's token metrics.
        usage = live_usage(live, "chat")
        assert usage["prompt_tokens_30d"] == prompt
        assert usage["completion_tokens_30d"] == completion
        assert usage["requests_30d"] == requests

    def test_the_newer_metric_names_price_an_ai_services_deployment(self, arm: FakeArm) -> None:
        live = scan(arm)
        prompt = observed(arm, WESTEU, "assist", "prompt")
        completion = observed(arm, WESTEU, "assist", "completion")
        input_rate = token_price("gpt-4o", "2024-11-20", "GlobalStandard", "input", "westeurope")
        output_rate = token_price("gpt-4o", "2024-11-20", "GlobalStandard", "output", "westeurope")
        expected = (prompt * input_rate + completion * output_rate) / 1e6 * MONTH_OVER_30_DAYS
        assert cost_of(live, "assist").monthly_usd == pytest.approx(round(expected, 2), abs=0.01)

    def test_the_json_report_carries_the_input_cost_and_unit_economics(self, arm: FakeArm) -> None:
        args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
        result = CliRunner().invoke(main, [*args, "--format", "json", "--fail-on", "never"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        rows = {r["address"].rsplit("/", 1)[1]: r for r in document["cost"]["resources"]}
        chat = rows["chat"]
        assert chat["confidence"] == "estimate"
        assert chat["monthly_usd"] > 0
        assert chat["cost_per_1000_requests_usd"] == pytest.approx(
            chat["monthly_usd"] / chat["monthly_requests"] * 1000, abs=1e-4
        )
        assert document["cost"]["monthly_usd"] >= chat["monthly_usd"] + rows["assist"]["monthly_usd"]


def live_usage(live: LiveScan, deployment: str) -> dict[str, Any]:
    """The usage the rules and the cost model saw for a deployment (by its key)."""
    [key] = [k for k in live.usage if k.endswith(f"/deployments/{deployment}")]
    return dict(live.usage[key])


class TestMetricsThatAreNotPublished:
    def test_an_account_without_token_metrics_leaves_the_cost_unknown_never_zero(self, arm: FakeArm) -> None:
        # The AI Services account publishes requests but no token counts: asked anyway, Azure
        # Monitor would answer zeros, and the deployment would look free.
        arm.estate.published[WESTEU.lower()] = ["ModelRequests", "ProvisionedUtilization"]
        live = scan(arm)
        [batch] = [c for c in arm.calls("metrics:getBatch") if c.path.startswith("/westeurope/")]
        assert batch.query["metricnames"] == ["ModelRequests,ProvisionedUtilization"]
        assist = cost_of(live, "assist")
        assert assist.monthly_usd is None
        assert any(
            w.startswith(f"metrics of {WESTEU}: token counts unknown") and "InputTokens" in w
            for w in live.result.warnings
        )
        # Requests are still read; token counts are absent, not zero.
        usage = live_usage(live, "assist")
        assert usage["requests_30d"] == observed(arm, WESTEU, "assist", "requests")
        assert "prompt_tokens_30d" not in usage
        assert "completion_tokens_30d" not in usage

    def test_an_account_without_request_metrics_leaves_the_idle_rules_undetermined(
        self, arm: FakeArm
    ) -> None:
        arm.estate.published[EASTUS.lower()] = ["ProcessedPromptTokens", "GeneratedTokens"]
        live = scan(arm)
        [idle] = [
            f
            for f in live.result.findings
            if f.rule_id == "AIGOV-IDLE-002" and f.resource.name == "invoice-ft"
        ]
        assert idle.outcome is Outcome.UNDETERMINED
        # The tokens it does publish still price its pay-per-token deployment.
        assert cost_of(live, "chat").monthly_usd


class TestBatches:
    def test_fifty_accounts_a_call(self, arm: FakeArm) -> None:
        add_accounts(arm, 60)  # 61 accounts in a1 eastus
        live = scan(arm)
        batches = [c for c in arm.calls("metrics:getBatch") if f"/subscriptions/{PROD}/" in c.path]
        sizes = sorted(len(c.body["resourceids"]) for c in batches if c.path.startswith("/eastus/"))
        assert sizes == [11, 50]
        assert live.result.not_scanned == ()
        assert live.calls.calls["metrics_batch"] == 5  # 2 in a1 eastus, a1 westeurope, a2, a3

    def test_a_failed_batch_is_retried_per_account(self, arm: FakeArm) -> None:
        extra = add_accounts(arm, 2)
        retries = FAST_RETRY.total + 1
        arm.faults = [Fault(f"/eastus/subscriptions/{PROD}/metrics:getBatch", 500, times=retries)]
        live = scan(arm)
        assert live.result.not_scanned == ()
        singles = [
            c.body["resourceids"]
            for c in arm.calls("metrics:getBatch")
            if c.path.startswith("/eastus/") and f"/subscriptions/{PROD}/" in c.path and c.status == 200
        ]
        assert sorted(singles) == sorted([[EASTUS], *[[a] for a in extra]])
        assert cost_of(live, "chat", EASTUS).monthly_usd

    def test_an_account_the_answer_leaves_out_is_retried_then_not_scanned(self, arm: FakeArm) -> None:
        [extra] = add_accounts(arm, 1)
        arm.batch_left_out = {extra.lower()}
        live = scan(arm)
        assert {n.scope: n.reason for n in live.result.not_scanned} == {
            f"{extra} (metrics)": "the batch metrics answer left the account out"
        }
        assert exit_code(live.result, fail_on=None) is ExitCode.PARTIAL
        costs = [r for r in live.result.cost.resources if r.address.startswith(f"{extra}/")]
        assert [r.monthly_usd for r in costs] == [None]  # unknown, never zero

    def test_529_throttling_waits_as_asked(self, arm: FakeArm) -> None:
        arm.faults = [Fault("metrics:getBatch", 529, {"Retry-After": "1"}, times=2)]
        live = scan(arm)
        assert live.result.not_scanned == ()
        assert live.calls.statuses[529] == 2
        assert cost_of(live, "chat", EASTUS).monthly_usd

    def test_a_retry_after_beyond_the_cap_leaves_the_accounts_not_scanned(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"/subscriptions/{DEV}/metrics:getBatch", 529, {"Retry-After": "3600"}, times=2)]
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope.endswith("/accounts/oai-dev (metrics)")
        assert "3600" in missing.reason


class TestEndpoints:
    def test_the_regional_endpoint_is_derived_from_the_account(self) -> None:
        public = MetricsEndpoint.parse(None)
        assert public.for_region("East US") == "https://eastus.metrics.monitor.azure.com"
        assert public.scope == "https://metrics.monitor.azure.com/.default"
        gov = MetricsEndpoint.parse("https://{region}.metrics.monitor.azure.us")
        assert gov.for_region("usgovvirginia") == "https://usgovvirginia.metrics.monitor.azure.us"
        assert gov.scope == "https://metrics.monitor.azure.us/.default"

    @pytest.mark.parametrize("url", ["http://{region}.example.test", "https://{zone}.example.test", "eastus"])
    def test_a_bad_metrics_endpoint_is_one_line_and_exit_2(self, url: str) -> None:
        result = CliRunner().invoke(main, ["scan", "azure", "--metrics-endpoint", url])
        assert result.exit_code == 2
        assert "--metrics-endpoint must be an https URL" in result.stderr
        assert "Traceback" not in result.output

    def test_the_metrics_endpoint_is_a_live_scan_option(self, tmp_path: Path) -> None:
        plan = tmp_path / "plan.json"
        plan.write_text('{"format_version": "1.2", "planned_values": {}}', encoding="utf-8")
        result = CliRunner().invoke(main, ["scan", str(plan), "--metrics-endpoint", "https://x.test"])
        assert result.exit_code == 2
        assert "--metrics-endpoint" in result.stderr


class TestSubscriptionThatListsButCannotBeRead:
    def test_it_is_not_scanned_with_the_reason_and_exit_3(self, arm: FakeArm) -> None:
        # Resource Graph leaves it out without an error; every call under it answers 403.
        arm.graph_hidden = {RESTRICTED}
        arm.forbidden = {RESTRICTED}
        args = ["scan", "azure", "--arm-endpoint", arm.url, "--metrics-endpoint", arm.metrics_url]
        result = CliRunner().invoke(main, [*args, "--format", "json", "--fail-on", "never"])
        assert result.exit_code == 3, result.output
        document = json.loads(result.stdout)
        [missing] = document["live"]["not_scanned"]
        assert missing["scope"] == RESTRICTED
        assert "Resource Graph left it out" in missing["reason"]
        assert not [c for c in arm.log if RESTRICTED in c.path]  # nothing was asked under it
