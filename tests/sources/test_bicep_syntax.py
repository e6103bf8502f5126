"""Bicep syntax that real teams commit: one case per construct, each a fixture under fixtures/bicep/syntax/.

Each case evaluates its fixture as ``aigov scan`` does and checks the values
the construct gives, so a construct that parses but reads wrongly fails too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aigov.errors import SourceError
from aigov.model import UNKNOWN
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep import ast
from aigov.sources.bicep.evaluate import Instance
from aigov.sources.bicep.lexer import tokenize
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.source import BicepSource, evaluate_input

SYNTAX = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "syntax"


def instances(name: str) -> dict[str, Instance]:
    """The fixture's evaluated resources by key."""
    evaluation = evaluate_input(SourceInput.open(str(SYNTAX / name)), SourceOptions())
    return {instance.key: instance for instance in evaluation.instances}


def body(name: str, key: str) -> dict[str, Any]:
    return instances(name)[key].body


# --------------------------------------------------------------------------- linter directives


def test_linter_directives_are_trivia() -> None:
    account = body("directives.bicep", "account")
    assert account["name"] == "oai-directives"
    assert account["sku"] == {"name": "S0"}
    assert account["properties"] == {"customSubDomainName": "oai-directives"}


def test_directive_keeps_its_line_and_the_tokens_after_it() -> None:
    tokens = tokenize("#disable-next-line r1 r2\nvar x = 1 /* c */\n", "t.bicep")
    assert [(t.kind, t.line) for t in tokens[:3]] == [("nl", 1), ("ident", 2), ("ident", 2)]


@pytest.mark.parametrize("text", ["#region x\n", "var x = 1 # 2\n", "#disable-next-lines r\n"])
def test_other_hash_is_still_an_error(text: str) -> None:
    with pytest.raises(SourceError, match="unexpected character '#'"):
        parse(text, "t.bicep")


# --------------------------------------------------------------------------- types


def test_object_types_on_one_line_and_unions_on_the_next() -> None:
    found = instances("types.bicep")
    assert found["chat[0]"].full_name == "oai-types/chat"
    # The deployments default has one-line object syntax; extraCapacity.capacity! adds 5.
    assert found["chat[0]"].body["sku"] == {"name": "GlobalStandard", "capacity": 15}


def test_union_written_one_option_per_line_keeps_its_allowed_values() -> None:
    tree = parse((SYNTAX / "types.bicep").read_text(encoding="utf-8"), "types.bicep")
    declared = {s.name: s.type for s in tree.statements if isinstance(s, ast.TypeDecl)}
    assert declared["deploymentType"].literals == ("Standard", "GlobalStandard", "ProvisionedManaged")
    assert declared["mixed"].name == "array"
    assert declared["maybeName"].nullable
    assert not declared["definitelyName"].nullable


@pytest.mark.parametrize(
    "text",
    [
        "type t = { a: string, b: int?, c: 'x' | 'y' }\n",
        "type t = [@discriminator('k'), { k: 'a' } | { k: 'b' }]\n",
        "type t = (true | !false)[]\n",
        "type d = {\n  *: string\n}\ntype v = d.*\ntype w = d[*]\n",
        "type n = string?\ntype m = n!\n",
        "type t = {\n  p:\n    | 'a'\n    | 'b'\n}\n",
    ],
)
def test_type_syntax_reads(text: str) -> None:
    assert parse(text, "t.bicep").statements


def test_typed_variables_of_every_kind_of_type() -> None:
    account = body("typed_variables.bicep", "account")
    assert account["name"] == "oai-chat"
    assert account["location"] == "swedencentral"
    assert account["tags"] == {"models": "chat,embed"}


# --------------------------------------------------------------------------- imports


def test_multi_line_import_lists_aliases_and_quoted_names() -> None:
    account = body("imports.bicep", "account")
    assert account["name"] == "team-oai"  # an imported function
    assert account["location"] == "westeurope"  # a name on its own line
    assert account["sku"] == {"name": "S0"}  # 'defaultSku as sku' reads defaultSku
    # A name imported from an ARM JSON template is not read: known at deployment.
    assert account["tags"]["fromJson"] is UNKNOWN


def test_wildcard_import_reads_members_and_calls_functions() -> None:
    tags = body("imports.bicep", "account")["tags"]
    assert tags["viaNamespace"] == "S0"  # shared.defaultSku: the exported variable
    assert tags["viaNamespaceCall"] == "ns-oai"  # shared.accountName('ns'): the exported function


def test_wildcard_import_member_that_is_not_a_function_cannot_be_called(tmp_path: Path) -> None:
    (tmp_path / "lib.bicep").write_text("@export()\nvar sku = 'S0'\n")
    main = tmp_path / "main.bicep"
    main.write_text(
        "import * as lib from 'lib.bicep'\n"
        "resource a 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n"
        "  name: lib.sku()\n  location: 'eastus'\n  kind: 'OpenAI'\n}\n"
    )
    with pytest.raises(
        SourceError, match=r"line 3, column \d+: 'sku' is not a function of the imported file"
    ):
        evaluate_input(SourceInput.open(str(main)), SourceOptions())


def test_quoted_import_name_needs_an_alias() -> None:
    with pytest.raises(SourceError, match="line 1, column 16: expected 'as' and an alias"):
        parse("import { 'a-b' } from 'x.json'\n", "t.bicep")


# --------------------------------------------------------------------------- strings


