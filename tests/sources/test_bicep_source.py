"""The Bicep source: inventories from .bicep and .bicepparam files, detection, scans end to end, fuzzing."""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory, Resource, UnreadInput
from aigov.sources import detect
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.parser import parse
from aigov.sources.bicep.source import BicepSource, evaluate_input

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "bicep"
RAG = FIXTURES / "openai-rag"
CONSTRUCTS = FIXTURES / "constructs" / "main.bicep"
SUB = "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
ACCOUNTS = "Microsoft.CognitiveServices/accounts"
DEPLOYMENTS = "Microsoft.CognitiveServices/accounts/deployments"


def load(path: Path, **options: object) -> Inventory:
    return BicepSource().load(SourceInput.open(str(path)), SourceOptions(**options))  # type: ignore[arg-type]


def get(inventory: Inventory, key: str) -> Resource:
    resource = inventory.get(key)
    assert resource is not None, f"{key} not in {[r.key for r in inventory]}"
    return resource


# --------------------------------------------------------------------------- the constructs fixture


def test_constructs_inventory_keys_actions_and_parents() -> None:
    inventory = load(CONSTRUCTS)
    rows = {(r.key, r.action, r.parent_key) for r in inventory}
    assert rows == {
        ("existingAccount", Action.REFERENCE, None),
        ("sharedChat", Action.DEPLOY, "existingAccount"),
        ("account", Action.DEPLOY, None),
        ("account::first", Action.DEPLOY, "account"),
        ("account::second", Action.DEPLOY, "account"),
        ("account::looped[0]", Action.DEPLOY, "account"),
        ("account::looped[1]", Action.DEPLOY, "account"),
        ("slashName", Action.DEPLOY, "account"),
        ("search", Action.DEPLOY, None),
        ("visionAccounts[0]", Action.DEPLOY, None),
        ("visionAccounts[2]", Action.DEPLOY, None),
    }  # speech: condition false; storage: a type aigov does not evaluate


def test_existing_resource_is_context_only() -> None:
    existing = get(load(CONSTRUCTS), "existingAccount")
    assert existing.action is Action.REFERENCE
    assert not existing.action.evaluated
    assert existing.body == {"type": ACCOUNTS, "name": "shared-openai", "location": UNKNOWN}


def test_nested_children_types_names_and_origin() -> None:
    inventory = load(CONSTRUCTS)
    second = get(inventory, "account::second")
    assert second.type == DEPLOYMENTS
    assert second.name == "second"
    assert second.api_version == "2024-10-01"
    assert second.body["sku"] == {"name": "Standard", "capacity": 2}
    assert "dependsOn" not in second.body
    assert second.origin.source == "bicep"
    assert second.origin.file == str(CONSTRUCTS)
    assert second.origin.line == 151
    assert second.origin.address == "account::second"
    looped = get(inventory, "account::looped[1]")
    assert looped.name == "gpt-4o-mini-20240718"
    assert looped.body["sku"] == {"name": "GlobalStandard", "capacity": 10}
    assert inventory.effective_location(looped) == "eastus2"


def test_slash_name_gives_leaf_name_and_parent() -> None:
    slash = get(load(CONSTRUCTS), "slashName")
    assert slash.name == "slash"
    assert slash.body["name"] == "slash"
    assert slash.parent_key == "account"


def test_conditions_and_object_loops() -> None:
    inventory = load(CONSTRUCTS)
    assert inventory.get("speech") is None
    vision = get(inventory, "visionAccounts[2]")
    assert vision.name == "acct-vision"
    assert vision.body["tags"] == {"cost-center": "cc-1", "owner": "ai-team"}


def test_subscription_is_unknown_unless_given() -> None:
    assert {r.subscription_id for r in load(CONSTRUCTS)} == {UNKNOWN}
    assert {r.subscription_id for r in load(CONSTRUCTS, subscription=SUB)} == {SUB}


# --------------------------------------------------------------------------- the azd-style sample


