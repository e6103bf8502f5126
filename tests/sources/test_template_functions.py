"""Bicep and ARM give the same value for the same function call: one shared implementation."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.model import UNKNOWN
from aigov.sources.arm_expressions import DeploymentContext, Evaluator, finalize
from aigov.sources.bicep.evaluate import Budget, Deployment, Evaluation, FileEvaluator
from aigov.sources.bicep.functions import FUNCTIONS as BICEP_FUNCTIONS
from aigov.sources.bicep.parser import parse
from aigov.sources.confine import ScanRoot
from aigov.sources.template_functions import FUNCTIONS
from aigov.sources.template_values import FunctionError, PlainSite

SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
GROUP = "rg-ai"


def bicep(expression: str, **inputs: Any) -> Any:
    params = "".join(f"param {name} object\n" for name in inputs)
    evaluator = FileEvaluator(
        parse(f"{params}var v = {expression}\n", "t.bicep"),
        file="t.bicep",
        inputs=inputs,
        prefix="",
        deployment=Deployment(resource_group=GROUP, location="eastus", subscription_id=SUBSCRIPTION),
        evaluation=Evaluation(root=ScanRoot.for_input("t.bicep"), budget=Budget()),
    )
    return evaluator.var_value("v")


def arm(expression: str, **parameters: Any) -> Any:
    context = DeploymentContext(subscription_id=SUBSCRIPTION, resource_group=GROUP, location="eastus")
    ev = Evaluator(parameters={k.lower(): v for k, v in parameters.items()}, context=context)
    return finalize(ev.string(f"[{expression}]"))


# (Bicep expression, ARM expression): the same call in each language's syntax.
SAME_CALLS: list[tuple[str, str]] = [
    ("uniqueString('a', 'b')", "uniqueString('a', 'b')"),
    ("uniqueString(resourceGroup().id)", "uniqueString(resourceGroup().id)"),
    ("guid('a', 'b')", "guid('a', 'b')"),
    ("guid(subscription().id, 'x')", "guid(subscription().id, 'x')"),
    (
        "union({ a: { x: 1, y: [1] }, B: 1 }, { A: { y: [2], z: 3 }, b: 2 })",
        'union(json(\'{"a": {"x": 1, "y": [1]}, "B": 1}\'), json(\'{"A": {"y": [2], "z": 3}, "b": 2}\'))',
    ),
    ("union([1, 2], [2, 3], [3, 4])", "union(createArray(1, 2), createArray(2, 3), createArray(3, 4))"),
    ("intersection([1, 2, 3], [2, 3, 4])", "intersection(createArray(1, 2, 3), createArray(2, 3, 4))"),
    (
        "shallowMerge([{ a: 1 }, { b: 2 }])",
        "shallowMerge(createArray(createObject('a', 1), createObject('b', 2)))",
    ),
    ("concat('a', 1, true)", "concat('a', 1, true)"),
    ("concat([1], [2, 3])", "concat(createArray(1), createArray(2, 3))"),
    ("format('{0}-{1:D3}-{{x}}', 'a', 7)", "format('{0}-{1:D3}-{{x}}', 'a', 7)"),
    ("toLower('AbC')", "toLower('AbC')"),
    ("toUpper('AbC')", "toUpper('AbC')"),
    ("replace('a-b-c', '-', '_')", "replace('a-b-c', '-', '_')"),
    ("split('a/b;c', ['/', ';'])", "split('a/b;c', createArray('/', ';'))"),
    ("join(['a', 'b'], ',')", "join(createArray('a', 'b'), ',')"),
    ("substring('abcdef', 2, 3)", "substring('abcdef', 2, 3)"),
    ("padLeft('7', 3, '0')", "padLeft('7', 3, '0')"),
    ("trim('  x ')", "trim('  x ')"),
    ("startsWith('Hello', 'he')", "startsWith('Hello', 'he')"),
    ("endsWith('Hello', 'LO')", "endsWith('Hello', 'LO')"),
    ("indexOf('abcabc', 'C')", "indexOf('abcabc', 'C')"),
    ("lastIndexOf([1, 2, 1], 1)", "lastIndexOf(createArray(1, 2, 1), 1)"),
    ("contains({ Key: 1 }, 'key')", "contains(createObject('Key', 1), 'key')"),
    ("contains('abc', 'b')", "contains('abc', 'b')"),
    ("empty([])", "empty(createArray())"),
    ("length('abcd')", "length('abcd')"),
    ("first([3, 4])", "first(createArray(3, 4))"),
    ("last('xyz')", "last('xyz')"),
    ("take([1, 2, 3], 2)", "take(createArray(1, 2, 3), 2)"),
    ("skip('abcd', 2)", "skip('abcd', 2)"),
    ("range(2, 3)", "range(2, 3)"),
    ("flatten([[1], [2, 3]])", "flatten(createArray(createArray(1), createArray(2, 3)))"),
    ("items({ b: 1, a: 2 })", "items(createObject('b', 1, 'a', 2))"),
    ("objectKeys({ b: 1, a: 2 })", "objectKeys(createObject('b', 1, 'a', 2))"),
    ("tryGet({ a: { b: 1 } }, 'A', 'b')", "tryGet(createObject('a', createObject('b', 1)), 'A', 'b')"),
    ("coalesce(null, 'x')", "coalesce(null(), 'x')"),
    ("string({ a: [1, true] })", "string(json('{\"a\": [1, true]}'))"),
    ("int('42')", "int('42')"),
    ("bool('TRUE')", "bool('TRUE')"),
    ("json('{\"a\": [1]}')", "json('{\"a\": [1]}')"),
    ("base64('hi')", "base64('hi')"),
    ("base64ToString('aGk=')", "base64ToString('aGk=')"),
    ("min([3, 1, 2])", "min(createArray(3, 1, 2))"),
    ("max(3, 1, 2)", "max(3, 1, 2)"),
    (
        "equals({ A: [1] }, { a: [1] })",
        "equals(createObject('A', createArray(1)), createObject('a', createArray(1)))",
    ),
    ("not(true)", "not(true)"),
    (
        "filter([1, 2, 3], x => x > 1)",
        "filter(createArray(1, 2, 3), lambda('x', greater(lambdaVariables('x'), 1)))",
    ),
    (
        "map([1, 2], (x, i) => x * 10 + i)",
        "map(createArray(1, 2), lambda('x', 'i', add(mul(lambdaVariables('x'), 10), lambdaVariables('i'))))",
    ),
    (
        "reduce([1, 2, 3], 0, (acc, x) => acc + x)",
        "reduce(createArray(1, 2, 3), 0, "
        "lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))",
    ),
    (
        "sort([3, 1, 2], (a, b) => a < b)",
        "sort(createArray(3, 1, 2), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))",
    ),
    (
        "toObject(['a', 'b'], x => x, x => length(x))",
        "toObject(createArray('a', 'b'), lambda('x', lambdaVariables('x')), "
        "lambda('x', length(lambdaVariables('x'))))",
    ),
    (
        "mapValues({ a: 1 }, v => v + 1)",
        "mapValues(createObject('a', 1), lambda('v', add(lambdaVariables('v'), 1)))",
    ),
    (
        "groupBy(['ab', 'ac', 'b'], x => first(x))",
        "groupBy(createArray('ab', 'ac', 'b'), lambda('x', first(lambdaVariables('x'))))",
    ),
    (
        "resourceId('Microsoft.Search/searchServices', 's1')",
        "resourceId('Microsoft.Search/searchServices', 's1')",
    ),
    (
        "resourceId('other-rg', 'Microsoft.Web/sites/slots', 'app', 'stage')",
        "resourceId('other-rg', 'Microsoft.Web/sites/slots', 'app', 'stage')",
    ),
    (
        "resourceId('Microsoft.Network/virtualNetworks/subnets/', 'vnet', 'snet')",
        "resourceId('Microsoft.Network/virtualNetworks/subnets/', 'vnet', 'snet')",
    ),
    (
        "subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg')",
        "subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg')",
    ),
    (
        "tenantResourceId('Microsoft.Billing/billingAccounts', 'b')",
        "tenantResourceId('Microsoft.Billing/billingAccounts', 'b')",
    ),
    (
        "extensionResourceId('/x/y', 'Microsoft.Authorization/locks', 'l')",
        "extensionResourceId('/x/y', 'Microsoft.Authorization/locks', 'l')",
    ),
]


@pytest.mark.parametrize(("bicep_expression", "arm_expression"), SAME_CALLS, ids=[b for b, _ in SAME_CALLS])
def test_bicep_and_arm_agree(bicep_expression: str, arm_expression: str) -> None:
    expected = arm(arm_expression)
    assert expected is not UNKNOWN  # every case has a deploy-time value: a real comparison
    assert bicep(bicep_expression) == expected


def test_agreed_values_are_arms_real_ones() -> None:
    # Values Azure produced for uniqueString(); guid() is ARM's v5 UUID.
    assert bicep("uniqueString('hello', 'world')") == arm("uniqueString('hello', 'world')") == "a7wkljktk6wne"
    assert bicep("guid('a', 'b')") == "2d796349-8c7e-55ec-9624-54ece82ed031"
    # Deep merge: a nested object merges into the first spelling of its key.
    assert bicep("union({ a: { x: 1 } }, { A: { y: 2 } })") == {"a": {"x": 1, "y": 2}}


# (Bicep, ARM) calls on a value known only at deployment: both unknown, nothing guessed.
UNKNOWN_CALLS: list[tuple[str, str]] = [
    ("uniqueString(p, 'x')", "uniqueString(parameters('p'), 'x')"),
    ("guid(p)", "guid(parameters('p'))"),
    ("toLower(p)", "toLower(parameters('p'))"),
    ("union({ a: 1 }, p)", "union(createObject('a', 1), parameters('p'))"),
    ("length(p)", "length(parameters('p'))"),
    ("concat('a', p)", "concat('a', parameters('p'))"),
    ("contains([1, p], 2)", "contains(createArray(1, parameters('p')), 2)"),
    (
        "resourceId('Microsoft.Search/searchServices', p)",
        "resourceId('Microsoft.Search/searchServices', parameters('p'))",
    ),
]


@pytest.mark.parametrize(
    ("bicep_expression", "arm_expression"), UNKNOWN_CALLS, ids=[b for b, _ in UNKNOWN_CALLS]
)
def test_unknown_propagates_alike(bicep_expression: str, arm_expression: str) -> None:
    assert arm(arm_expression, p=UNKNOWN) is UNKNOWN
    assert bicep(bicep_expression, p=UNKNOWN) is UNKNOWN


def test_every_bicep_function_but_its_own_is_the_shared_one() -> None:
    own = {name for name, fn in BICEP_FUNCTIONS.items() if FUNCTIONS.get(name) is not fn}
    assert own == {"any", "if"}


def test_plain_site_makes_no_placeholders() -> None:
    site = PlainSite("resourceId")
    assert FUNCTIONS["resourceid"](site, ["Microsoft.Search/searchServices", "s"]) is UNKNOWN
    with pytest.raises(FunctionError, match=r"range\(\): count 20000 is outside 0 to 10000"):
        FUNCTIONS["range"](PlainSite("range"), [0, 20000])
