from __future__ import annotations

import dataclasses
import pickle

import pytest

from aigov.model import (
    UNKNOWN,
    Action,
    Confidence,
    CostImpact,
    CostLine,
    Finding,
    Inventory,
    Origin,
    Outcome,
    Resource,
    Severity,
    monthly_at_risk,
)


def _res(key: str, type_: str, body: dict[str, object], parent: str | None = None) -> Resource:
    return Resource(key=key, type=type_, name=key, body=body, origin=Origin("test"), parent_key=parent)


def test_with_body_keeps_every_other_field() -> None:
    resource = Resource(
        key="k",
        type="Microsoft.Search/searchServices",
        name="s",
        body={"sku": {"name": "standard3"}},
        origin=Origin("test", "main.tf", 3, "azurerm_search_service.s"),
        action=Action.UPDATE,
        subscription_id="sub",
        resource_group="rg",
        parent_key="p",
        api_version="2024-06-01",
    )
    body = {"sku": {"name": "standard"}}
    assert resource.with_body(body) == dataclasses.replace(resource, body=body)
    # every field is compared above: a field added to Resource must be copied by with_body too
    assert {f.name for f in dataclasses.fields(Resource)} == {
        "key",
        "type",
        "name",
        "body",
        "origin",
        "action",
        "subscription_id",
        "resource_group",
        "parent_key",
        "api_version",
    }


def test_unknown_is_a_singleton_that_refuses_truthiness() -> None:
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    with pytest.raises(TypeError):
        bool(UNKNOWN)


def test_inventory_links_children_and_inherits_location() -> None:
    acct = _res("a", "Microsoft.CognitiveServices/accounts", {"location": "swedencentral"})
    dep = _res("d", "Microsoft.CognitiveServices/accounts/deployments", {}, parent="a")
    inv = Inventory([acct, dep])
    assert inv.parent(dep) is acct
    assert inv.children(acct) == (dep,)
    assert inv.effective_location(dep) == "swedencentral"
    assert inv.effective_location(acct) == "swedencentral"


def test_ancestor_cycle_terminates() -> None:
    a = _res("a", "T", {}, parent="b")
    b = _res("b", "T", {}, parent="a")
    assert [r.key for r in Inventory([a, b]).ancestors(a)] == ["b"]


def _finding(rule: str, resource: Resource, lines: tuple[CostLine, ...]) -> Finding:
    return Finding(
        rule_id=rule,
        title="t",
        category="sku",
        severity=Severity.HIGH,
        outcome=Outcome.VIOLATION,
        message="m",
        remediation="r",
        resource=resource,
        cost=CostImpact.from_lines(lines),
    )


def test_monthly_at_risk_counts_each_billed_resource_once() -> None:
    dep = _res("d", "Microsoft.CognitiveServices/accounts/deployments", {})
    acct = _res("a", "Microsoft.CognitiveServices/accounts", {})
    own = (CostLine("d", 43800.0, "30 PTU", Confidence.EXACT),)
    delta = (CostLine("d", 20000.0, "delta", Confidence.EXACT),)
    rollup = (CostLine("d", 43800.0, "30 PTU", Confidence.EXACT), CostLine("x", 100.0, "x", Confidence.EXACT))
    findings = [_finding("SKU", dep, delta), _finding("ENV", dep, own), _finding("TAG", acct, rollup)]
    assert monthly_at_risk(findings) == 43900.0


def test_cost_impact_from_lines_is_a_lower_bound_when_lines_are_unknown() -> None:
    lines = (
        CostLine("a", 10.0, "a", Confidence.EXACT),
        CostLine("b", None, "b tokens", Confidence.UNKNOWN),
    )
    impact = CostImpact.from_lines(lines)
    assert impact.monthly_usd == 10.0
    assert impact.confidence is Confidence.EXACT  # what the figure adds up is exact ...
    assert impact.partial  # ... and it leaves out the unknown line: a lower bound
    assert impact.basis == "a + b tokens"
    only_unknown = CostImpact.from_lines(lines[1:])
    assert only_unknown.monthly_usd is None
    assert only_unknown.confidence is Confidence.UNKNOWN
    assert not only_unknown.partial
    estimate = CostImpact.from_lines((*lines, CostLine("c", 5.0, "c", Confidence.ESTIMATE)))
    assert estimate.confidence is Confidence.ESTIMATE


def test_fingerprint_ignores_location_and_message() -> None:
    r1 = Resource("k", "T", "n", {}, Origin("terraform_plan", "a.json", 3))
    r2 = Resource("k", "T", "n", {"x": 1}, Origin("terraform_plan", "b.json", 90))
    assert _finding("R", r1, ()).fingerprint == _finding("R", r2, ()).fingerprint
    assert _finding("R", r1, ()).fingerprint != _finding("Q", r1, ()).fingerprint