def test_rag_template_with_defaults() -> None:
    inventory = load(RAG / "main.bicep")
    assert sorted(r.key for r in inventory) == [
        "module.openAi.account",
        "module.openAi.deployment[0]",
        "module.openAi.deployment[1]",
        "module.search.search",
    ]
    account = get(inventory, "module.openAi.account")
    assert account.name is UNKNOWN  # derived from environmentName, which has no value
    assert account.location == "eastus2"  # the module's resourceGroup().location: the scoped group's
    assert account.body["tags"] == {
        "azd-env-name": UNKNOWN,
        "workload": "doc-chat",
        "cost-center": "cc-4711",
        "owner": "data-platform",
    }
    assert account.origin.file == str(RAG / "core" / "ai" / "cognitiveservices.bicep")
    assert account.origin.line == 26
    chat = get(inventory, "module.openAi.deployment[0]")
    assert chat.parent_key == "module.openAi.account"
    assert chat.body["sku"] == {"name": "GlobalStandard", "capacity": 30}
    assert chat.body["properties"]["raiPolicyName"] is None
    search = get(inventory, "module.search.search")
    assert search.body["properties"]["semanticSearch"] == "free"
    assert search.resource_group is UNKNOWN


@pytest.fixture(autouse=True)
def _empty_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads registry modules from ~/.bicep: keep the machine's own cache out of these tests.
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_registry_module_not_restored_is_an_unread_input() -> None:
    inventory = load(RAG / "main.bicep")
    # Without main.parameters.json, the azd secret's empty default is no value (and the only warning).
    (warning,) = inventory.warnings
    assert "parameter 'principalId' is @secure() with an empty default" in warning
    assert inventory.unread == (
        UnreadInput(
            reference="br:mcr.microsoft.com/bicep/avm/res/operational-insights/workspace:0.9.1",
            reason="no module cache given; run bicep restore",
            address="module.monitoring",
            source="bicep",
            file=str(RAG / "main.bicep"),
            line=120,
        ),
    )


def test_bicepparam_evaluates_its_template_with_its_values() -> None:
    inventory = load(RAG / "main.bicepparam")
    account = get(inventory, "module.openAi.account")
    assert account.name == "oai-rag-prod"
    assert account.location == "swedencentral"
    assert account.resource_group == "rg-rag-prod"
    assert account.body["tags"]["cost-center"] == "cc-9001"  # readEnvironmentVariable's default
    chat = get(inventory, "module.openAi.deployment[0]")
    assert chat.body["sku"] == {"name": "ProvisionedManaged", "capacity": 100}
    embedding = get(inventory, "module.openAi.deployment[1]")
    assert embedding.body["properties"]["raiPolicyName"] == "Microsoft.DefaultV2"
    search = get(inventory, "module.search.search")
    assert search.body["sku"] == {"name": "standard3"}
    assert search.body["properties"]["replicaCount"] == 2
    assert search.origin.file == str(RAG / "core" / "search" / "search-services.bicep")


def test_json_parameters_file_for_a_bicep_template() -> None:
    inventory = load(RAG / "main.bicep", parameters_file=str(RAG / "main.parameters.json"))
    account = get(inventory, "module.openAi.account")
    assert account.name == "oai-rag-test"
    assert account.location == "eastus"
    assert get(inventory, "module.search.search").body["sku"] == {"name": "basic"}


def test_parameter_values_are_checked_against_allowed(tmp_path: Path) -> None:
    shutil.copytree(RAG, tmp_path / "rag")  # a parameters file uses a template of its own repository
    params = tmp_path / "bad.bicepparam"
    params.write_text("using 'rag/main.bicep'\nparam environmentName = 'x'\nparam location = 'mars'\n")
    with pytest.raises(SourceError, match=r"parameter 'location': 'mars' is not an allowed value"):
        load(params)


