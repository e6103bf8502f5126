"""The Bicep lexer and parser: every construct reads, errors name line and column, input is bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from aigov.errors import SourceError
from aigov.sources.bicep import ast
from aigov.sources.bicep.lexer import MAX_BYTES, tokenize
from aigov.sources.bicep.parser import MAX_DEPTH, parse

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "bicep"


def only_var(text: str) -> ast.Expr:
    tree = parse(text, "t.bicep")
    (statement,) = [s for s in tree.statements if isinstance(s, ast.Var)]
    return statement.value


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(FIXTURES).as_posix() for p in FIXTURES.rglob("*.bicep*")),
)
def test_every_fixture_parses(path: str) -> None:
    tree = parse((FIXTURES / path).read_text(encoding="utf-8"), path)
    assert tree.statements


# Each construct from issue 3 item 1, in the smallest file that shows it.
CONSTRUCTS = {
    "target_scope": "targetScope = 'subscription'\n",
    "param_decorators": (
        "@description('d')\n@allowed([\n  'a'\n  'b'\n])\n@minValue(1)\n@secure()\n"
        "@metadata({ owner: 'x' })\nparam p string = 'a'\n"
    ),
    "batch_size": "@batchSize(2)\nresource r 'A.B/c@1' = [for x in xs: {\n  name: x\n}]\n",
    "existing": "resource r 'A.B/c@1' existing = {\n  name: 'n'\n}\n",
    "condition": "resource r 'A.B/c@1' = if (a && !b) {\n  name: 'n'\n}\n",
    "nested_children_with_decorators": (
        "resource r 'A.B/c@1' = {\n  name: 'n'\n  @description('one')\n"
        "  resource a 'd' = {\n    name: 'a'\n  }\n"
        "  @batchSize(1)\n  resource b 'd@2' = [for x in xs: {\n    name: x\n  }]\n}\n"
    ),
    "module_local_and_registry": (
        "module m './x.bicep' = {\n  name: 'm'\n}\nmodule r 'br/public:avm/res/x:0.1.0' = {\n  name: 'r'\n}\n"
    ),
    "typed_output_and_resource_output": "output o string = 'x'\noutput r resource 'A.B/c@1' = r\n",
    "user_types": (
        "type t = {\n  @description('n')\n  @minLength(1)\n  name: string\n  tags: object?\n"
        "  kind: 'a' | 'b'\n  items: (string | int)[]\n}\n"
    ),
    "multi_line_union": "type t =\n  | 'a'\n  | 'b'\n",
    "resource_derived_types": (
        "param tags resourceInput<'Microsoft.CognitiveServices/accounts@2025-06-01'>.tags = {}\n"
        "type sku = resourceInput<'Microsoft.Search/searchServices@2023-11-01'>.sku\n"
    ),
    "nullable": "param p string?\ntype t = { a: int? }\n",
    "func": "func f(a string, b int) string => '${a}${b}'\n",
    "imports": "import { a, b as c } from './x.bicep'\nimport * as ns from './y.bicep'\nimport 'az@1.0.0'\n",
    "using": "using './main.bicep'\nparam x = 1\n",
    "using_none": "using none\n",
    "metadata_multiline_string": "metadata m = '''\nline 1\nline 2 'quoted'\n'''\n",
    "extension": "extension microsoftGraph\n",
    "typed_var": "var v string = 'x'\n",
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTS))
def test_construct_parses(name: str) -> None:
    assert parse(CONSTRUCTS[name], f"{name}.bicep").statements


def test_nested_children_are_all_kept() -> None:
    tree = parse(CONSTRUCTS["nested_children_with_decorators"], "t.bicep")
    (resource,) = tree.statements
    assert isinstance(resource, ast.ResourceDecl)
    assert isinstance(resource.value, ast.Object)
    children = [e for e in resource.value.entries if isinstance(e, ast.ResourceDecl)]
    assert [c.name for c in children] == ["a", "b"]
    assert [d.name for d in children[0].decorators] == ["description"]
    assert [d.name for d in children[1].decorators] == ["batchSize"]


def test_multi_line_ternary_with_comments_inside() -> None:
    value = only_var("var v = a // first\n  ? b /* block\n comment */\n  // a line comment\n  : c\n")
    assert isinstance(value, ast.Ternary)
    assert isinstance(value.then, ast.Ref)
    assert value.then.name == "b"
    assert isinstance(value.otherwise, ast.Ref)
    assert value.otherwise.name == "c"


def test_multi_line_boolean_chain() -> None:
    value = only_var("var v = a\n  && b\n  || c\n")
    assert isinstance(value, ast.Binary)
    assert value.op == "||"


def test_arrays_and_objects_with_and_without_commas() -> None:
    value = only_var("var v = [\n  { a: 1, b: 2 }\n  {\n    a: 3\n    b: 4\n  }, 5\n]\n")
    assert isinstance(value, ast.Array)
    assert len(value.items) == 3


def test_interpolation_with_nested_quotes_and_escapes() -> None:
    value = only_var("var v = 'a\\'b-${x == 'y' ? '${z}\\'s' : 'w'}-\\${literal}'\n")
    assert isinstance(value, ast.Interpolated)
    assert value.parts[0] == "a'b-"
    assert isinstance(value.parts[1], ast.Ternary)
    assert value.parts[2] == "-${literal}"


def test_safe_access_coalesce_and_not() -> None:
    value = only_var("var v = !(a.?b[?0] ?? c)\n")
    assert isinstance(value, ast.Unary)
    assert value.op == "!"
    inner = value.operand
    assert isinstance(inner, ast.Binary)
    assert inner.op == "??"
    assert isinstance(inner.left, ast.Index)
    assert inner.left.safe
    assert isinstance(inner.left.target, ast.Member)
    assert inner.left.target.safe


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("var v = map(xs, x => x.name)\n", ("x",)),
        ("var v = reduce(xs, 0, (acc, x) => acc + x)\n", ("acc", "x")),
        ("var v = sort(xs, (a, b) =>\n  a < b)\n", ("a", "b")),
        ("var v = map(xs, () => 1)\n", ()),
    ],
)
def test_lambdas(text: str, params: tuple[str, ...]) -> None:
    value = only_var(text)
    assert isinstance(value, ast.Call)
    lam = value.args[-1]
    assert isinstance(lam, ast.Lambda)
    assert lam.params == params


@pytest.mark.parametrize(
    ("text", "item", "index", "filtered"),
    [
        ("var v = [for x in xs: x]\n", "x", None, False),
        ("var v = [for (x, i) in xs: i]\n", "x", "i", False),
        ("var v = [for i in range(0, 3): i]\n", "i", None, False),
        ("var v = [for x in xs: if (x.on) {\n  n: x\n}]\n", "x", None, True),
        ("var v = [for e in items(o): e.key]\n", "e", None, False),
    ],
)
def test_loops(text: str, item: str, index: str | None, filtered: bool) -> None:
    value = only_var(text)
    assert isinstance(value, ast.For)
    assert (value.item, value.index, value.condition is not None) == (item, index, filtered)


def test_parenthesised_expression_is_not_a_lambda() -> None:
    value = only_var("var v = (a) + (b)\n")
    assert isinstance(value, ast.Binary)
    assert value.op == "+"


def test_positions_are_one_based() -> None:
    tree = parse("\n\n  param p int = 1\n", "t.bicep")
    (param,) = tree.statements
    assert (param.line, param.col) == (3, 3)


def test_multi_line_string_drops_the_first_newline_only() -> None:
    value = only_var("var v = '''\nfirst\n  second\n'''\n")
    assert isinstance(value, ast.Literal)
    assert value.value == "first\n  second\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("param p string = 'x\n", "t.bicep: line 1, column 18: unterminated string"),
        (
            "var v = {\n  a: 1\n",
            "t.bicep: line 3, column 1: expected a property name or '}', found the end of the file",
        ),
        (
            "var v = [1 2]\n",
            "t.bicep: line 1, column 12: expected a new line, ',' or ']', found the number 2",
        ),
        ("resource r 'A.B/c@1' = 5\n", "t.bicep: line 1, column 24: expected '{', 'if (...)' or '[for ...]'"),
        ("var v = 1.5\n", "t.bicep: line 1, column 10: fractional numbers are not Bicep literals"),
        ("var v = a ? b\n", "t.bicep: line 1, column 14: expected ':' of the conditional expression"),
        ("var = 1\n", "t.bicep: line 1, column 5: expected a variable name, found '='"),
        ("foo bar\n", "t.bicep: line 1, column 1: expected a declaration"),
        ("var v = 1 var w = 2\n", "t.bicep: line 1, column 11: expected the end of the line, found 'var'"),
        ("/* open\n\n", "t.bicep: line 1, column 1: unterminated comment"),
        ("var v = '${}'\n", "t.bicep: line 1, column 12: empty interpolation"),
        ("var v = '\\q'\n", "t.bicep: line 1, column 10: invalid escape sequence"),
        ("var v = 'a${b'\n", "unterminated"),
        ("var v = #\n", "t.bicep: line 1, column 9: unexpected character '#'"),
        ("module m './x.bicep${a}' = {}\n", "the module path cannot be interpolated"),
    ],
)
def test_errors_name_line_column_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(SourceError) as info:
        parse(text, "t.bicep")
    assert message in str(info.value)


def test_nesting_is_bounded() -> None:
    deep = "var v = " + "(" * (MAX_DEPTH + 5) + "1" + ")" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(SourceError, match="nesting deeper than"):
        parse(deep, "t.bicep")


def test_size_is_bounded() -> None:
    with pytest.raises(SourceError, match="larger than 4 MiB"):
        tokenize("//" + "x" * MAX_BYTES, "t.bicep")


def test_comments_anywhere() -> None:
    text = (
        "// leading\nparam p object = { // after brace\n  a: 1 /* inline */ // trailing\n"
        "  /* before key */ b: [ // in array\n    1 // item\n  ]\n}\n/* final */\n"
    )
    tree = parse(text, "t.bicep")
    (param,) = tree.statements
    assert isinstance(param, ast.Param)
    assert isinstance(param.default, ast.Object)
    assert len(param.default.entries) == 2
