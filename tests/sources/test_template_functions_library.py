"""CIDR, URI, date, fail and index-from-end functions: Azure's documented values, alike in Bicep and ARM."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aigov.errors import SourceError
from aigov.model import UNKNOWN
from aigov.sources.arm_expressions import DeploymentContext, Evaluator, ExpressionError, finalize
from aigov.sources.bicep.evaluate import Deployment, Evaluation, FileEvaluator
from aigov.sources.bicep.parser import parse
from aigov.sources.confine import ScanRoot


def bicep(expression: str, file: str = "t.bicep", **inputs: Any) -> Any:
    params = "".join(f"param {name} object\n" for name in inputs)
    evaluator = FileEvaluator(
        parse(f"{params}var v = {expression}\n", file),
        file=file,
        inputs=inputs,
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(file)),
    )
    return evaluator.var_value("v")


def arm(expression: str, **parameters: Any) -> Any:
    ev = Evaluator(parameters={k.lower(): v for k, v in parameters.items()})
    return finalize(ev.string(f"[{expression}]"))


# (call, value): the call is written alike in Bicep and ARM; values from the function reference pages.
CASES: list[tuple[str, Any]] = [
    # https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-cidr
    (
        "parseCidr('10.144.0.0/20')",
        {
            "network": "10.144.0.0",
            "netmask": "255.255.240.0",
            "broadcast": "10.144.15.255",
            "firstUsable": "10.144.0.1",
            "lastUsable": "10.144.15.254",
            "cidr": 20,
        },
    ),
    (
        "parseCidr('fdad:3236:5555::/48')",
        {
            "network": "fdad:3236:5555::",
            "netmask": "ffff:ffff:ffff::",
            "firstUsable": "fdad:3236:5555::",
            "lastUsable": "fdad:3236:5555:ffff:ffff:ffff:ffff:ffff",
            "cidr": 48,
        },
    ),
    ("parseCidr('10.144.3.7/24').network", "10.144.3.0"),  # host bits are not the network's
    ("parseCidr('10.0.0.0/31').firstUsable", "10.0.0.0"),  # a point-to-point /31 reserves nothing
    ("parseCidr('10.0.0.4/32').lastUsable", "10.0.0.4"),
    ("cidrSubnet('10.144.0.0/20', 24, 0)", "10.144.0.0/24"),
    ("cidrSubnet('10.144.0.0/20', 24, 4)", "10.144.4.0/24"),
    ("cidrSubnet('10.144.0.0/20', 20, 0)", "10.144.0.0/20"),
    ("cidrSubnet('fdad:3236:5555::/48', 52, 1)", "fdad:3236:5555:1000::/52"),
    ("cidrSubnet('fdad:3236:5555::/48', 52, 4)", "fdad:3236:5555:4000::/52"),
    ("cidrHost('10.144.3.0/24', 0)", "10.144.3.1"),
    ("cidrHost('10.144.3.0/24', 3)", "10.144.3.4"),  # index 3: Azure's first usable address
    ("cidrHost('10.144.3.0/24', 253)", "10.144.3.254"),  # the last before the broadcast address
    ("cidrHost('fdad:3236:5555:3000::/52', 0)", "fdad:3236:5555:3000::1"),
    ("cidrHost('fdad:3236:5555:3000::/52', 4)", "fdad:3236:5555:3000::5"),
    # https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-string#uri
    ("uri('http://contoso.org/firstpath', 'myscript.sh')", "http://contoso.org/myscript.sh"),
    ("uri('http://contoso.org/firstpath/', 'myscript.sh')", "http://contoso.org/firstpath/myscript.sh"),
    ("uri('http://contoso.org/firstpath/', '/myscript.sh')", "http://contoso.org/firstpath/myscript.sh"),
    (
        "uri('http://contoso.org/firstpath/azuredeploy.json', 'myscript.sh')",
        "http://contoso.org/firstpath/myscript.sh",
    ),
    (
        "uriComponent('http://contoso.com/resources/nested/azuredeploy.json')",
        "http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json",
    ),
    ("uriComponent('a b~_.-é')", "a%20b~_.-%C3%A9"),  # unreserved characters stay, UTF-8 in hex
    (
        "uriComponentToString('http%3A%2F%2Fcontoso.com%2Fresources%2Fnested%2Fazuredeploy.json')",
        "http://contoso.com/resources/nested/azuredeploy.json",
    ),
    ("dataUri('Hello')", "data:text/plain;charset=utf8;base64,SGVsbG8="),
    ("dataUriToString('data:;base64,SGVsbG8sIFdvcmxkIQ==')", "Hello, World!"),
    ("dataUriToString('data:text/plain,a%20b')", "a b"),  # not base64: percent-encoded
    ("base64ToJson('eyJvbmUiOiAiYSIsICJ0d28iOiAiYiJ9')", {"one": "a", "two": "b"}),
    (
        "parseUri('https://Example.com/templates/t.json?st=1')",
        {
            "scheme": "https",
            "host": "example.com",
            "port": 443,
            "path": "/templates/t.json",
            "query": "?st=1",
        },
    ),
    ("parseUri('http://localhost:8080').port", 8080),
    ("parseUri('http://localhost:8080').path", "/"),
    ("buildUri(parseUri('https://h.net/a?b=1'))", "https://h.net/a?b=1"),  # the default port is left out
    ("buildUri(union(parseUri('https://h.net/a'), json('{\"port\": 8443}')))", "https://h.net:8443/a"),
    # https://learn.microsoft.com/azure/azure-resource-manager/bicep/bicep-functions-date
    ("dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')", "2023-04-07 14:53:14Z"),
    ("dateTimeAdd('2020-04-07 14:53:14Z', '-P9D')", "2020-03-29 14:53:14Z"),
    ("dateTimeAdd('2020-04-07T14:53:14Z', 'PT1H')", "2020-04-07T15:53:14Z"),
    ("dateTimeAdd('2020-01-31T00:00:00Z', 'P1M')", "2020-02-29T00:00:00Z"),  # clamped to the month's end
    ("dateTimeAdd('20200131T000000Z', 'P1W')", "20200207T000000Z"),  # utcNow()'s layout is kept
    ("dateTimeAdd('2020-01-31T00:00:00Z', 'P1DT30M', 'yyyy-MM-dd HH:mm')", "2020-02-01 00:30"),
    ("dateTimeAdd('2020-01-31T00:00:00Z', 'P1D', 'u')", "2020-02-01 00:00:00Z"),
    ("dateTimeFromEpoch(1683040573)", "2023-05-02T15:16:13Z"),
    ("dateTimeToEpoch('2023-05-02T15:16:13Z')", 1683040573),
    # ``a[^n]`` in Bicep compiles to these.
    ("indexFromEnd(createArray(1, 2, 3), 1)", 3),
    ("indexFromEnd(createArray(1, 2, 3), 3)", 1),
    ("tryIndexFromEnd(createArray(1, 2, 3), 4)", None),
    ("tryIndexFromEnd(null(), 1)", None),
]


def _bicep_spelling(call: str) -> str:
    """ARM-only helpers in a case, in Bicep's own syntax."""
    return (
        call.replace("createArray(1, 2, 3)", "[1, 2, 3]")
        .replace("null()", "null")
        .replace("json('{\"port\": 8443}')", "{ port: 8443 }")
    )


