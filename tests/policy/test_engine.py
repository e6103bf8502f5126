"""The engine: type index, no-op resources, violations and undetermined findings, order, cost."""

from __future__ import annotations

from typing import Any

from aigov.model import UNKNOWN, Action, Confidence, Context, Inventory, Outcome
from aigov.paths import bundled_policies_dir
from aigov.policy.engine import evaluate
from aigov.policy.loader import compile_rule, load_rules
from aigov.policy.rule import Rule, RuleSet

from .helpers import ACCOUNT, COSTS, DEPLOYMENT, NOW, resource

CONTEXT = Context(now=NOW)


def rule(rule_id: str, condition: dict[str, Any], **extra: Any) -> Rule:
    document = {
        "id": rule_id,
        "title": f"title of {rule_id}",
        "category": "sku",
        "severity": "high",
        "resource": extra.pop("resource", DEPLOYMENT.upper()),
        "parameters": {"allowed": {"default": [1, 2]}},
        "if": condition,
        "cost": extra.pop("cost", "resource"),
        "message": extra.pop("message", "{name} has {sku.name}"),
        "remediation": "fix it",
        **extra,
    }
    return compile_rule(document, f"{rule_id}.yaml")


BIG = rule("B-1", {"field": "sku.capacity", "greater": 10})
PROVISIONED = rule("A-1", {"field": "sku.name", "like": "*Provisioned*"})
ON_ACCOUNTS = rule("C-1", {"field": "kind", "equals": "OpenAI"}, resource=[ACCOUNT])


def test_violations_in_inventory_then_rule_order() -> None:
    inventory = Inventory(
        [
            resource({"name": "d1", "sku": {"name": "ProvisionedManaged", "capacity": 30}}, key="d1"),
            resource({"name": "acct", "kind": "openai"}, key="acct", type_=ACCOUNT),
            resource({"name": "d2", "sku": {"name": "Standard", "capacity": 5}}, key="d2"),
            resource({"name": "d3", "sku": {"name": "Standard", "capacity": 50}}, key="d3"),
        ]
    )
    findings = evaluate(inventory, RuleSet([BIG, ON_ACCOUNTS, PROVISIONED]), CONTEXT, COSTS)
    assert [(f.resource.key, f.rule_id) for f in findings] == [
        ("d1", "A-1"),
        ("d1", "B-1"),
        ("acct", "C-1"),
        ("d3", "B-1"),
    ]
    first = findings[0]
    assert first.outcome is Outcome.VIOLATION
    assert first.message == "d1 has ProvisionedManaged"
    assert first.title == "title of A-1"
    assert first.remediation == "fix it"
    assert first.cost.monthly_usd == 3000.0
    assert first.unknown_fields == ()


def test_no_op_resources_are_context_only() -> None:
    account = resource({"name": "acct", "kind": "OpenAI"}, key="acct", type_=ACCOUNT, action=Action.NOOP)
    assert evaluate(Inventory([account]), [ON_ACCOUNTS], CONTEXT, COSTS) == []


def test_unknown_condition_is_an_undetermined_finding() -> None:
    r = resource({"name": "d", "sku": {"name": UNKNOWN, "capacity": 1}})
    findings = evaluate(Inventory([r]), [PROVISIONED], CONTEXT, COSTS)
    assert len(findings) == 1
    assert findings[0].outcome is Outcome.UNDETERMINED
    assert findings[0].unknown_fields == ("sku.name",)
    assert findings[0].message == "d has (known after apply)"


def test_cost_spec_goes_to_the_estimator() -> None:
    delta = rule(
        "D-1",
        {"field": "sku.capacity", "notIn": {"parameter": "allowed"}},
        cost={"delta": {"field": "sku.capacity", "to": {"parameter": "allowed"}}},
    )
    r = resource({"sku": {"capacity": 30}})
    [finding] = evaluate(Inventory([r]), [delta], CONTEXT, COSTS)
    assert finding.cost.monthly_usd == 2900.0  # 30 x 100 minus the cheapest allowed, 1 x 100
    assert finding.cost.confidence is Confidence.ESTIMATE


def test_for_each_items_in_the_message() -> None:
    tags = rule(
        "T-1",
        {"field": "tags['{item}']", "empty": True},
        forEach={"parameter": "required"},
        parameters={"required": {"default": ["owner", "team", "workload"]}},
        message="missing: {items}",
        resource=ACCOUNT,
    )
    r = resource({"tags": {"team": "x"}}, type_=ACCOUNT)
    [finding] = evaluate(Inventory([r]), [tags], CONTEXT, COSTS)
    assert finding.message == "missing: owner, workload"


def test_types_match_case_insensitively_and_other_types_are_ignored() -> None:
    r = resource({"sku": {"capacity": 11}}, type_=DEPLOYMENT.lower())
    other = resource({"sku": {"capacity": 11}}, key="x", type_="Microsoft.Search/searchServices")
    assert [f.resource.key for f in evaluate(Inventory([r, other]), [BIG], CONTEXT, COSTS)] == ["r1"]


def test_bundled_rules_run_on_a_large_inventory() -> None:
    """Not a timing test: the engine handles hundreds of resources with every bundled rule."""
    rules = load_rules([bundled_policies_dir()])
    body = {
        "sku": {"name": "ProvisionedManaged", "capacity": 30},
        "properties": {"model": {"name": "gpt-4o"}},
    }
    inventory = Inventory(resource(body, key=f"d{i}") for i in range(500))
    findings = evaluate(inventory, rules, CONTEXT, COSTS)
    assert {f.resource.key for f in findings} == {f"d{i}" for i in range(500)}