def test_bicepparam_errors(tmp_path: Path) -> None:
    no_using = tmp_path / "a.bicepparam"
    no_using.write_text("param x = 1\n")
    with pytest.raises(SourceError, match="starts with `using"):
        load(no_using)
    registry = tmp_path / "b.bicepparam"
    registry.write_text("using 'br/public:avm/x:1.0.0'\n")
    with pytest.raises(
        SourceError, match=r"line 1, column 1: the template br/public:avm/x:1\.0\.0 is in a registry"
    ):
        load(registry)
    shutil.copytree(RAG, tmp_path / "rag")
    unknown_param = tmp_path / "c.bicepparam"
    unknown_param.write_text("using 'rag/main.bicep'\nparam nope = 1\n")
    with pytest.raises(
        SourceError, match=r"parameter 'nope' is given a value but .* declares no such parameter"
    ):
        load(unknown_param)


def test_json_parameters_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"parameters": {"x": 1}}))
    with pytest.raises(
        SourceError, match=r"\$\.parameters\.x: expected an object with 'value' or 'reference'"
    ):
        load(CONSTRUCTS, parameters_file=str(bad))


# --------------------------------------------------------------------------- detection


@pytest.mark.parametrize("name", ["main.bicep", "MAIN.BICEP", "prod.bicepparam"])
def test_detected_by_extension(name: str) -> None:
    assert detect(SourceInput.from_bytes(name, b"")) is BicepSource


def test_other_files_are_not_bicep() -> None:
    assert not BicepSource.detect(SourceInput.from_bytes("plan.json", b"{}"))
    assert not BicepSource.detect(SourceInput.from_bytes("main.bicep.txt", b"param x int"))


# --------------------------------------------------------------------------- end to end


def _scan(target: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(target),
            "--format",
            "json",
            "--subscription",
            SUB,
            "--config",
            str(RAG / "aigov.yaml"),
            *extra,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert isinstance(report, dict)
    return report


def _findings(report: dict[str, object]) -> list[tuple[str, str, float | None, str, int]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return sorted(
        (
            f["rule_id"],
            f["resource"]["address"],
            f["cost"]["monthly_usd"],
            Path(f["location"]["file"]).name,
            f["location"]["line"],
        )
        for f in findings
    )


def test_scan_bicepparam_end_to_end() -> None:
    report = _scan(RAG / "main.bicepparam")
    assert _findings(report) == [
        ("AIGOV-ENV-001", "module.openAi.account", 172280.0, "cognitiveservices.bicep", 26),
        ("AIGOV-ENV-001", "module.openAi.deployment[0]", 172280.0, "cognitiveservices.bicep", 40),
        ("AIGOV-ENV-001", "module.openAi.deployment[1]", None, "cognitiveservices.bicep", 40),
        ("AIGOV-ENV-001", "module.search.search", 3924.48, "search-services.bicep", 23),
        ("AIGOV-INPUT-001", "module.monitoring", None, "main.bicep", 120),
        # Provisioned: PTUs bill the same whatever the model, so the forced upgrade adds 0.
        ("AIGOV-LIFE-001", "module.openAi.deployment[0]", 0.0, "cognitiveservices.bicep", 40),
        ("AIGOV-RATE-001", "module.openAi.deployment[0]", None, "cognitiveservices.bicep", 40),
        ("AIGOV-SKU-001", "module.openAi.deployment[0]", 172280.0, "cognitiveservices.bicep", 40),
        ("AIGOV-SKU-003", "module.openAi.deployment[0]", 86140.0, "cognitiveservices.bicep", 40),
        ("AIGOV-SKU-005", "module.search.search", 3433.92, "search-services.bicep", 23),
        ("AIGOV-TAG-001", "module.search.search", 3924.48, "search-services.bicep", 23),
    ]


def test_scan_bicep_end_to_end() -> None:
    report = _scan(RAG / "main.bicep")
    assert _findings(report) == [
        ("AIGOV-ENV-001", "module.openAi.account", None, "cognitiveservices.bicep", 26),
        ("AIGOV-ENV-001", "module.openAi.deployment[0]", None, "cognitiveservices.bicep", 40),
        ("AIGOV-ENV-001", "module.openAi.deployment[1]", None, "cognitiveservices.bicep", 40),
        ("AIGOV-ENV-001", "module.search.search", 245.28, "search-services.bicep", 23),
        ("AIGOV-INPUT-001", "module.monitoring", None, "main.bicep", 120),
        # The template pins a gpt-4o version that has retired: the upgrade's price depends on usage.
        ("AIGOV-LIFE-001", "module.openAi.deployment[0]", None, "cognitiveservices.bicep", 40),
        ("AIGOV-TAG-001", "module.search.search", 245.28, "search-services.bicep", 23),
    ]


def test_scan_reports_a_parse_error_as_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.bicep"
    broken.write_text("param p string = 'x\n")
    result = CliRunner().invoke(main, ["scan", str(broken)], catch_exceptions=False)
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"error: {broken}: line 1, column 18: unterminated string: a '...' string ends on its line\n"
    )


# --------------------------------------------------------------------------- fuzzing

_SNIPPETS = (
    "param p string = 'a'\n",
    "var v = [for x in range(0, 3): if (x > 0) {\n  n: '${x}'\n}]\n",
    "resource r 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n  name: 'n'\n"
    "  resource d 'deployments' = {\n"
    "    name: 'd'\n  }\n}\n",
    "var t = a ? b\n  : c ?? d.?e\n",
    "output o string = '''\nx\n'''\n",
    "module m 'br:x' = {\n  name: 'm'\n}\n",
    "func f(a int) int => a * 2\nvar z = map([1], x => f(x))\n",
    "/* c */ // d\n",
)


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(_SNIPPETS), max_size=6),
    st.integers(min_value=0, max_value=400),
    st.text(max_size=40),
)
def test_fuzz_truncated_and_spliced_bicep_ends_in_a_result_or_a_source_error(
    parts: list[str], cut: int, noise: str
) -> None:
    text = "".join(parts)
    text = text[:cut] + noise + text[cut:] if cut % 3 == 0 else text[:cut]
    source_input = SourceInput.from_bytes("fuzz.bicep", text.encode())
    with contextlib.suppress(SourceError):
        evaluate_input(source_input, SourceOptions())