@pytest.mark.parametrize(("call", "expected"), CASES, ids=[c for c, _ in CASES])
def test_arm_value(call: str, expected: Any) -> None:
    assert arm(call) == expected


BICEP_CASES = [(c, e) for c, e in CASES if "FromEnd" not in c]  # Bicep writes those as a[^n]


@pytest.mark.parametrize(("call", "expected"), BICEP_CASES, ids=[c for c, _ in BICEP_CASES])
def test_bicep_value(call: str, expected: Any) -> None:
    assert bicep(_bicep_spelling(call)) == expected


ERRORS: list[tuple[str, str]] = [
    ("parseCidr('10.0.0.5')", "parseCidr(): '10.0.0.5' is not in CIDR notation"),
    ("parseCidr('10.0.0.300/24')", "is not a valid CIDR range"),
    ("cidrSubnet('10.0.0.0/24', 23, 0)", "the new prefix /23 must be between /24 and /32"),
    ("cidrSubnet('10.0.0.0/24', 25, 2)", "10.0.0.0/24 has 2 subnets of /25; index 2 is not one"),
    ("cidrHost('10.0.0.0/24', 254)", "host index 254 is outside 10.0.0.0/24"),
    ("cidrHost('10.0.0.0/24', -1)", "host index -1 is outside"),
    ("dataUriToString('hello')", "is not a data URI"),
    ("base64ToJson('aGk=')", "is not base64 of JSON"),
    ("parseUri('not a uri')", "is not an absolute URI"),
    ("dateTimeAdd('yesterday', 'P1D')", "'yesterday' is not an ISO 8601 date and time"),
    ("dateTimeAdd('2020-01-01', 'P')", "'P' is not an ISO 8601 duration"),
    ("fail('the SKU is not allowed')", "the template calls fail(): the SKU is not allowed"),
]


@pytest.mark.parametrize(("call", "message"), ERRORS, ids=[c for c, _ in ERRORS])
def test_errors_alike(call: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=_pattern(message)):
        arm(call)
    with pytest.raises(SourceError, match=_pattern(message)):
        bicep(call)


def _pattern(message: str) -> str:
    return re.escape(message)


