"""HCL expressions evaluated: one case per construct, as data."""

from __future__ import annotations

from typing import Any

import pytest

from aigov.model import UNKNOWN
from aigov.sources.hcl_eval import EvalError, Evaluator, HclSet, Node, UnknownRef, body_items, parse


class _Scope:
    """var.* from a mapping; anything else unknown to the scope is an error."""

    def __init__(self, variables: dict[str, Any]) -> None:
        self.variables = variables
        self.notes: list[str] = []

    def root(self, name: str, node: Node) -> Any:
        if name == "var":
            return self.variables
        if name == "res":
            return {"id": UnknownRef("azurerm_x.y", "id")}
        raise EvalError(f"unknown {name}", node)

    def note(self, message: str, node: Node | None) -> None:
        self.notes.append(message)


VARIABLES: dict[str, Any] = {
    "env": "prod",
    "n": 3,
    "tags": {"a": "1", "b": "2"},
    "list": ["x", "y", "x"],
    "unknown": UNKNOWN,
    "objs": [{"name": "a", "sku": "S0"}, {"name": "b", "sku": "S1"}],
}


def evaluate(text: str, variables: dict[str, Any] | None = None) -> tuple[Any, list[str]]:
    scope = _Scope(VARIABLES if variables is None else variables)
    attributes, _ = body_items(parse(f"v = {text}"))
    return Evaluator(scope).evaluate(attributes["v"].expression), scope.notes


CASES: list[tuple[str, Any]] = [
    ('"plain"', "plain"),
    ('"${var.env}-${var.n}"', "prod-3"),
    ('"$${literal}"', "${literal}"),
    ('"a\\tb\\u00e9"', "a\tb\u00e9"),
    ("1 + 2 * 3", 7),
    ("7 / 2", 3.5),
    ("7 % 4", 3),
    ("-var.n", -3),
    ('var.n > 2 && var.env == "prod"', True),
    ("!(var.n < 2) || false", True),
    ('var.env == "dev" ? "S0" : "S1"', "S1"),
    ("1 == 1.0", True),
    ('1 == "1"', False),
    ("var.tags.a", "1"),
    ('var.tags["b"]', "2"),
    ("var.list[1]", "y"),
    ("var.objs[*].sku", ["S0", "S1"]),
    ("var.objs.*.name", ["a", "b"]),
    ('[for o in var.objs : o.name if o.sku != "S0"]', ["b"]),
    ("{for i, o in var.objs : o.name => i}", {"a": 0, "b": 1}),
    ("{for s in var.list : s => s...}", {"x": ["x", "x"], "y": ["y"]}),
    ('[for k, v in var.tags : "${k}=${v}"]', ["a=1", "b=2"]),
    ('"%{if var.n > 1}many%{else}one%{endif}"', "many"),
    ('"%{for x in var.list}${x};%{endfor}"', "x;y;x;"),
    ('merge(var.tags, {b = "3", c = "4"})', {"a": "1", "b": "3", "c": "4"}),
    ('lookup(var.tags, "z", "dflt")', "dflt"),
    ("try(var.tags.z, var.tags.a)", "1"),
    ("can(var.tags.z)", False),
    ('coalesce("", null, "x")', "x"),
    ('concat(["a"], ["b", "c"])', ["a", "b", "c"]),
    ('format("%s-%03d-%q", "ab", 7, "q")', 'ab-007-"q"'),
    ('lower("AB")', "ab"),
    ('upper("ab")', "AB"),
    ("tostring(5)", "5"),
    ('tonumber("2.5")', 2.5),
    ("toset(var.list)", HclSet(("x", "y"))),
    ("tolist(toset(var.list))", ["x", "y"]),
    ("tomap(var.tags)", {"a": "1", "b": "2"}),
    ("length(var.list)", 3),
    ('length("héllo")', 5),
    ("keys({b = 1, a = 2})", ["a", "b"]),
    ("values({b = 1, a = 2})", [2, 1]),
    ('contains(var.list, "y")', True),
    ('join(",", var.list)', "x,y,x"),
    ('split(",", "a,b")', ["a", "b"]),
    ('replace("a.b.c", ".", "-")', "a-b-c"),
    ('substr("abcdef", 1, 3)', "bcd"),
    ('substr("abcdef", -2, -1)', "ef"),
    ('trimspace("  x ")', "x"),
    ("jsonencode({a = [1, true]})", '{"a":[1,true]}'),
    ('jsondecode("{\\"a\\": 1.0}")', {"a": 1}),
    ("element(var.list, 4)", "y"),
    ("flatten([[1, [2]], 3])", [1, 2, 3]),
    ("distinct(var.list)", ["x", "y"]),
    ("min(3, 1, 2)", 1),
    ("max([4, 9]...)", 9),
    ("abs(-2)", 2),
    ("ceil(1.2)", 2),
    ("floor(1.8)", 1),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}),
    ("range(3)", [0, 1, 2]),
    ("range(1, 7, 2)", [1, 3, 5]),
    ('startswith("gpt-4o", "gpt")', True),
    ('endswith("gpt-4o", "4o")', True),
    # unknown values propagate, never guessed
    ("var.unknown", UNKNOWN),
    ('"x-${var.unknown}"', UNKNOWN),
    ("var.unknown + 1", UNKNOWN),
    ("var.unknown.attr", UNKNOWN),
    ('var.unknown ? "a" : "b"', UNKNOWN),
    ('var.unknown ? "same" : "same"', "same"),
    ("var.unknown && false", False),
    ("var.unknown || true", True),
    ("var.unknown && true", UNKNOWN),
    ("lower(var.unknown)", UNKNOWN),
    ("merge(var.tags, {c = var.unknown})", {"a": "1", "b": "2", "c": UNKNOWN}),
    ("length([var.unknown, 1])", 2),
    ("[for x in var.unknown : x]", UNKNOWN),
    ("toset([var.unknown])", UNKNOWN),
    ("try(var.unknown, 1)", UNKNOWN),
    ("res.id", UnknownRef("azurerm_x.y", "id")),
    ('"${res.id}/deployments"', UNKNOWN),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_expression(text: str, expected: Any) -> None:
    value, notes = evaluate(text)
    assert notes == []
    if expected is UNKNOWN:
        assert value is UNKNOWN
    else:
        assert value == expected
        assert type(value) is type(expected)


