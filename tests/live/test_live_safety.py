"""A live scan that never lies: each way the Azure APIs can mislead it, through the fake ARM server.

One test per defect of issue 15: pages pinned to the ARM endpoint, subscriptions
Resource Graph leaves out, metrics that answer 200 with no data, unreadable
pages, truncated Resource Graph answers, bounded waits and timeouts.
"""

from __future__ import annotations

import base64
import dataclasses
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import FAST_RETRY
from fake_arm import Estate, FakeArm, Fault

from aigov.config import Config
from aigov.errors import AigovError
from aigov.gate import ExitCode, exit_code
from aigov.live.client import RetrySettings
from aigov.live.command import AzureCommand, run_azure
from aigov.live.coverage import SUBSCRIPTION_LIST
from aigov.live.scan import LiveOptions, LiveScan, scan_live
from aigov.model import Finding, NotScanned, Outcome

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
PROD = "00000000-0000-0000-0000-0000000000a1"
DEV = "00000000-0000-0000-0000-0000000000a2"
RESTRICTED = "00000000-0000-0000-0000-0000000000a3"
EASTUS = (
    f"/subscriptions/{PROD}/resourceGroups/rg-ai-prod"
    "/providers/Microsoft.CognitiveServices/accounts/oai-prod-eastus"
)
OAI_DEV = (
    f"/subscriptions/{DEV}/resourceGroups/rg-ai-dev/providers/Microsoft.CognitiveServices/accounts/oai-dev"
)
GRAPH = "/providers/Microsoft.ResourceGraph/resources"
EASTUS_BATCH = f"/eastus/subscriptions/{PROD}/metrics:getBatch"  # the batch holding oai-prod-eastus alone


def scan(arm: FakeArm, retry: RetrySettings = FAST_RETRY, **options: Any) -> LiveScan:
    live = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=retry, progress=False, **options
    )
    return scan_live(Config(), now=NOW, options=live)


def reasons(live: LiveScan) -> dict[str, str]:
    return {n.scope: n.reason for n in live.result.not_scanned}


def partial(live: LiveScan) -> bool:
    return exit_code(live.result, fail_on=None) is ExitCode.PARTIAL


def findings(live: LiveScan, rule: str, name: str) -> list[Finding]:
    return [f for f in live.result.findings if f.rule_id == rule and f.resource.name == name]


@pytest.fixture
def other(certificate: tuple[Path, Path], arm: FakeArm) -> Iterator[FakeArm]:
    """A second server on another port: a host a page must not lead the scan to."""
    cert, key = certificate
    with FakeArm(Estate.from_fixtures(), cert, key) as server:
        yield server


