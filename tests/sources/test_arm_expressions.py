"""The ARM expression language: parsing, built-ins, unknowns and placeholders, bounds."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.model import UNKNOWN
from aigov.sources.arm_expressions import (
    DeploymentContext,
    Evaluator,
    ExpressionError,
    UserFunction,
    arm_guid,
    finalize,
    has_opaque,
    parse,
    render,
    unique_string,
    unparse,
)

PARAMETERS: dict[str, Any] = {
    "tags": {"owner": "ana", "nested": {"a": 1}},
    "deployments": [{"name": "chat", "sku": {"name": "GlobalStandard", "capacity": 50}}, {"name": "ptu"}],
    "env": "prod",
    "count": 3,
    "flag": True,
    "unknown": UNKNOWN,
}
VARIABLES: dict[str, Any] = {
    "prefix": "[concat('oai-', parameters('env'))]",
    "token": "[uniqueString(resourceGroup().id)]",
    "account": "[format('oai-{0}', variables('token'))]",
    "indexed": {
        "copy": [{"name": "items", "count": 2, "input": "[concat('i', string(copyIndex('items')))]"}]
    },
    "copy": [
        {"name": "disks", "count": "[parameters('count')]", "input": {"lun": "[copyIndex('disks', 1)]"}}
    ],
    "loop": "[variables('loop')]",
}


def evaluate(text: str, **context: Any) -> Any:
    ev = Evaluator(parameters=PARAMETERS, variables=VARIABLES, context=DeploymentContext(**context))
    return ev.string(text)


# ARM's uniqueString(): values Azure itself produced (Microsoft's own test of its
# marketplace deployer, and a shell port checked against Bicep's output).
@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            (
                "/subscriptions/31e9f9a0-9fd2-4294-a0a3-0101246d9700/resourceGroups/rg-modm201-20230913120256"
                "/providers/Microsoft.Compute/virtualMachines/bobjacmodm201",
            ),
            "yvjxno3je5on2",
        ),
        (("test",), "rbgf3xv4ufgzg"),
        (("hello", "world"), "a7wkljktk6wne"),
        (("abc",), "cgtzqvhu4i23s"),
        (("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg",), "bmg7c6xu4tw46"),
        (("foo", "bar", "baz"), "xzi4ioaxtmth4"),
    ],
)
def test_unique_string_matches_azure(values: tuple[str, ...], expected: str) -> None:
    assert unique_string(*values) == expected


def test_guid_is_the_documented_name_based_uuid() -> None:
    value = arm_guid("a", "b")
    assert value == "2d796349-8c7e-55ec-9624-54ece82ed031"
    assert value[14] == "5"  # version 5
    assert evaluate("[guid('a', 'b')]") == value


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[concat('a', 'b', 1)]", "ab1"),
        ("[concat(createArray(1, 2), createArray(3))]", [1, 2, 3]),
        ("[format('{0}-{1:D3}-{{x}}', 'a', 7)]", "a-007-{x}"),
        ("[string(createObject('a', 1))]", '{"a":1}'),
        ("[string(true())]", "True"),
        ("[int('42')]", 42),
        ("[bool('TRUE')]", True),
        ("[json('{\"a\": [1]}').a[0]]", 1),
        ("[toLower('ABC')]", "abc"),
        ("[toUpper('abc')]", "ABC"),
        ("[replace('a-b-c', '-', '')]", "abc"),
        ("[substring('abcdef', 2, 3)]", "cde"),
        ("[length(parameters('deployments'))]", 2),
        ("[empty('')]", True),
        ("[empty(parameters('tags'))]", False),
        ("[contains(parameters('tags'), 'OWNER')]", True),
        ("[contains('abc', 'b')]", True),
        ("[contains(createArray(1, 2), 3)]", False),
        (
            "[union(parameters('tags'), createObject('nested', createObject('b', 2)))]",
            {"owner": "ana", "nested": {"a": 1, "b": 2}},
        ),
        ("[union(createArray(1, 2), createArray(2, 3))]", [1, 2, 3]),
        ("[intersection(createArray(1, 2, 3), createArray(2, 3, 4))]", [2, 3]),
        ("[array('x')]", ["x"]),
        ("[if(parameters('flag'), 'yes', 'no')]", "yes"),
        ("[if(false(), fails(), 'lazy')]", "lazy"),
        ("[equals(parameters('env'), 'prod')]", True),
        ("[not(equals(1, 2))]", True),
        ("[and(true(), false())]", False),
        ("[or(false(), true())]", True),
        ("[greater(3, 2)]", True),
        ("[greaterOrEquals(2, 2)]", True),
        ("[less('a', 'b')]", True),
        ("[lessOrEquals(3, 2)]", False),
        ("[coalesce(null(), 'x')]", "x"),
        ("[first(parameters('deployments')).name]", "chat"),
        ("[last(parameters('deployments')).name]", "ptu"),
        ("[take(createArray(1, 2, 3), 2)]", [1, 2]),
        ("[skip('abcd', 2)]", "cd"),
        ("[split('a/b/c', '/')]", ["a", "b", "c"]),
        ("[join(createArray('a', 'b'), ',')]", "a,b"),
        ("[range(2, 3)]", [2, 3, 4]),
        ("[parameters('deployments')[0].sku['capacity']]", 50),
        ("[tryGet(parameters('deployments')[1], 'sku', 'name')]", None),
        ("[items(createObject('b', 1, 'a', 2))[0].key]", "a"),
        ("[objectKeys(parameters('tags'))]", ["owner", "nested"]),
        ("[filter(range(0, 5), lambda('x', greater(lambdaVariables('x'), 2)))]", [3, 4]),
        ("[map(createArray(1, 2), lambda('x', mul(lambdaVariables('x'), 10)))]", [10, 20]),
        (
            "[reduce(range(1, 4), 0, lambda('acc', 'x', add(lambdaVariables('acc'), lambdaVariables('x'))))]",
            10,
        ),
        (
            "[sort(createArray(3, 1, 2), lambda('a', 'b', "
            "less(lambdaVariables('a'), lambdaVariables('b'))))]",
            [1, 2, 3],
        ),
        ("[toObject(parameters('deployments'), lambda('d', lambdaVariables('d').name))].ptu.name", None),
        ("[variables('prefix')]", "oai-prod"),
        ("[variables('indexed').items]", ["i0", "i1"]),
        ("[variables('disks')[2].lun]", 3),
        ("[div(-7, 2)]", -3),
        ("[mod(-7, 2)]", -1),
        ("[[not an expression]", "[not an expression]"),
        ("plain text", "plain text"),
        (
            "[resourceId('rg-x', 'Microsoft.Search/searchServices', 's1')]",
            "/subscriptions/${subscription().subscriptionId}/resourceGroups/rg-x/providers/Microsoft.Search/searchServices/s1",
        ),
        (
            "[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg')]",
            "/subscriptions/${subscription().subscriptionId}/providers/Microsoft.Resources/resourceGroups/rg",
        ),
        (
            "[extensionResourceId('/x/y', 'Microsoft.Authorization/locks', 'l')]",
            "/x/y/providers/Microsoft.Authorization/locks/l",
        ),
    ],
)
def test_known_values(expression: str, expected: Any) -> None:
    if expression.endswith(".ptu.name"):
        # toObject keeps the whole item when no value lambda is given.
        value = evaluate(expression.removesuffix(".ptu.name"))
        assert value["ptu"] == {"name": "ptu"}
        return
    value = evaluate(expression)
    assert (render(value) if isinstance(value, str) else value) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "[reference('acct').endpoint]",
        "[listKeys('acct', '2024-10-01').key1]",
        "[utcNow()]",
        "[newGuid()]",
        "[equals(resourceGroup().location, 'eastus')]",
        "[length(resourceGroup().name)]",
        "[parameters('unknown')]",
        "[concat('x', parameters('unknown'))]",
        "[if(equals(resourceGroup().location, 'x'), 'a', 'b')]",
        "[and(true(), equals(resourceGroup().name, 'x'))]",
    ],
)
def test_unknown_values(expression: str) -> None:
    assert finalize(evaluate(expression)) is UNKNOWN


def test_placeholders_carry_identity_through_concatenation() -> None:
    account = evaluate("[variables('account')]")
    child = evaluate("[format('{0}/{1}', variables('account'), 'chat')]")
    assert has_opaque(account)
    assert child.split("/")[0] == account  # the same placeholder: the same name at deployment
    assert render(account) == "oai-${uniqueString(resourceGroup().id)}"
    assert evaluate("[equals(variables('account'), variables('account'))]") is True
    assert finalize({"name": account, "n": 1}) == {"name": UNKNOWN, "n": 1}


def test_context_values_given_are_used() -> None:
    value = evaluate("[resourceGroup().location]", location="eastus2", resource_group="rg-1")
    assert value == "eastus2"
    assert evaluate("[uniqueString(resourceGroup().id)]", subscription_id="s", resource_group="rg") == (
        unique_string("/subscriptions/s/resourceGroups/rg")
    )


def test_unsupported_function_is_unknown_and_named() -> None:
    ev = Evaluator(parameters={})
    assert ev.string("[notAFunction('2020-01-01', 'P1D')]") is UNKNOWN
    assert ev.unsupported == {"notAFunction"}


def test_user_defined_function() -> None:
    ev = Evaluator(
        parameters={}, functions={"ns.name": UserFunction(("x",), "[concat(parameters('x'), '-fn')]")}
    )
    assert ev.string("[ns.name('a')]") == "a-fn"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("[parameters('missing')]", "parameter 'missing' is not defined"),
        ("[variables('missing')]", "variable 'missing' is not defined"),
        ("[variables('loop')]", "refers to itself"),
        ("[parameters('deployments')[5]]", "out of range"),
        ("[parameters('tags').nope]", "property 'nope' does not exist"),
        ("[substring('abc', 2, 5)]", "outside a string"),
        ("[copyIndex()]", "copyIndex() used outside"),
        ("[concat('a']", "ends where"),
        ("[concat('a)]", "unterminated string"),
        ("[concat('a') extra]", "unexpected"),
        ("[bareword]", "is not a function call"),
        ("[range(0, 100000)]", "outside 0 to 10000"),
        ("[div(1, 0)]", "by zero"),
        ("[json('{')]", "not valid JSON"),
    ],
)
def test_errors(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(expression)


def test_bounds_stop_runaway_templates() -> None:
    variables = {"v0": "[concat('ab', 'cd')]"}
    for i in range(1, 40):
        variables[f"v{i}"] = f"[concat(variables('v{i - 1}'), variables('v{i - 1}'))]"
    ev = Evaluator(parameters={}, variables=variables)
    with pytest.raises(ExpressionError, match="grows past"):
        ev.string("[variables('v39')]")
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("concat(" * 100 + ")" * 100)


def test_unparse_round_trips() -> None:
    text = "concat(parameters('a')[0].b, 'it''s', 1, true)"
    assert unparse(parse(text)) == "concat(parameters('a')[0].b, 'it''s', 1, true)"
