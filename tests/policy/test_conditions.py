"""The condition language: every operator, three-valued logic, [*] paths and forEach."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.errors import RuleError
from aigov.model import UNKNOWN, Context, Inventory
from aigov.policy.conditions import (
    MAX_REGEX_INPUT,
    OPERATORS,
    ConditionError,
    compile_condition,
)
from aigov.policy.context import Scope

from .helpers import NOW, resource, scope

BODY: dict[str, Any] = {
    "name": "chat",
    "location": "EastUS",
    "kind": "OpenAI",
    "sku": {"name": "ProvisionedManaged", "capacity": 30, "tier": "30"},
    "tags": {"Cost-Center": "CC-1042", "owner": "ana", "empty": ""},
    "properties": {
        "model": {"name": "gpt-4o", "version": "2024-11-20"},
        "later": UNKNOWN,
        "nothing": None,
        "list": ["a", "B"],
        "emptyList": [],
        "createdAt": "2026-06-01T00:00:00Z",
        "rules": [{"action": "Allow", "value": "1.2.3.4"}, {"action": "allow", "value": "5.6.7.8"}],
        "mixed": [{"action": "Allow"}, {"action": "Deny"}],
        "partly": [{"action": "Allow"}, {"action": UNKNOWN}],
        "holes": [{"action": "Allow"}, {}],
        "none": [],
        "long": "x" * (MAX_REGEX_INPUT + 1),
    },
}


def run(block: dict[str, Any], body: dict[str, Any] | None = None, **params: Any) -> Any:
    return compile_condition(block, params).test(scope(BODY if body is None else body))


# (field, operator, operand, expected); "properties.missing" is absent, "properties.later" unknown.
CASES: list[tuple[str, str, Any, Any]] = [
    # equals / notEquals: case-insensitive, numeric strings as numbers, absent is not equal
    ("sku.name", "equals", "provisionedmanaged", True),
    ("sku.name", "equals", "Standard", False),
    ("properties.missing", "equals", "x", False),
    ("properties.nothing", "equals", "x", False),
    ("properties.later", "equals", "x", UNKNOWN),
    ("sku.capacity", "equals", "30", True),
    ("sku.tier", "equals", 30, True),
    ("sku.name", "notEquals", "Standard", True),
    ("sku.name", "notEquals", "PROVISIONEDMANAGED", False),
    ("properties.missing", "notEquals", "x", True),
    ("properties.later", "notEquals", "x", UNKNOWN),
    # in / notIn
    ("sku.name", "in", ["Standard", "provisionedManaged"], True),
    ("sku.name", "in", ["Standard"], False),
    ("properties.missing", "in", ["x"], False),
    ("properties.later", "in", ["x"], UNKNOWN),
    ("sku.capacity", "in", ["10", "30"], True),
    ("sku.name", "notIn", ["Standard"], True),
    ("sku.name", "notIn", ["PROVISIONEDMANAGED"], False),
    ("properties.missing", "notIn", ["x"], True),
    ("properties.later", "notIn", ["x"], UNKNOWN),
    # like / notLike
    ("sku.name", "like", "provisioned*", True),
    ("sku.name", "like", "*Standard", False),
    ("properties.missing", "like", "*", False),
    ("properties.later", "like", "*", UNKNOWN),
    ("sku.name", "notLike", "*Standard", True),
    ("sku.name", "notLike", "*managed", False),
    ("properties.missing", "notLike", "*", True),
    # match / matchInsensitively (# digit, ? letter, . any)
    ("tags.cost-center", "match", "CC-####", True),
    ("tags.cost-center", "match", "cc-####", False),
    ("tags.cost-center", "match", "??.####", True),
    ("tags.cost-center", "match", "CC-###", False),
    ("properties.missing", "match", "#", False),
    ("properties.later", "match", "#", UNKNOWN),
    ("tags.cost-center", "notMatch", "cc-####", True),
    ("tags.cost-center", "notMatch", "CC-####", False),
    ("properties.missing", "notMatch", "#", True),
    ("tags.cost-center", "matchInsensitively", "cc-####", True),
    ("tags.cost-center", "matchInsensitively", "cc-###", False),
    ("properties.missing", "matchInsensitively", "#", False),
    ("tags.cost-center", "notMatchInsensitively", "cc-####", False),
    ("tags.cost-center", "notMatchInsensitively", "xx", True),
    ("properties.missing", "notMatchInsensitively", "#", True),
    # contains / notContains: substring (case-insensitive) or array element
    ("properties.model.name", "contains", "GPT", True),
    ("properties.model.name", "contains", "mini", False),
    ("properties.list", "contains", "b", True),
    ("properties.list", "contains", "c", False),
    ("properties.missing", "contains", "x", False),
    ("properties.later", "contains", "x", UNKNOWN),
    ("properties.model.name", "notContains", "mini", True),
    ("properties.list", "notContains", "a", False),
    ("properties.missing", "notContains", "x", True),
    # containsKey / notContainsKey: case-insensitive key names
    ("tags", "containsKey", "cost-center", True),
    ("tags", "containsKey", "workload", False),
    ("properties.missing", "containsKey", "x", False),
    ("properties.later", "containsKey", "x", UNKNOWN),
    ("tags", "notContainsKey", "workload", True),
    ("tags", "notContainsKey", "OWNER", False),
    ("properties.missing", "notContainsKey", "x", True),
    # exists: absent and null are not there; unknown is unknown
    ("sku.name", "exists", True, True),
    ("sku.name", "exists", False, False),
    ("properties.missing", "exists", False, True),
    ("properties.missing", "exists", True, False),
    ("properties.nothing", "exists", False, True),
    ("properties.later", "exists", True, UNKNOWN),
    # greater / greaterOrEquals / less / lessOrEquals: numbers, numeric strings, strings
    ("sku.capacity", "greater", 29, True),
    ("sku.capacity", "greater", 30, False),
    ("sku.capacity", "greater", "29.5", True),
    ("sku.tier", "greater", 100, False),
    ("properties.missing", "greater", 1, False),
    ("properties.later", "greater", 1, UNKNOWN),
    ("sku.capacity", "greaterOrEquals", 30, True),
    ("sku.capacity", "greaterOrEquals", 31, False),
    ("properties.missing", "greaterOrEquals", 1, False),
    ("sku.capacity", "less", 31, True),
    ("sku.capacity", "less", 30, False),
    ("properties.missing", "less", 1, False),
    ("sku.capacity", "lessOrEquals", 30, True),
    ("sku.capacity", "lessOrEquals", 29, False),
    ("properties.later", "lessOrEquals", 1, UNKNOWN),
    ("properties.model.version", "less", "2025-01-01", True),
    ("properties.model.version", "greater", "2025-01-01", False),
    ("sku.name", "greater", 1, False),
    # empty: missing, "", [], {}
    ("tags.empty", "empty", True, True),
    ("properties.emptyList", "empty", True, True),
    ("properties.missing", "empty", True, True),
    ("properties.nothing", "empty", True, True),
    ("sku.name", "empty", True, False),
    ("sku.name", "empty", False, True),
    ("properties.later", "empty", True, UNKNOWN),
    # regex / notRegex: case-sensitive search
    ("properties.model.name", "regex", "^gpt-4", True),
    ("properties.model.name", "regex", "^GPT-4", False),
    ("properties.missing", "regex", ".", False),
    ("properties.later", "regex", ".", UNKNOWN),
    ("properties.long", "regex", "x", UNKNOWN),
    ("properties.model.name", "notRegex", "^GPT", True),
    ("properties.model.name", "notRegex", "4o$", False),
    ("properties.missing", "notRegex", ".", True),
    # olderThan / newerThan against context.now (2026-06-15T12:00Z); createdAt 2026-06-01
    ("properties.createdAt", "olderThan", "P7D", True),
    ("properties.createdAt", "olderThan", "P30D", False),
    ("properties.createdAt", "olderThan", "P1W", True),
    ("properties.missing", "olderThan", "P1D", False),
    ("properties.later", "olderThan", "P1D", UNKNOWN),
    ("sku.name", "olderThan", "P1D", False),
    ("properties.createdAt", "newerThan", "P1M", True),
    ("properties.createdAt", "newerThan", "P7D", False),
    ("properties.missing", "newerThan", "P1D", False),
]


@pytest.mark.parametrize(("field", "operator", "operand", "expected"), CASES)
def test_operator(field: str, operator: str, operand: Any, expected: Any) -> None:
    assert run({"field": field, operator: operand}) is expected


def test_every_operator_is_covered_with_true_and_false() -> None:
    for operator in OPERATORS:
        results = {expected for _, op, _, expected in CASES if op == operator}
        assert {True, False} <= results, operator


@pytest.mark.parametrize(
    ("field", "expected"),
    [("type", "microsoft.cognitiveservices/ACCOUNTS/deployments"), ("name", "CHAT")],
)
def test_top_level_type_and_name(field: str, expected: str) -> None:
    assert run({"field": field, "equals": expected}) is True


def test_location_falls_back_to_the_parent() -> None:
    account = resource({"location": "westeurope"}, key="acct")
    deployment = resource({"sku": {"name": "Standard"}}, key="dep", parent_key="acct")
    inventory = Inventory([account, deployment])
    cond = compile_condition({"field": "location", "equals": "WestEurope"}, {})
    assert cond.test(Scope(deployment, inventory, Context(now=NOW))) is True


def test_bracketed_keys_with_dots() -> None:
    body = {"tags": {"app.id": "billing"}}
    assert run({"field": "tags['app.id']", "equals": "Billing"}, body) is True


# --------------------------------------------------------------------------- three-valued logic

T = {"field": "sku.name", "equals": "ProvisionedManaged"}
F = {"field": "sku.name", "equals": "Standard"}
U = {"field": "properties.later", "equals": "x"}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"allOf": [T, T]}, True),
        ({"allOf": [T, F]}, False),
        ({"allOf": [T, U]}, UNKNOWN),
        ({"allOf": [U, F]}, False),
        ({"allOf": [U, U]}, UNKNOWN),
        ({"anyOf": [F, F]}, False),
        ({"anyOf": [F, T]}, True),
        ({"anyOf": [F, U]}, UNKNOWN),
        ({"anyOf": [U, T]}, True),
        ({"not": T}, False),
        ({"not": F}, True),
        ({"not": U}, UNKNOWN),
        ({"not": {"allOf": [T, U]}}, UNKNOWN),
        ({"not": {"anyOf": [F, {"not": T}]}}, True),
    ],
)
def test_three_valued_logic(block: dict[str, Any], expected: Any) -> None:
    assert run(block) is expected


def test_unknown_result_names_only_the_unknown_subjects() -> None:
    block = {
        "allOf": [
            T,
            {"anyOf": [U, {"context": "subscription.environment", "equals": "prod"}]},
            {"field": "properties.also", "notEquals": "x"},
        ]
    }
    body = {**BODY, "properties": {**BODY["properties"], "also": UNKNOWN}}
    verdict = compile_condition(block, {}).evaluate(scope(body, subscription_id=UNKNOWN))
    assert verdict.result is UNKNOWN
    assert verdict.unknown_fields == (
        "properties.later",
        "context.subscription.environment",
        "properties.also",
    )


def test_a_false_part_decides_despite_unknowns() -> None:
    verdict = compile_condition({"allOf": [U, F]}, {}).evaluate(scope(BODY))
    assert verdict.result is False
    assert verdict.unknown_fields == ()


# --------------------------------------------------------------------------- [*]


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"field": "properties.rules[*].action", "equals": "allow"}, True),
        ({"field": "properties.mixed[*].action", "equals": "Allow"}, False),
        ({"field": "properties.mixed[*].action", "in": ["Allow", "Deny"]}, True),
        ({"field": "properties.partly[*].action", "equals": "Allow"}, UNKNOWN),
        ({"field": "properties.partly[*].action", "equals": "Deny"}, False),
        # an element without the field is evaluated as missing
        ({"field": "properties.holes[*].action", "exists": True}, False),
        ({"field": "properties.holes[*].action", "notEquals": "Deny"}, True),
        # an empty array: vacuously true, as in Azure Policy
        ({"field": "properties.none[*].action", "equals": "Allow"}, True),
        ({"field": "properties.none[*]", "notEquals": "Allow"}, True),
        # a missing array is a missing value
        ({"field": "properties.absent[*].action", "equals": "Allow"}, False),
        ({"field": "properties.absent[*].action", "exists": False}, True),
        ({"field": "properties.list[*]", "in": ["A", "b"]}, True),
        ({"field": "properties.list[*]", "equals": "a"}, False),
        ({"field": "properties.later[*].x", "equals": "a"}, UNKNOWN),
    ],
)
def test_wildcard_paths(block: dict[str, Any], expected: Any) -> None:
    assert run(block) is expected


def test_nested_wildcards() -> None:
    body = {"properties": {"a": [{"b": [1, 2]}, {"b": [3]}]}}
    assert run({"field": "properties.a[*].b[*]", "greater": 0}, body) is True
    assert run({"field": "properties.a[*].b[*]", "less": 3}, body) is False


# --------------------------------------------------------------------------- parameters and forEach


def test_parameter_operands_are_resolved() -> None:
    block = {"field": "sku.name", "notIn": {"parameter": "allowed"}}
    assert run(block, allowed=["Standard"]) is True
    assert run(block, allowed=["ProvisionedManaged"]) is False


def test_undeclared_parameter_is_an_error_with_its_path() -> None:
    with pytest.raises(ConditionError) as err:
        compile_condition({"allOf": [T, {"field": "sku.name", "in": {"parameter": "nope"}}]}, {})
    assert err.value.path == ("allOf", 1, "in", "parameter")
    assert "nope" in err.value.message


def test_for_each_over_a_list_reports_the_failing_items() -> None:
    block = {"field": "tags['{item}']", "empty": True}
    cond = compile_condition(block, {}, ["cost-center", "workload", "team", "owner"])
    verdict = cond.evaluate(scope(BODY))
    assert verdict.result is True
    assert verdict.items == ("workload", "team")


def test_for_each_passes_when_every_item_holds() -> None:
    cond = compile_condition({"field": "tags['{item}']", "empty": True}, {}, ["cost-center", "owner"])
    assert cond.evaluate(scope(BODY)).result is False


def test_for_each_over_a_mapping_substitutes_key_and_value() -> None:
    formats = {"cost-center": "CC-####", "owner": "??"}
    block = {
        "allOf": [
            {"field": "tags['{item.key}']", "exists": True},
            {"field": "tags['{item.key}']", "notMatch": "{item.value}"},
        ]
    }
    verdict = compile_condition(block, {}, formats).evaluate(scope(BODY))
    assert verdict.result is True
    assert verdict.items == ("owner",)


def test_for_each_keeps_the_type_of_a_whole_placeholder() -> None:
    limits = {"capacity": 10}
    block = {"field": "sku.{item.key}", "greater": "{item.value}"}
    assert compile_condition(block, {}, limits).test(scope(BODY)) is True


def test_for_each_unknown_items() -> None:
    body = {"tags": {"owner": UNKNOWN, "team": "x"}}
    cond = compile_condition({"field": "tags['{item}']", "empty": True}, {}, ["owner", "team"])
    verdict = cond.evaluate(scope(body))
    assert verdict.result is UNKNOWN
    assert verdict.items == ("owner",)
    assert verdict.unknown_fields == ("tags['owner']",)


def test_for_each_needs_a_list_or_mapping() -> None:
    with pytest.raises(ConditionError):
        compile_condition(T, {}, "cost-center")


# --------------------------------------------------------------------------- compile-time checks


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ({"field": "sku.name", "regex": "("}, "invalid regular expression"),
        ({"field": "sku.name", "regex": "a" * 257}, "longer than 256"),
        ({"field": "sku.name", "olderThan": "7 days"}, "ISO 8601 duration"),
        ({"field": "sku..name", "equals": "x"}, "malformed field path"),
        ({"context": "subscription.region", "equals": "x"}, "unknown context path"),
        ({"context": "usage", "equals": "x"}, "metric"),
        ({"field": "sku.name", "in": "Standard"}, "needs a list"),
        ({"field": "sku.name", "exists": "yes"}, "true or false"),
        ({"field": "sku.name", "equals": "x", "in": ["x"]}, "exactly one operator"),
    ],
)
def test_compile_errors(block: dict[str, Any], fragment: str) -> None:
    with pytest.raises(RuleError) as err:
        compile_condition(block, {})
    assert fragment in err.value.message