def test_interpolated_multi_line_strings() -> None:
    tags = body("strings.bicep", "account")["tags"]
    assert tags["summary"] == "Team search\nin EASTUS\n"
    assert tags["twoDollars"] == "${team} stays, search is read"
    assert tags["nested"] == "inner-search-6"
    assert tags["curly"] == "{search}"
    assert tags["empty"] == ""


def test_unterminated_interpolated_multi_line_string_names_its_start() -> None:
    with pytest.raises(SourceError, match="line 2, column 9: unterminated multi-line string"):
        parse("var a = 1\nvar b = $'''${a}\n", "t.bicep")


def test_dollar_outside_a_multi_line_string_is_an_error() -> None:
    with pytest.raises(SourceError, match=r"unexpected character '\$'"):
        parse("var a = $'x'\n", "t.bicep")


# --------------------------------------------------------------------------- references and operators


def test_child_references_index_from_end_and_bang() -> None:
    found = instances("references.bicep")
    assert found["account"].body["location"] == "swedencentral"  # regions[^1]
    assert found["account::chat"].full_name == "oai-refs/chat"
    search = found["search"].body
    assert search["name"] == "srch-chat"  # account::chat.name
    assert search["location"] == "eastus"  # regions[^3]
    assert search["properties"] == {"publicNetworkAccess": "enabled", "replicaCount": 1}
    assert search["tags"] == {"owner": "oai-refs"}  # account.name!


def test_index_from_end_outside_the_array_names_the_index(tmp_path: Path) -> None:
    template = tmp_path / "t.bicep"
    template.write_text(
        "var xs = [1, 2]\nresource r 'A.B/c@1' = {\n  name: 'n${xs[^3]}'\n}\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"index \^3 is outside the array \(length 2\)"):
        evaluate_input(SourceInput.open(str(template)), SourceOptions())


# --------------------------------------------------------------------------- declarations


def test_extension_aliases_are_known_at_deployment() -> None:
    account = body("extensions.bicep", "account")
    assert account["name"] == "oai-ext"
    assert account["tags"] == {"namespace": UNKNOWN, "graph": UNKNOWN}


def test_test_blocks_are_not_evaluated() -> None:
    # The first test names a file that does not exist: evaluating it would fail.
    assert list(instances("test_blocks.bicep")) == ["account"]


def test_module_from_an_arm_template_is_left_to_the_template_reader(tmp_path: Path) -> None:
    # aigov.sources.bicep.registry evaluates it as an ARM template (tests/sources/test_bicep_registry.py).
    (tmp_path / "child.json").write_text("{}", encoding="utf-8")
    template = tmp_path / "main.bicep"
    template.write_text("module child 'child.json' = {\n  name: 'child'\n}\n", encoding="utf-8")
    evaluation = evaluate_input(SourceInput.open(str(template)), SourceOptions())
    assert evaluation.unresolved == []
    assert [(c.path, c.name, c.line) for c in evaluation.registry_calls] == [("child.json", "child", 1)]


# --------------------------------------------------------------------------- names


def test_slash_name_reads_back_in_full_as_the_compiler_gives_it() -> None:
    found = instances("child_names.bicep")
    assert found["subnet"].full_name == "vnet-ai/snet-ai"
    assert found["subnet"].name == "snet-ai"
    assert found["search"].body["tags"] == {"subnet": "vnet-ai/snet-ai", "chat": "oai-names/chat"}


def test_slash_name_keeps_its_leaf_when_only_the_parent_is_unknown() -> None:
    embed = instances("child_names.bicep")["embed"]
    assert embed.full_name is UNKNOWN
    assert embed.name == "embed-1"


def test_slash_named_child_links_to_its_parent_in_the_inventory() -> None:
    inventory = BicepSource().load(SourceInput.open(str(SYNTAX / "child_names.bicep")), SourceOptions())
    chat = next(r for r in inventory.resources if r.key == "chat")
    assert (chat.name, chat.parent_key) == ("chat", "account")


DECORATED = """\
@export()
@sealed()
type t = { @description('inline') a: string, b: int }
@export()
func f(x string) string => '${x}!'
@description('m')
metadata m = 'x'
@secure()
output o string = 'x'
@batchSize(1)
module mods 'x.bicep' = [for i in range(0, 2): {
  name: 'm${i}'
}]
@onlyIfNotExists()
@sys.description('res')
resource r 'A.B/c@1' = {
  name: 'r'
}
@description('an extension')
extension k8s
@description('a test')
test tt 'x.bicep' = {
  params: {}
}
"""


def test_decorators_on_every_kind_of_statement() -> None:
    statements = parse(DECORATED, "t.bicep").statements
    kept = {type(s).__name__: [d.name for d in getattr(s, "decorators", ())] for s in statements}
    assert kept["TypeDecl"] == ["export", "sealed"]
    assert kept["Func"] == ["export"]
    assert kept["Output"] == ["secure"]
    assert kept["ModuleDecl"] == ["batchSize"]
    assert kept["ResourceDecl"] == ["onlyIfNotExists", "description"]
    assert [type(s).__name__ for s in statements][-3:] == ["ResourceDecl", "Import", "Test"]


def test_bicepparam_extension_config_is_read() -> None:
    tree = parse("using 'main.bicep'\nextensionConfig k8s with {\n  namespace: 'x'\n}\n", "p.bicepparam")
    assert [type(s).__name__ for s in tree.statements] == ["Using", "Import"]
