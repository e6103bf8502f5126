"""Nothing silently missing from discovery: Resource Graph pages failing mid-way, and big tenants.

Through the fake ARM server: Resource Graph answers the first page and fails
the next, and a tenant with more subscriptions than one Resource Graph
request may name is queried in chunks (paging by ``$skipToken`` is tested in
``test_live_scan.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import FAST_RETRY
from fake_arm import FakeArm, Fault

from aigov.config import Config
from aigov.gate import ExitCode, exit_code
from aigov.live.discovery import SUBSCRIPTIONS_PER_QUERY
from aigov.live.scan import LiveOptions, LiveScan, scan_live

NOW = datetime(2026, 6, 2, 6, 0, tzinfo=UTC)
PROD = "00000000-0000-0000-0000-0000000000a1"
DEV = "00000000-0000-0000-0000-0000000000a2"
GRAPH = "/providers/Microsoft.ResourceGraph/resources"


def scan(arm: FakeArm, **options: Any) -> LiveScan:
    live = LiveOptions(
        arm_endpoint=arm.url, metrics_endpoint=arm.metrics_url, retry=FAST_RETRY, progress=False, **options
    )
    return scan_live(Config(), now=NOW, options=live)


def test_a_resource_graph_page_failing_mid_way_leaves_its_subscriptions_not_scanned(arm: FakeArm) -> None:
    # The first page answers; every try of the second fails (after the retries).
    arm.faults = [Fault(GRAPH, 500, after=1, times=FAST_RETRY.total + 1)]
    live = scan(arm, subscriptions=(PROD, DEV))
    reasons = {n.scope: n.reason for n in live.result.not_scanned}
    assert set(reasons) == {PROD, DEV}
    assert all(r.startswith("Resource Graph: 500") for r in reasons.values())
    assert exit_code(live.result, fail_on=None) is ExitCode.PARTIAL
    assert live.scanned_subscription_ids == ()
    # The rows of the page that answered are kept and evaluated.
    assert len(live.result.resources) >= 2


def test_many_subscriptions_are_queried_in_chunks_each_paged(arm: FakeArm) -> None:
    extra = [f"00000000-0000-0000-0002-{i:012d}" for i in range(SUBSCRIPTIONS_PER_QUERY + 5)]
    arm.estate.subscriptions.extend(
        {"id": f"/subscriptions/{s}", "subscriptionId": s, "displayName": s, "state": "Enabled", "tags": {}}
        for s in extra
    )
    arm.page_size = 5000  # the subscriptions list (and each Resource Graph answer) in one page
    live = scan(arm)
    queries = [c for c in arm.calls("ResourceGraph") if "type in~" in c.body["query"]]
    assert all(len(c.body["subscriptions"]) <= SUBSCRIPTIONS_PER_QUERY for c in queries)
    first_pages = [c for c in queries if "$skipToken" not in c.body["options"]]
    assert len(first_pages) == 2  # two chunks
    named = {s.lower() for c in first_pages for s in c.body["subscriptions"]}
    assert {s.lower() for s in extra} | {PROD, DEV} <= named
    assert live.result.not_scanned == ()
    assert set(live.scanned_subscription_ids) >= {PROD, DEV}