class TestPinnedPages:
    def test_a_next_link_to_another_host_stops_the_walk_without_sending_the_token(
        self, arm: FakeArm, other: FakeArm
    ) -> None:
        arm.faults = [
            Fault(f"{OAI_DEV}/deployments", patch={"nextLink": f"{other.url}{OAI_DEV}/deployments"})
        ]
        live = scan(arm)
        assert "not the ARM endpoint" in reasons(live)[OAI_DEV]
        assert partial(live)
        assert other.log == []
        assert all(c.authorization is not None for c in arm.log)
        # The rest of the scan completed.
        assert findings(live, "AIGOV-IDLE-002", "invoice-ft")

    def test_a_redirect_to_another_host_is_refused(self, arm: FakeArm, other: FakeArm) -> None:
        arm.faults = [Fault(f"{OAI_DEV}/deployments", 307, {"Location": f"{other.url}{OAI_DEV}/deployments"})]
        live = scan(arm)
        assert "not the ARM endpoint" in reasons(live)[OAI_DEV]
        assert other.log == []

    def test_a_subscription_list_leading_elsewhere_is_a_partial_scan(
        self, arm: FakeArm, other: FakeArm
    ) -> None:
        arm.faults = [
            Fault(
                "/subscriptions", exact=True, method="GET", patch={"nextLink": f"{other.url}/subscriptions"}
            )
        ]
        live = scan(arm)
        assert "not the ARM endpoint" in reasons(live)[SUBSCRIPTION_LIST]
        assert partial(live)
        assert other.log == []
        # The first page's subscriptions were scanned; the third, on the page never read, was not.
        assert set(live.scanned_subscription_ids) == {PROD, DEV}

    def test_a_repeating_next_link_stops_the_walk(self, arm: FakeArm) -> None:
        link = f"{arm.url}{OAI_DEV}/deployments?api-version=2025-09-01"
        arm.faults = [Fault(f"{OAI_DEV}/deployments", patch={"nextLink": link}, times=10)]
        live = scan(arm)
        assert "already read" in reasons(live)[OAI_DEV]
        assert len(arm.calls(f"{OAI_DEV}/deployments")) <= 3

    def test_a_repeating_skip_token_stops_the_resource_graph_walk(self, arm: FakeArm) -> None:
        token = base64.urlsafe_b64encode(b"offset:0").decode()
        arm.faults = [Fault(GRAPH, patch={"$skipToken": token}, times=10)]
        live = scan(arm, subscriptions=(PROD, DEV))
        assert "already read" in reasons(live)[PROD]
        assert "already read" in reasons(live)[DEV]
        assert live.scanned_subscription_ids == ()
        assert partial(live)

    def test_a_never_ending_listing_stops_at_the_page_limit(self, arm: FakeArm) -> None:
        counter = itertools.count(100)

        def endless() -> dict[str, Any]:
            return {"$skipToken": base64.urlsafe_b64encode(f"offset:{next(counter)}".encode()).decode()}

        arm.faults = [Fault(GRAPH, patch=endless, times=1000)]
        live = scan(arm, retry=dataclasses.replace(FAST_RETRY, max_pages=5), subscriptions=(DEV,))
        assert "did not end after 5 pages" in reasons(live)[DEV]
        # 5 pages of resources; the subscription is already not scanned, so it is not checked again.
        assert len(arm.calls("ResourceGraph")) == 5