def test_index_from_end_outside_the_array() -> None:
    with pytest.raises(
        ExpressionError, match=r"indexFromEnd\(\): index \^4 is outside the array \(length 3\)"
    ):
        arm("indexFromEnd(createArray(1, 2, 3), 4)")


UNKNOWN_INPUTS = [
    "parseCidr(p)",
    "cidrSubnet(p, 24, 0)",
    "cidrHost('10.0.0.0/24', p)",
    "uri(p, 'a')",
    "uriComponent(p)",
    "dataUri(p)",
    "base64ToJson(p)",
    "parseUri(p)",
    "buildUri(p)",
    "dateTimeAdd(p, 'P1D')",
    "dateTimeToEpoch(p)",
]


@pytest.mark.parametrize("call", UNKNOWN_INPUTS)
def test_unknown_in_unknown_out(call: str) -> None:
    assert arm(re.sub(r"\bp\b", "parameters('p')", call), p=UNKNOWN) is UNKNOWN
    assert bicep(call, p=UNKNOWN) is UNKNOWN


def test_a_format_aigov_cannot_render_is_unknown_not_a_guess() -> None:
    assert arm("dateTimeAdd('2020-01-31T00:00:00Z', 'P1D', 'D')") is UNKNOWN
    assert bicep("dateTimeAdd('2020-01-31T00:00:00Z', 'P1D', 'D')") is UNKNOWN


def test_fail_under_an_unknown_condition_is_unknown() -> None:
    assert bicep("p.ok ? 'S0' : fail('not ok')", p=UNKNOWN) is UNKNOWN
    assert arm("if(parameters('p'), 'S0', fail('not ok'))", p=UNKNOWN) is UNKNOWN
    assert bicep("true ? 'S0' : fail('not ok')") == "S0"  # the branch taken is the only one evaluated
    with pytest.raises(SourceError, match="the template calls fail"):
        bicep("false ? 'S0' : fail('not ok')")


# --------------------------------------------------------------------------- Bicep's own


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("nameof(account)", "account"),
        ("nameof(account.properties.customSubDomainName)", "customSubDomainName"),
        ("nameof(account.properties['sku'])", "sku"),
        ("nameof(account::chat)", "chat"),
        ("nameof(location)", "location"),
    ],
)
def test_nameof(expression: str, expected: str) -> None:
    text = (
        "param location string = 'eastus'\n"
        "resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
        "  name: 'a'\n  properties: { customSubDomainName: 'a' }\n"
        "  resource chat 'deployments' = { name: 'chat' }\n}\n"
        f"var v = {expression}\n"
    )
    ev = FileEvaluator(
        parse(text, "t.bicep"),
        file="t.bicep",
        inputs={},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(".")),
    )
    assert ev.var_value("v") == expected


def test_nameof_needs_a_name() -> None:
    with pytest.raises(SourceError, match=r"nameof\(\) needs a symbol or a property name"):
        bicep("nameof('x')")


def test_load_directory_file_info(tmp_path: Path) -> None:
    assets = tmp_path / "Assets"
    (assets / "sub").mkdir(parents=True)
    for name in ("b.txt", "TextFile.txt", "a.json", "binary"):
        (assets / name).write_text("x", encoding="utf-8")
    file = str(tmp_path / "main.bicep")
    every = bicep("loadDirectoryFileInfo('./Assets')", file=file)
    # The compiler's order: names compared without case; files only, not sub-folders.
    assert [e["relativePath"] for e in every] == [
        "Assets/a.json",
        "Assets/b.txt",
        "Assets/binary",
        "Assets/TextFile.txt",
    ]
    assert every[1] == {"relativePath": "Assets/b.txt", "baseName": "b.txt", "extension": ".txt"}
    assert every[2]["extension"] == ""
    texts = bicep("loadDirectoryFileInfo('Assets', '*.txt')", file=file)
    assert [e["baseName"] for e in texts] == ["b.txt", "TextFile.txt"]
    with pytest.raises(SourceError, match="'missing' is not a folder"):
        bicep("loadDirectoryFileInfo('missing')", file=file)


def test_resource_id_accepts_a_type_with_a_trailing_slash() -> None:
    context = DeploymentContext(subscription_id="s", resource_group="rg")
    ev = Evaluator(parameters={}, context=context)
    with_slash = ev.string("[resourceId('Microsoft.Network/virtualNetworks/subnets/', 'vnet', 'snet')]")
    assert (
        with_slash
        == "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/snet"
    )
    assert with_slash == ev.string(
        "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'snet')]"
    )


