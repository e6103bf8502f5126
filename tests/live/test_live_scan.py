"""The live scan end to end: real Azure SDK clients against the fake ARM server over HTTPS."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault, Logged

from aigov.config import Config, load_config
from aigov.cost.model import PricingTerms
from aigov.errors import AigovError
from aigov.gate import ExitCode, exit_code
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import NotScanned, Severity, Subscription
from aigov.policy.rule import RuleOverride

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
PROD = "00000000-0000-0000-0000-0000000000a1"
DEV = "00000000-0000-0000-0000-0000000000a2"
RESTRICTED = "00000000-0000-0000-0000-0000000000a3"


def scan(arm: FakeArm, config: Config | None = None, **options: object) -> LiveScan:
    live = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False, **options
    )  # type: ignore[arg-type]
    return scan_live(config or Config(), now=NOW, options=live)


def resource_queries(arm: FakeArm) -> list[Logged]:
    """The Resource Graph pages of the resources query (not of the subscriptions check)."""
    return [c for c in arm.calls("ResourceGraph") if "type in~" in c.body["query"]]


def by_rule(live: LiveScan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in live.result.findings:
        out.setdefault(f.rule_id, set()).add(str(f.resource.name))
    return out


class TestFindings:
    def test_idle_fine_tuned_deployment_with_its_hosting_cost_and_idle_days(self, arm: FakeArm) -> None:
        live = scan(arm)
        [idle] = [f for f in live.result.findings if f.rule_id == "AIGOV-IDLE-002"]
        assert idle.resource.name == "invoice-ft"
        assert idle.cost.monthly_usd == 1241.0
        # 13 trailing days without a request in the recorded series; 1.70 $/h x 24 h x 13 days.
        assert "had 0 requests in the last 7 days" in idle.message
        assert "idle for 13 days, 530.4 $ of hosting already spent idle" in idle.message

    def test_disallowed_sku_missing_tags_unapproved_workloads_and_idle_ptu(self, arm: FakeArm) -> None:
        rules = by_rule(scan(arm))
        assert rules["AIGOV-SKU-001"] == {"reports-ptu"}
        assert rules["AIGOV-TAG-001"] == {"oai-prod-westeu"}
        assert rules["AIGOV-IDLE-003"] == {"reports-ptu"}
        # Prod subscriptions (environment from the subscription tag) hold unapproved workloads;
        # the dev subscription does not count.
        assert {"oai-prod-eastus", "search-prod", "oai-restricted"} <= rules["AIGOV-ENV-001"]
        assert "oai-dev" not in rules["AIGOV-ENV-001"]

    def test_a_fine_tune_kept_alive_by_a_trickle_is_low_use_with_its_cost_per_request(
        self, arm: FakeArm
    ) -> None:
        live = scan(arm)
        [low] = [f for f in live.result.findings if f.rule_id == "AIGOV-IDLE-004"]
        # ft-experiment served 14 + 3 + 22 requests in the last days of the 7-day window.
        assert low.resource.name == "ft-experiment"
        assert "served 39 requests in the last 7 days (5.57 a day, under 50)" in low.message
        # Standard hosting 1.70 $/h x 24 h x 7 days = 285.60 $; / 39 requests x 1,000.
        assert "285.6 $ of hosting in that time, 7323.08 $ per 1,000 requests" in low.message
        assert low.cost.monthly_usd == 1241.0
        # The idle fine-tune (no request at all) is AIGOV-IDLE-002's, not this rule's.
        assert "invoice-ft" in by_rule(live)["AIGOV-IDLE-002"]

    def test_the_low_use_floor_is_configurable(self, arm: FakeArm) -> None:
        config = Config(
            rule_overrides={"AIGOV-IDLE-004": RuleOverride(parameters={"min_requests_per_day": 5})}
        )
        assert "AIGOV-IDLE-004" not in by_rule(scan(arm, config))

    def test_a_negotiated_hosting_discount_lowers_the_cost_per_request(self, arm: FakeArm) -> None:
        config = Config(pricing_terms=PricingTerms(discounts={"openai_ft_hosting": 10}))
        [low] = [f for f in scan(arm, config).result.findings if f.rule_id == "AIGOV-IDLE-004"]
        # 1.70 x 0.9 x 24 x 7 = 257.04 $; / 39 x 1,000 = 6,590.77 $.
        assert "257.04 $ of hosting in that time, 6590.77 $ per 1,000 requests" in low.message

    def test_recent_fine_tuned_traffic_is_not_idle(self, arm: FakeArm) -> None:
        live = scan(arm)
        assert not [
            f
            for f in live.result.findings
            if f.rule_id == "AIGOV-IDLE-002" and f.resource.name == "ft-experiment"
        ]

    def test_resources_are_live_with_lower_case_keys_and_account_parents(self, arm: FakeArm) -> None:
        live = scan(arm)
        [deployment] = [r for r in live.result.resources if r.name == "invoice-ft"]
        assert deployment.key == deployment.address.lower()
        assert deployment.parent_key is not None
        assert deployment.parent_key.endswith("/accounts/oai-prod-eastus")
        assert deployment.origin.source == "azure"
        assert {r.type for r in live.result.resources} >= {
            "Microsoft.CognitiveServices/accounts",
            "Microsoft.CognitiveServices/accounts/deployments",
            "Microsoft.Search/searchServices",
        }

    def test_azure_policy_states_are_reported_beside_and_marked(self, arm: FakeArm) -> None:
        live = scan(arm)
        marked = [f for f in live.result.findings if f.rule_id.startswith("azure-policy:")]
        assert {str(f.resource.name) for f in marked} == {"oai-prod-westeu", "oai-restricted"}
        for f in marked:
            assert f.category == "azure-policy"
            assert f.severity is Severity.INFO
            assert "ai-network-baseline" in f.message
        # The resource's own monthly cost: oai-prod-westeu bills nothing fixed, its only deployment
        # is pay-per-token, priced from its observed tokens.
        westeu = next(f for f in marked if f.resource.name == "oai-prod-westeu")
        [assist] = [r for r in live.result.cost.resources if r.address.endswith("/deployments/assist")]
        assert assist.monthly_usd is not None
        assert assist.monthly_usd > 0
        assert westeu.cost.monthly_usd == assist.monthly_usd

    def test_policy_states_can_be_left_out(self, arm: FakeArm) -> None:
        live = scan(arm, policy_states=False)
        assert not [f for f in live.result.findings if f.rule_id.startswith("azure-policy:")]
        assert not arm.calls("policyStates")


class TestSubscriptionContext:
    def test_names_and_environments_come_from_subscription_tags(self, arm: FakeArm) -> None:
        live = scan(arm)
        names = {s.id: (s.name, s.environment) for s in live.subscriptions}
        assert names[PROD] == ("corp-ai-prod", "prod")
        assert names[DEV] == ("corp-ai-dev", "dev")

    def test_aigov_yaml_wins_over_the_tag(self, arm: FakeArm) -> None:
        config = Config(subscriptions={PROD: Subscription(PROD, name="ai-prod-eu", environment="dev")})
        live = scan(arm, config)
        names = {s.id: (s.name, s.environment) for s in live.subscriptions}
        assert names[PROD] == ("ai-prod-eu", "dev")
        env_findings = {f.resource.name for f in live.result.findings if f.rule_id == "AIGOV-ENV-001"}
        assert "oai-prod-eastus" not in env_findings

    def test_the_environment_tag_name_is_configurable(self, arm: FakeArm) -> None:
        live = scan(arm, environment_tag="stage")
        assert all(s.environment is None for s in live.subscriptions)

    def test_disabled_subscriptions_are_skipped_with_a_warning(self, arm: FakeArm) -> None:
        live = scan(arm)
        assert any("corp-ai-retired" in w and "Disabled" in w for w in live.result.warnings)


class TestScopes:
    def test_explicit_subscriptions_only(self, arm: FakeArm) -> None:
        live = scan(arm, subscriptions=(DEV,))
        assert {r.subscription_id for r in live.result.resources} == {DEV}
        pages = resource_queries(arm)
        assert len(pages) == 2  # oai-dev, speech-dev and mlw-research, 2 rows a page
        assert all(graph.body["subscriptions"] == [DEV] for graph in pages)

    def test_a_subscription_the_credential_cannot_see_is_not_scanned(self, arm: FakeArm) -> None:
        ghost = "00000000-0000-0000-0000-0000000000ff"
        live = scan(arm, subscriptions=(DEV, ghost))
        assert live.result.not_scanned == (
            NotScanned(ghost, "not visible to the credential (no read access?)"),
        )
        assert exit_code(live.result, fail_on=None) is ExitCode.PARTIAL

    def test_management_group(self, arm: FakeArm) -> None:
        live = scan(arm, management_groups=("mg-ai",))
        assert {r.subscription_id for r in live.result.resources} == {PROD, DEV}
        assert {c.body.get("managementGroups") is not None for c in arm.calls("ResourceGraph")} == {True}


class TestRequestShapes:
    def test_one_batch_metrics_call_per_subscription_and_region_split_by_deployment(
        self, arm: FakeArm
    ) -> None:
        scan(arm)
        batches = arm.calls("metrics:getBatch")
        # a1 eastus, a1 westeurope, a2 eastus, a3 eastus; the Speech account has no deployments to split.
        assert sorted((c.path.split("/")[1], c.path.split("/")[3][-2:]) for c in batches) == [
            ("eastus", "a1"),
            ("eastus", "a2"),
            ("eastus", "a3"),
            ("westeurope", "a1"),
        ]
        assert not arm.calls("Microsoft.Insights/metrics")  # no per-account metrics call
        for call in batches:
            assert call.method == "POST"
            assert call.query["filter"] == ["ModelDeploymentName eq '*'"]
            assert call.query["interval"] == ["P1D"]
            assert call.query["metricnamespace"] == ["Microsoft.CognitiveServices/accounts"]
            assert int(call.query["top"][0]) >= 10
            [account] = call.body["resourceids"]
            assert account.lower().startswith("/subscriptions/00000000-0000-0000-0000-0000000000a")
        names = {c.body["resourceids"][0].rsplit("/", 1)[1]: c.query["metricnames"][0] for c in batches}
        assert names["oai-prod-eastus"] == (
            "AzureOpenAIRequests,ProcessedPromptTokens,GeneratedTokens,AzureOpenAIProvisionedManagedUtilizationV2"
        )
        # The AI Services account publishes the newer names (its kind's metric definitions).
        assert names["oai-prod-westeu"] == "ModelRequests,InputTokens,OutputTokens,ProvisionedUtilization"
        assert len(arm.calls("metricDefinitions")) == 2  # one per account kind

    def test_resource_graph_pages_are_followed_by_skip_token(self, arm: FakeArm) -> None:
        live = scan(arm)
        pages = resource_queries(arm)
        assert len(pages) == live.graph_pages == 4  # 7 rows, 2 per page
        assert "$skipToken" not in pages[0].body["options"]
        assert all(p.body["options"].get("$skipToken") for p in pages[1:])
        assert all(p.body["options"]["resultFormat"] == "objectArray" for p in pages)

    def test_calls_are_counted_by_kind(self, arm: FakeArm) -> None:
        live = scan(arm)
        assert live.calls.calls == {
            "subscriptions": 2,
            "resource_graph": 6,  # 4 pages of resources, 2 of the 3 subscriptions it read
            "deployments": 4,
            "online_endpoints": 2,  # mlw-research's 3 endpoints, 2 a page
            "online_deployments": 4,  # chat 1, scoring 2 pages, onprem 1
            "serverless_endpoints": 1,
            "metric_definitions": 2,  # OpenAI and AIServices
            "metrics_batch": 4,  # a1 eastus, a1 westeurope, a2 eastus, a3 eastus
            "policy_states": 3,
        }


class TestFaults:
    def test_throttling_and_server_errors_are_retried(self, arm: FakeArm) -> None:
        arm.faults = [
            Fault("/providers/Microsoft.ResourceGraph/resources", 429, {"Retry-After": "1"}),
            Fault(f"/subscriptions/{PROD}/metrics:getBatch", 500),
            Fault(f"/subscriptions/{DEV}/metrics:getBatch", 529, {"Retry-After": "1"}),
        ]
        live = scan(arm)
        assert live.result.not_scanned == ()
        assert live.calls.statuses[429] == 1
        assert live.calls.statuses[500] == 1
        assert live.calls.statuses[529] == 1  # Azure Monitor's throttling, waited for as it asked
        assert "AIGOV-IDLE-002" in by_rule(live)
        assert any(r.name == "ft-experiment" for r in live.result.resources)

    def test_a_forbidden_subscription_is_listed_once_and_the_rest_completes(self, arm: FakeArm) -> None:
        arm.forbidden = {RESTRICTED}
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope == RESTRICTED
        assert missing.reason.startswith("403 AuthorizationFailed:")
        assert exit_code(live.result, fail_on=Severity.LOW) is ExitCode.PARTIAL
        assert "AIGOV-IDLE-002" in by_rule(live)
        assert RESTRICTED not in live.scanned_subscription_ids

    def test_a_failing_metrics_call_leaves_usage_undetermined(self, arm: FakeArm) -> None:
        # The batch, then the account's own call, fail after every retry.
        arm.faults = [Fault(f"/eastus/subscriptions/{PROD}/metrics:getBatch", 500, times=20)]
        live = scan(arm)
        [missing] = live.result.not_scanned
        assert missing.scope.endswith("/accounts/oai-prod-eastus (metrics)")
        [idle] = [f for f in live.result.findings if f.rule_id == "AIGOV-IDLE-002"]
        assert idle.outcome.value == "undetermined"

    def test_a_wrong_token_is_one_clear_error(self, arm: FakeArm, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AZURE_ACCESS_TOKEN", "not-the-token")
        with pytest.raises(AigovError, match="authentication failed"):
            scan(arm)


class TestUtilisationThreshold:
    def test_threshold_option_overrides_the_rule_floor(self, arm: FakeArm) -> None:
        assert "AIGOV-IDLE-003" not in by_rule(scan(arm, utilisation_threshold=5.0))


def test_config_file_live_environment_tag(tmp_path: Path) -> None:
    path = tmp_path / "aigov.yaml"
    path.write_text("live:\n  environment_tag: stage\n", encoding="utf-8")
    assert load_config(path).live_environment_tag == "stage"
    assert dataclasses.replace(Config()).live_environment_tag == "environment"