class TestSubscriptionsResourceGraphLeavesOut:
    def test_the_whole_tenant(self, arm: FakeArm) -> None:
        arm.graph_hidden = {RESTRICTED}
        live = scan(arm)
        assert live.result.not_scanned == (
            NotScanned(
                RESTRICTED,
                "Resource Graph left it out (no read access for the credential, or not yet indexed)",
            ),
        )
        assert partial(live)
        assert RESTRICTED not in live.scanned_subscription_ids
        assert set(live.scanned_subscription_ids) == {PROD, DEV}

    def test_explicit_subscriptions(self, arm: FakeArm) -> None:
        arm.graph_hidden = {RESTRICTED}
        live = scan(arm, subscriptions=(DEV, RESTRICTED))
        assert set(reasons(live)) == {RESTRICTED}
        assert live.scanned_subscription_ids == (DEV,)

    def test_a_management_group(self, arm: FakeArm) -> None:
        arm.estate.management_groups["mg-ai"].append(RESTRICTED)
        arm.graph_hidden = {RESTRICTED}
        live = scan(arm, management_groups=("mg-ai",))
        assert set(reasons(live)) == {RESTRICTED}
        assert set(live.scanned_subscription_ids) == {PROD, DEV}

    def test_a_management_group_read_in_full_is_not_partial(self, arm: FakeArm) -> None:
        live = scan(arm, management_groups=("mg-ai",))
        assert live.result.not_scanned == ()
        assert set(live.scanned_subscription_ids) == {PROD, DEV}

    def test_a_management_group_whose_subscriptions_cannot_be_listed(self, arm: FakeArm) -> None:
        arm.faults = [Fault("/managementGroups/mg-ai/descendants", 403)]
        live = scan(arm, management_groups=("mg-ai",))
        assert reasons(live)["mg-ai"].startswith("its subscriptions could not be listed")
        assert reasons(live)["mg-ai"].endswith("403 Error: Injected 403.")
        assert partial(live)

    def test_resource_graph_refusing_the_subscriptions_names_them(self, arm: FakeArm) -> None:
        arm.faults = [Fault(GRAPH, 403, times=10)]
        live = scan(arm, subscriptions=(DEV, RESTRICTED))
        assert reasons(live) == {
            DEV: "Resource Graph: 403 Error: Injected 403.",
            RESTRICTED: "Resource Graph: 403 Error: Injected 403.",
        }
        assert live.scanned_subscription_ids == ()
        assert partial(live)

    def test_resource_graph_failing_on_everything_is_an_error(self, arm: FakeArm) -> None:
        arm.faults = [Fault(GRAPH, 500, times=100)]
        with pytest.raises(AigovError, match="Resource Graph query failed: 500"):
            scan(arm)

    def test_history_carries_an_unread_subscriptions_findings_forward(
        self, arm: FakeArm, tmp_path: Path
    ) -> None:
        db = tmp_path / "aigov.db"
        command = AzureCommand(
            LiveOptions(
                arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False
            ),
            db,
        )
        first = run_azure(Config(), command, now=NOW)
        assert first.history is not None
        restricted = {f.fingerprint for f in first.history.new if f.resource.subscription_id == RESTRICTED}
        assert restricted

        arm.graph_hidden = {RESTRICTED}
        second = run_azure(Config(), command, now=NOW + timedelta(days=1))
        assert second.history is not None
        assert {f.fingerprint for f in second.history.not_rechecked} == restricted
        assert not [f for f in second.history.fixed if f.subscription_id == RESTRICTED]
        assert second.exit_code(None, "fail") is ExitCode.PARTIAL

        arm.graph_hidden = set()
        third = run_azure(Config(), command, now=NOW + timedelta(days=2))
        assert third.history is not None
        since = {f.fingerprint: seen for f, seen in third.history.persisting}
        assert {since[fp] for fp in restricted} == {NOW}
        assert not third.history.new


def test_history_carries_an_unreadable_accounts_findings_forward(arm: FakeArm, tmp_path: Path) -> None:
    command = AzureCommand(
        LiveOptions(arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False),
        tmp_path / "aigov.db",
    )
    first = run_azure(Config(), command, now=NOW)
    assert first.history is not None
    under = {f.fingerprint for f in first.history.new if f.resource.key.startswith(EASTUS.lower() + "/")}
    assert under  # the idle fine-tune and the provisioned deployment

    arm.faults = [Fault(f"{EASTUS}/deployments", body="<html>gateway</html>")]
    second = run_azure(Config(), command, now=NOW + timedelta(days=1))
    assert second.history is not None
    assert EASTUS in {n.scope for n in second.scan.result.not_scanned}
    assert under <= {f.fingerprint for f in second.history.not_rechecked}
    assert not under & {f.fingerprint for f in second.history.fixed}


def test_a_management_group_subscription_emptied_overnight_has_its_findings_fixed(
    arm: FakeArm, tmp_path: Path
) -> None:
    arm.estate.management_groups["mg-ai"].append(RESTRICTED)
    options = LiveOptions(
        arm_endpoint=arm.url,
        metrics_endpoint=arm.metrics_url,
        retry=FAST_RETRY,
        progress=False,
        management_groups=("mg-ai",),
    )
    command = AzureCommand(options, tmp_path / "aigov.db")
    first = run_azure(Config(), command, now=NOW)
    assert first.history is not None
    restricted = {f.fingerprint for f in first.history.new if f.resource.subscription_id == RESTRICTED}
    assert restricted

    # Its only AI resources are deleted: Resource Graph still reads the subscription, now empty.
    arm.estate.resources = [r for r in arm.estate.resources if r["subscriptionId"] != RESTRICTED]
    arm.estate.policy_states = [s for s in arm.estate.policy_states if s["subscriptionId"] != RESTRICTED]
    second = run_azure(Config(), command, now=NOW + timedelta(days=1))
    assert second.history is not None
    assert second.scan.result.not_scanned == ()
    assert RESTRICTED in second.scan.scanned_subscription_ids
    assert {f.fingerprint for f in second.history.fixed} >= restricted