def test_heredoc_with_interpolation_and_indent_trim() -> None:
    attributes, _ = body_items(parse('v = <<-EOT\n    env: ${var.env}\n      "quoted"\n    EOT\n'))
    assert Evaluator(_Scope(VARIABLES)).evaluate(attributes["v"].expression) == 'env: prod\n  "quoted"\n'


@pytest.mark.parametrize(
    "text",
    ['templatefile("x.tpl", {})', "uuid()", 'replace("a", "/a+/", "b")', "provider::azurerm::parse(1)"],
)
def test_unsupported_functions_are_unknown_and_noted(text: str) -> None:
    value, notes = evaluate(text)
    assert value is UNKNOWN
    assert len(notes) == 1
    assert "not evaluated" in notes[0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("var.tags.z", "no attribute 'z'"),
        ("var.list[5]", "out of range"),
        ('var.n + "x"', "cannot convert 'x' to a number"),
        ("1 / 0", "division by zero"),
        ('lookup(var.tags, "z")', "no key 'z'"),
        ("try(var.tags.z, var.tags.y)", "no expression succeeded"),
        ("range(1000000)", "more than the limit"),
        ('"${null}"', "null value in a string"),
        ('{for s in ["a", "a"] : s => 1}', "duplicate key"),
        ("nope.x", "unknown nope"),
    ],
)
def test_invalid_expressions_raise_with_position(text: str, message: str) -> None:
    with pytest.raises(EvalError) as caught:
        evaluate(text)
    assert message in caught.value.message
    assert caught.value.where is not None
    assert caught.value.where.startswith("line 1, column ")