@settings(max_examples=300, deadline=2000)
@given(st.text(alphabet="abcdefgx=:?!.,'${}[]()@/*\n 0123456789-+<>|&", max_size=200))
def test_fuzz_random_text_ends_in_a_tree_or_a_source_error(text: str) -> None:
    with contextlib.suppress(SourceError):
        parse(text, "fuzz.bicep")


@settings(max_examples=60, deadline=2000)
@given(st.integers(min_value=0, max_value=10_000))
def test_fuzz_truncated_fixture(cut: int) -> None:
    text = (RAG / "main.bicep").read_text(encoding="utf-8")
    with contextlib.suppress(SourceError):
        parse(text[: cut % (len(text) + 1)], "main.bicep")


# --------------------------------------------------------------------------- a value for no parameter

UNDECLARED = Path(__file__).resolve().parents[2] / "fixtures" / "bicep" / "undeclared-param"


def test_bicepparam_value_for_an_undeclared_parameter_names_its_line() -> None:
    done = CliRunner().invoke(main, ["scan", str(UNDECLARED / "main.bicepparam")])
    assert done.exit_code == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {UNDECLARED / 'main.bicepparam'}: line 5, column 1: parameter 'acountName' is given a value "
        "but " + str(UNDECLARED / "main.bicep") + " declares no such parameter"
    ]


def test_json_parameters_value_for_an_undeclared_parameter_names_the_parameters_file() -> None:
    parameters = UNDECLARED / "main.parameters.json"
    done = CliRunner().invoke(main, ["scan", str(UNDECLARED / "main.bicep"), "--parameters", str(parameters)])
    assert done.exit_code == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {parameters}: $.parameters.acountName: parameter 'acountName' is given a value "
        "but " + str(UNDECLARED / "main.bicep") + " declares no such parameter"
    ]
