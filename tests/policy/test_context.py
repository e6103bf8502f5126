"""The ``context:`` view: subscription, workload inheritance, PoC approvals, resource, usage."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aigov.armpath import MISSING, parse
from aigov.model import UNKNOWN, Action, Context, Inventory, PocApproval, Subscription
from aigov.policy.context import Scope

from .helpers import ACCOUNT, NOW, resource

SUBS = {"sub-1": Subscription("SUB-1", name="corp-ai-prod", environment="prod")}
APPROVALS = (
    PocApproval("invoice-reader", date(2026, 6, 1), "FIN-2231"),
    PocApproval("churn", date(2026, 7, 1), "FIN-9"),  # after now
    PocApproval("old", date(2025, 1, 1), "FIN-1", expires_on=date(2026, 6, 14)),  # expired yesterday
    PocApproval("edge", date(2026, 6, 15), "FIN-2", expires_on=date(2026, 6, 15)),  # today only
)
CONTEXT = Context(
    now=NOW,
    subscriptions=SUBS,
    poc_approvals=APPROVALS,
    workload_tag="Workload",
    usage={"dep": {"requests": 0}},
)


def view(path: str, **kwargs: Any) -> Any:
    account_tags = kwargs.pop("account_tags", {"workload": "invoice-reader"})
    dep_body = kwargs.pop("body", {"sku": {"name": "Standard"}})
    account = resource({"tags": account_tags}, key="acct", type_=ACCOUNT)
    dep = resource(dep_body, key="dep", parent_key="acct", **kwargs)
    return Scope(dep, Inventory([account, dep]), CONTEXT).context_value(parse(path))


def test_subscription_from_config_case_insensitive_id() -> None:
    assert view("subscription.name", subscription_id="Sub-1") == "corp-ai-prod"
    assert view("subscription.environment") == "prod"
    assert view("subscription.id") == "sub-1"


def test_unknown_or_absent_subscription_id_makes_every_field_unknown() -> None:
    assert view("subscription.environment", subscription_id=UNKNOWN) is UNKNOWN
    assert view("subscription.id", subscription_id=None) is UNKNOWN


def test_unlisted_subscription_has_no_name_or_environment() -> None:
    assert view("subscription.id", subscription_id="sub-9") == "sub-9"
    assert view("subscription.environment", subscription_id="sub-9") is MISSING
    assert view("subscription.name", subscription_id="sub-9") is MISSING


def test_environment_from_subscription_tag_when_not_configured() -> None:
    context = Context(now=NOW, subscriptions={"s": Subscription("s", tags={"Environment": "test"})})
    r = resource({}, subscription_id="S")
    assert Scope(r, Inventory([r]), context).context_value(parse("subscription.environment")) == "test"


def test_workload_own_tag_wins_case_insensitively() -> None:
    assert view("workload", body={"tags": {"WORKLOAD": "own"}}) == "own"


def test_workload_inherited_from_the_parent() -> None:
    assert view("workload") == "invoice-reader"


def test_workload_missing_everywhere() -> None:
    assert view("workload", account_tags={}) is MISSING


def test_workload_unknown_when_tags_unknown() -> None:
    assert view("workload", body={"tags": UNKNOWN}) is UNKNOWN
    assert view("workload", account_tags={"workload": UNKNOWN}) is UNKNOWN


@pytest.mark.parametrize(
    ("workload", "approved", "reference"),
    [
        ("invoice-reader", True, "FIN-2231"),
        ("INVOICE-READER", True, "FIN-2231"),
        ("churn", False, MISSING),
        ("old", False, MISSING),
        ("edge", True, "FIN-2"),
        ("other", False, MISSING),
    ],
)
def test_poc_approval(workload: str, approved: bool, reference: Any) -> None:
    tags = {"workload": workload}
    assert view("poc.approved", account_tags=tags) is approved
    assert view("poc.reference", account_tags=tags) == reference


def test_poc_approved_on_is_an_iso_date() -> None:
    assert view("poc.approvedOn") == "2026-06-01"


def test_poc_unknown_when_workload_unknown_and_false_when_untagged() -> None:
    assert view("poc.approved", account_tags={"workload": UNKNOWN}) is UNKNOWN
    assert view("poc.approved", account_tags={}) is False


def test_resource_facts() -> None:
    assert view("resource.live") is False
    assert view("resource.action") == "create"
    assert view("resource.live", action=Action.LIVE) is True


def test_usage_observed_and_not() -> None:
    assert view("usage.requests") == 0
    assert view("usage.tokens") is UNKNOWN
    account = resource({}, key="acct", type_=ACCOUNT)
    assert Scope(account, Inventory([account]), CONTEXT).context_value(parse("usage.requests")) is UNKNOWN


def test_context_is_computed_lazily() -> None:
    r = resource({})
    s = Scope(r, Inventory([r]), CONTEXT)
    s.context_value(parse("resource.live"))
    assert s._sections is not None
    assert set(s._sections) == {"resource"}
