"""Bicep evaluation: values of expressions, functions, parameters, loops, conditions, modules and limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.errors import SourceError
from aigov.model import UNKNOWN
from aigov.sources.bicep.evaluate import MAX_STEPS, Budget, Deployment, Evaluation, FileEvaluator
from aigov.sources.bicep.functions import FUNCTIONS
from aigov.sources.bicep.parser import parse
from aigov.sources.confine import ScanRoot

CONSTRUCTS = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "constructs" / "main.bicep"


def evaluator(text: str, file: str = "t.bicep", steps: int = MAX_STEPS, **inputs: Any) -> FileEvaluator:
    evaluation = Evaluation(root=ScanRoot.for_input(file), budget=Budget(limit=steps))
    return FileEvaluator(
        parse(text, file), file=file, inputs=inputs, prefix="", deployment=Deployment(), evaluation=evaluation
    )


def value(expression: str, **inputs: Any) -> Any:
    """The value of one expression, with ``inputs`` as untyped parameters."""
    params = "".join(f"param {name} object\n" for name in inputs)
    return evaluator(f"{params}var v = {expression}\n", **inputs).var_value("v")


@pytest.fixture(scope="module")
def constructs() -> FileEvaluator:
    path = str(CONSTRUCTS)
    return FileEvaluator(
        parse(CONSTRUCTS.read_text(encoding="utf-8"), path),
        file=path,
        inputs={},
        prefix="",
        deployment=Deployment(),
        evaluation=Evaluation(root=ScanRoot.for_input(path)),
    )


# The constructs fixture's variables and what they evaluate to with the default parameters.
EXPECTED_VARS: dict[str, Any] = {
    "isProd": False,
    "deploymentSku": {"name": "Standard", "capacity": 10},  # multi-line ternary; imported variable
    "location": "eastus2",  # nullable parameter without a value is null; ?? takes the default
    "message": "It's the 'dev' ENV: ${literal}",
    "notProd": True,
    "optional": 5,
    "missingChain": None,
    "enabledNames": ["search", "vision"],
    "totalCapacity": 30,
    "sorted": [
        {"model": "gpt-4o-mini", "version": "2024-07-18"},
        {"model": "gpt-4o", "version": "2024-11-20", "capacity": 30},
    ],
    "byName": {"gpt-4o": "2024-11-20", "gpt-4o-mini": "2024-07-18"},
    "indexed": ["0:gpt-4o", "1:gpt-4o-mini"],
    "ranged": ["replica-1", "replica-2", "replica-3"],
    "filtered": ["gpt-4o"],
    "commaArray": ["a", "b", "c"],
    "commaObject": {"a": 1, "b": 2},
    "mixed": {"a": 1, "b": [1, 2]},
    "merged": {"cost-center": "cc-1", "owner": "override", "workload": "constructs"},
    "formatted": "dev-007",
    "joined": "a|b|c",
    "sliced": ["a", "b", "c", "a", "c"],
    "imported": "gpt-4o-20241120",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_VARS))
def test_constructs_variables(constructs: FileEvaluator, name: str) -> None:
    assert constructs.var_value(name) == EXPECTED_VARS[name]


def test_constructs_functions(constructs: FileEvaluator) -> None:
    misc = constructs.var_value("misc")
    assert misc == {
        "length": 3,
        "empty": True,
        "lower": "abc",
        "replaced": "a_b_c",
        "coalesced": "x",
        "str": "3",
        "int": 42,
        "bool": True,
        "json": {"a": [1, 2]},
        "any": 4,
        "contains": True,
        "rgLocation": UNKNOWN,
        "subscriptionId": UNKNOWN,
        "id": UNKNOWN,
        "unique": "fpk23bfcsfiry",  # ARM's uniqueString('fixed', 'inputs')
        "uniqueUnknown": UNKNOWN,
        "guid": "c777d640-19dc-54fc-a517-8f7c3b667787",  # ARM's guid('fixed')
    }


def test_constructs_outputs(constructs: FileEvaluator) -> None:
    assert constructs.output_value("endpoint") is UNKNOWN  # a runtime property
    assert constructs.output_value("keys") is UNKNOWN  # listKeys()
    assert constructs.output_value("firstName") == "first"
    assert constructs.output_value("loopNames") == ["gpt-4o-20241120", "gpt-4o-mini-20240718"]


def test_unique_string_is_arms_own() -> None:
    # Values Azure produced (see test_arm_expressions.test_unique_string_matches_azure).
    assert value("uniqueString('hello', 'world')") == "a7wkljktk6wne"
    assert value("uniqueString('test')") == "rbgf3xv4ufgzg"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("-7 / 2", -3),  # ARM integer division truncates toward zero
        ("-7 % 2", -1),
        ("'a' =~ 'A'", True),
        ("'a' !~ 'A'", False),
        ("[1, 2] == [1, 2]", True),
        ("'abc' < 'abd'", True),
        ("true && false || true", True),
        ("null ?? null ?? 'c'", "c"),
        ("contains({ Key: 1 }, 'key')", True),
        ("{ Key: 1 }.key", 1),  # ARM property names are case-insensitive
        ("first([])", None),
        ("last('abc')", "c"),
        ("split('a;b,c', [';', ','])", ["a", "b", "c"]),
        ("union([1, 2], [2, 3])", [1, 2, 3]),
        ("union({ a: { x: 1 } }, { a: { y: 2 } })", {"a": {"x": 1, "y": 2}}),
        ("items({ b: 2, a: 1 })", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
        ("filter([1, 2, 3, 4], x => x % 2 == 0)", [2, 4]),
        ("map(['a', 'b'], (x, i) => '${i}${x}')", ["0a", "1b"]),
        ("toObject(['a'], x => x)", {"a": "a"}),
        ("'${true}-${1}-${null}-${[1]}'", "True-1--[1]"),
        ("format('{0:N0}|{1}|{{x}}', 1234, 'y')", "1,234|y|{x}"),
        ("substring('abcdef', 1, 3)", "bcd"),
        ("tryGet({ a: { b: 1 } }, 'a', 'b')", 1),
        ("tryGet({ a: 1 }, 'z')", None),
        ("[...[1, 2], 3]", [1, 2, 3]),
        ("{ ...{ a: 1 }, b: 2 }", {"a": 1, "b": 2}),
        ("min([3, 1, 2])", 1),
        ("max(3, 4)", 4),
        ("flatten([[1], [2, 3]])", [1, 2, 3]),
        ("shallowMerge([{ a: { x: 1 } }, { a: { y: 2 } }])", {"a": {"y": 2}}),
        ("indexOf('abc', 'C')", 2),
        ("startsWith('Microsoft.X', 'microsoft')", True),
        ("padLeft('7', 3, '0')", "007"),
        ("base64ToString(base64('hi'))", "hi"),
        ("createObject('a', 1)", {"a": 1}),
        ("intersection([1, 2, 3], [2, 3, 4])", [2, 3]),
        ("objectKeys({ a: 1, b: 2 })", ["a", "b"]),
        ("sys.toLower('A')", "a"),
        ("az.resourceGroup().name", UNKNOWN),
        ("tenantResourceId('Microsoft.X/y', 'n')", "/providers/Microsoft.X/y/n"),
    ],
)
def test_expressions(expression: str, expected: Any) -> None:
    assert value(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("p.x", UNKNOWN),
        ("'${p}-suffix'", UNKNOWN),
        ("toLower(p)", UNKNOWN),
        ("p == 'a'", UNKNOWN),
        ("false && p", False),  # short circuit decides without the unknown
        ("true || p", True),
        ("p ?? 'x'", UNKNOWN),
        ("p ? 'same' : 'same'", "same"),  # both branches agree
        ("p ? 'a' : 'b'", UNKNOWN),
        ("contains(['a', p], 'a')", True),
        ("contains(['b', p], 'a')", UNKNOWN),
        ("union({ a: 1 }, { b: p })", {"a": 1, "b": UNKNOWN}),  # the unknown stays where it is
        ("length([p, p])", 2),
        ("join([p], ',')", UNKNOWN),
        ("{ '${p}': 1 }", UNKNOWN),
        ("[for x in p: x]", UNKNOWN),  # its length too is known only at deployment, as in ARM
        ("reference('x').properties", UNKNOWN),
        ("utcNow()", UNKNOWN),
        ("newGuid()", UNKNOWN),
    ],
)
def test_unknown_propagates_without_guessing(expression: str, expected: Any) -> None:
    assert value(expression, p=UNKNOWN) == expected


def test_every_common_function_of_the_issue_is_implemented() -> None:
    wanted = [
        *("union", "concat", "contains", "empty", "toLower", "toUpper", "format", "length", "split", "join"),
        *("replace", "first", "last", "take", "skip", "range", "items", "filter", "map", "reduce"),
        *("coalesce", "string", "int", "bool", "json", "any", "uniqueString", "guid", "sort", "toObject"),
    ]
    assert [f for f in wanted if f.lower() not in FUNCTIONS] == []


@pytest.mark.parametrize(
    ("text", "inputs", "message"),
    [
        (
            "@allowed([\n  'a'\n  'b'\n])\nparam p string\n",
            {"p": "c"},
            "t.bicep: line 5, column 1: parameter 'p': 'c' is not an allowed value (a, b)",
        ),
        ("@minValue(1)\nparam p int\n", {"p": 0}, "parameter 'p': 0 is below the minimum 1"),
        ("@maxValue(9)\nparam p int = 10\n", {}, "parameter 'p': 10 is above the maximum 9"),
        ("@maxLength(2)\nparam p string\n", {"p": "abc"}, "length 3 is longer than 2"),
        ("param p 'x' | 'y'\n", {"p": "z"}, "parameter 'p': 'z' is not one of x, y"),
        ("var a = b\nvar b = a\n", {}, "refers to itself"),
        ("var v = [for i in range(0, 900): i]\n", {}, "the loop has 900 items; ARM allows at most 800"),
        ("var v = range(0, 20000)\n", {}, "range(): count 20000 is outside 0 to 10000"),
        ("var v = nope(1)\n", {}, "t.bicep: line 1, column 9: unknown function 'nope'"),
        ("var v = undeclared\n", {}, "'undeclared' is not declared"),
        ("var v = { a: 1 }.b\n", {}, "the object has no property 'b' (it has: a)"),
        ("var v = [1][3]\n", {}, "index 3 is outside the array (length 1)"),
        ("var v = 1 + 'a'\n", {}, "'+' needs ints"),
        ("var v = 1 / 0\n", {}, "division by zero"),
        ("var v = int('x')\n", {}, "int(): 'x' is not an integer"),
        ("var v = concat('a', [1])\n", {}, "concat() expects all strings or all arrays"),
    ],
)
def test_evaluation_errors(text: str, inputs: dict[str, Any], message: str) -> None:
    ev = evaluator(text, **inputs)
    with pytest.raises(SourceError) as info:
        evaluate_everything(ev)
    assert message in str(info.value)


def evaluate_everything(ev: FileEvaluator) -> None:
    ev.run()
    for name in ev.vars:
        ev.var_value(name)


def test_a_parameter_without_value_or_default_is_unknown() -> None:
    assert evaluator("param p string\n").param_value("p") is UNKNOWN


def test_a_given_value_overrides_the_default() -> None:
    assert evaluator("param p string = 'a'\n", p="b").param_value("p") == "b"


def test_step_budget_ends_a_runaway_evaluation() -> None:
    text = "var v = [for i in range(0, 800): [for j in range(0, 800): [for k in range(0, 800): k]]]\n"
    ev = evaluator(text, steps=50_000)
    with pytest.raises(SourceError, match="evaluation stopped after 50000 steps"):
        ev.var_value("v")


def test_module_without_a_required_parameter(tmp_path: Path) -> None:
    (tmp_path / "child.bicep").write_text("param needed string\n", encoding="utf-8")
    main = tmp_path / "main.bicep"
    main.write_text("module m './child.bicep' = {\n  name: 'm'\n  params: {}\n}\n", encoding="utf-8")
    ev = evaluator(main.read_text(encoding="utf-8"), file=str(main))
    with pytest.raises(
        SourceError, match=r"parameter 'needed' has no value: the module call does not give it"
    ):
        ev.run()


def test_module_given_an_undeclared_parameter(tmp_path: Path) -> None:
    (tmp_path / "child.bicep").write_text("param a string = ''\n", encoding="utf-8")
    main = tmp_path / "main.bicep"
    main.write_text("module m './child.bicep' = {\n  name: 'm'\n  params: { b: 1 }\n}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"'\./child\.bicep' has no parameter 'b'"):
        evaluator(main.read_text(encoding="utf-8"), file=str(main)).run()


def test_module_cycle_and_missing_module(tmp_path: Path) -> None:
    loop = tmp_path / "loop.bicep"
    loop.write_text("module m './loop.bicep' = {\n  name: 'm'\n}\n", encoding="utf-8")
    with pytest.raises(SourceError, match="refers back to a file that refers to it"):
        evaluator(loop.read_text(encoding="utf-8"), file=str(loop)).run()
    missing = tmp_path / "missing.bicep"
    missing.write_text("module m './nowhere.bicep' = {\n  name: 'm'\n}\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"line 1, column 1: './nowhere.bicep' not found"):
        evaluator(missing.read_text(encoding="utf-8"), file=str(missing)).run()