def metric(name: str, series: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": {"value": name}, "timeseries": series, "errorCode": "Success", **extra}


def no_value_series(deployment: str) -> dict[str, Any]:
    return {
        "metadatavalues": [{"name": {"value": "modeldeploymentname"}, "value": deployment}],
        "data": [{"timeStamp": f"2026-05-{day:02d}T00:00:00Z"} for day in range(1, 31)],
    }


# The account's `value` in the batch answer (its list of metrics), in each way it can say "no data".
NO_DATA = {
    "error code": [metric("AzureOpenAIRequests", [], errorCode="ResourceNotSupported")],
    "empty value": [],
    "points without values": [
        metric("AzureOpenAIRequests", [no_value_series("invoice-ft"), no_value_series("chat")]),
        metric("AzureOpenAIProvisionedManagedUtilizationV2", []),
    ],
    "null instead of a list": None,
    "value of the wrong type": {"AzureOpenAIRequests": 0},
    "time series of the wrong type": [
        metric("AzureOpenAIRequests", "none"),  # type: ignore[arg-type]
        metric("AzureOpenAIProvisionedManagedUtilizationV2", []),
    ],
}


class TestMetricsWithoutData:
    @pytest.mark.parametrize("body", NO_DATA.values(), ids=NO_DATA.keys())
    def test_idle_rules_are_undetermined_never_idle_with_a_cost(self, arm: FakeArm, body: Any) -> None:
        arm.batch_values[EASTUS.lower()] = body
        live = scan(arm)
        [idle] = findings(live, "AIGOV-IDLE-002", "invoice-ft")
        assert idle.outcome is Outcome.UNDETERMINED
        [ptu] = findings(live, "AIGOV-IDLE-003", "reports-ptu")
        assert ptu.outcome is Outcome.UNDETERMINED
        assert any(w.startswith(f"metrics of {EASTUS}: no data") for w in live.result.warnings)
        # The other accounts' metrics were read as usual.
        assert not findings(live, "AIGOV-IDLE-002", "ft-experiment")

    def test_utilisation_without_data_leaves_only_the_utilisation_rule_undetermined(
        self, arm: FakeArm
    ) -> None:
        arm.batch_values[EASTUS.lower()] = [
            metric("AzureOpenAIRequests", []),
            metric("AzureOpenAIProvisionedManagedUtilizationV2", [], errorCode="InternalError"),
            metric("ProcessedPromptTokens", []),
            metric("GeneratedTokens", []),
        ]
        live = scan(arm)
        [idle] = findings(live, "AIGOV-IDLE-002", "invoice-ft")
        assert idle.outcome is Outcome.VIOLATION
        [ptu] = findings(live, "AIGOV-IDLE-003", "reports-ptu")
        assert ptu.outcome is Outcome.UNDETERMINED


class TestUnreadablePages:
    def test_a_metrics_page_that_is_not_json_leaves_the_account_not_scanned(self, arm: FakeArm) -> None:
        # The batch and then the account's own call answer the same gateway page.
        arm.faults = [Fault(EASTUS_BATCH, body="<html>gateway</html>", times=2)]
        live = scan(arm)
        assert reasons(live)[f"{EASTUS} (metrics)"].startswith("the batch metrics answer is not JSON")
        [idle] = findings(live, "AIGOV-IDLE-002", "invoice-ft")
        assert idle.outcome is Outcome.UNDETERMINED
        assert partial(live)

    @pytest.mark.parametrize("body", ["<html>gateway</html>", {"value": 5}, {"value": ["x"]}])
    def test_a_deployments_page_that_cannot_be_read_leaves_the_account_not_scanned(
        self, arm: FakeArm, body: Any
    ) -> None:
        arm.faults = [Fault(f"{OAI_DEV}/deployments", body=body)]
        live = scan(arm)
        assert OAI_DEV in reasons(live)
        assert partial(live)
        assert findings(live, "AIGOV-IDLE-002", "invoice-ft")


class TestTruncatedResourceGraph:
    def test_a_truncated_answer_is_a_partial_scan(self, arm: FakeArm) -> None:
        arm.faults = [Fault(GRAPH, patch={"resultTruncated": "true"})]
        live = scan(arm, subscriptions=(PROD, DEV))
        assert reasons(live)[PROD] == "Resource Graph marked its answer truncated: resources may be missing"
        assert DEV in reasons(live)
        assert live.scanned_subscription_ids == ()
        assert partial(live)


class TestBoundedWaits:
    def test_a_retry_after_beyond_the_cap_is_not_waited_for(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"{OAI_DEV}/deployments", 429, {"Retry-After": "3600"})]
        started = time.monotonic()
        live = scan(arm)
        assert time.monotonic() - started < 30
        assert (
            reasons(live)[OAI_DEV] == "429: the service asked to retry after 3600 s, more than the 60 s cap"
        )
        assert partial(live)

    def test_the_cap_is_configurable(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"{OAI_DEV}/deployments", 429, {"Retry-After": "2"})]
        live = scan(arm, retry=dataclasses.replace(FAST_RETRY, retry_after_max=1.0))
        assert "more than the 1 s cap" in reasons(live)[OAI_DEV]

    def test_a_retry_after_within_the_cap_is_honoured(self, arm: FakeArm) -> None:
        arm.faults = [Fault(f"{OAI_DEV}/deployments", 429, {"Retry-After": "1"})]
        live = scan(arm)
        assert live.result.not_scanned == ()
        assert live.calls.statuses[429] == 1

    def test_a_resource_graph_429_without_retry_after_is_retried_with_backoff(self, arm: FakeArm) -> None:
        arm.faults = [Fault(GRAPH, 429, times=2)]
        live = scan(arm)
        assert live.result.not_scanned == ()
        assert live.calls.statuses[429] == 2
        assert live.graph_pages == 4  # 7 rows, 2 per page

    def test_a_silent_endpoint_costs_one_timeout_per_scope(self, arm: FakeArm) -> None:
        slow = Fault(f"{OAI_DEV}/deployments", delay=1.5, times=5)  # longer than the 1 s read timeout
        arm.faults = [slow]
        started = time.monotonic()
        live = scan(arm)
        assert time.monotonic() - started < 15
        assert slow.times == 4  # asked once, not again
        assert reasons(live)[OAI_DEV].startswith("no answer within the timeout, not retried")
        assert not arm.calls(f"{OAI_DEV}/providers/Microsoft.Insights/metrics")
        assert findings(live, "AIGOV-IDLE-002", "invoice-ft")

    def test_a_silent_resource_graph_costs_one_timeout_per_scope(self, arm: FakeArm) -> None:
        slow = Fault(GRAPH, delay=1.5, times=5)
        arm.faults = [Fault(GRAPH), slow]  # the first page answers, the next ones are silent
        live = scan(arm, subscriptions=(PROD, DEV, RESTRICTED))
        assert slow.times == 4  # the second page, once; the subscriptions check is not asked
        assert set(reasons(live)) == {PROD, DEV, RESTRICTED}
        assert all("no answer within the timeout" in r for r in reasons(live).values())
        assert live.scanned_subscription_ids == ()
        assert partial(live)


def test_a_netrc_entry_for_the_arm_host_never_replaces_the_bearer_token(
    arm: FakeArm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests signs a request with ~/.netrc's Basic credentials for its host unless the session has an
    # auth of its own; the pipeline's bearer token must be what every call carries.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-a-token\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    live = scan(arm)
    assert not live.result.not_scanned
    assert arm.log
    assert all(str(c.authorization).startswith("Bearer ") for c in arm.log)
    assert {c.status for c in arm.log} == {200}