def test_group_by_maps_values_when_given_a_second_lambda() -> None:
    items = "[{ type: 'a', value: 1 }, { type: 'b', value: 2 }, { type: 'a', value: 3 }]"
    assert bicep(f"groupBy({items}, x => x.type, x => x.value)") == {"a": [1, 3], "b": [2]}
    arm_items = (
        "createArray(createObject('type', 'a', 'value', 1), createObject('type', 'b', 'value', 2), "
        "createObject('type', 'a', 'value', 3))"
    )
    key, value = "lambda('x', lambdaVariables('x').type)", "lambda('x', lambdaVariables('x').value)"
    expected = arm(f"groupBy({arm_items}, {key}, {value})")
    assert expected == {"a": [1, 3], "b": [2]}


def test_json_allows_comments_as_arm_does() -> None:
    text = '{"a": [1, /* two */ 2], // note\n "b": "//not a comment"}'
    assert arm(f"json('{text}')") == {"a": [1, 2], "b": "//not a comment"}


def test_an_arm_property_name_may_be_an_expression() -> None:
    ev = Evaluator(parameters={"name": "cost-center"})
    value = ev.value({"[parameters('name')]": "cc-1", "[string('copy')]": [1]}, expand_copy=True)
    assert value == {"cost-center": "cc-1", "copy": [1]}
    assert Evaluator(parameters={"name": UNKNOWN}).value({"[parameters('name')]": 1}) is UNKNOWN
    assert bicep("{ '${p}': 1 }", p="cost-center") == {"cost-center": 1}  # the Bicep it compiles from


def test_load_functions_read_encodings_and_json_paths(tmp_path: Path) -> None:
    (tmp_path / "latin.txt").write_bytes("¡cent¢".encode("latin-1"))
    (tmp_path / "wide.txt").write_bytes("\ufeffé".encode("utf-16-be"))
    (tmp_path / "data.json").write_text(
        '{"a": {"b": [10, 20]}, /* c */ "items": [{"n": "x"}, {"n": "y"}]}', encoding="utf-8"
    )
    file = str(tmp_path / "main.bicep")
    assert bicep("loadTextContent('latin.txt', 'iso-8859-1')", file=file) == "¡cent¢"
    assert bicep("loadTextContent('wide.txt', 'utf-16BE')", file=file) == "é"
    assert bicep("loadJsonContent('data.json')", file=file)["a"] == {"b": [10, 20]}
    assert bicep("loadJsonContent('data.json', '.a.b[1]')", file=file) == 20
    assert bicep("loadJsonContent('data.json', '$.items[*].n')", file=file) == ["x", "y"]
    assert bicep("loadJsonContent('data.json', '$[\\'a\\']')", file=file) == {"b": [10, 20]}
    assert bicep("loadJsonContent('data.json', '.items[?(@.n == \\'x\\')]')", file=file) is UNKNOWN
    with pytest.raises(SourceError, match=r"the path '\.nope' selects nothing"):
        bicep("loadJsonContent('data.json', '.nope')", file=file)
    with pytest.raises(SourceError, match="encoding 'ebcdic' is not one Bicep reads"):
        bicep("loadTextContent('latin.txt', 'ebcdic')", file=file)


def test_and_or_stop_at_the_argument_that_decides() -> None:
    # ARM's and()/or() short-circuit, and compiled Bicep relies on it: and(contains(x, 'a'), x.a).
    assert arm("and(contains(json('{}'), 'enabled'), json('{}').enabled)") is False
    assert arm("or(true, json('{}').enabled)") is True
    assert bicep("contains({}, 'enabled') && {}.enabled") is False
    # After an unknown argument a later one may never run at deployment: its error is unknown.
    assert arm("and(parameters('p'), json('{}').enabled)", p=UNKNOWN) is UNKNOWN
    assert bicep("p.on && {}.enabled", p=UNKNOWN) is UNKNOWN
    with pytest.raises(ExpressionError, match="property 'enabled' does not exist"):
        arm("and(true, json('{}').enabled)")


def test_a_name_that_is_not_declared_is_an_error_even_where_it_may_not_run() -> None:
    with pytest.raises(SourceError, match="'nowhere' is not declared"):
        bicep("p.on ? nowhere : 'x'", p=UNKNOWN)
    with pytest.raises(SourceError, match="'nowhere' is not declared"):
        bicep("p.on && nowhere", p=UNKNOWN)
    with pytest.raises(ExpressionError, match="parameter 'nowhere' is not defined"):
        arm("if(parameters('p'), parameters('nowhere'), 'x')", p=UNKNOWN)
    with pytest.raises(ExpressionError, match="variable 'nowhere' is not defined"):
        arm("and(parameters('p'), variables('nowhere'))", p=UNKNOWN)
    # A value error there is unknown: the branch may not run at deployment.
    assert bicep("p.on ? [1][3] : 1", p=UNKNOWN) is UNKNOWN
    assert arm("if(parameters('p'), createArray(1)[3], 1)", p=UNKNOWN) is UNKNOWN
