"""The Terraform HCL source: fixtures evaluated to resources, variables' precedence, errors, the CLI."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.config import load_config
from aigov.errors import SourceError
from aigov.model import UNKNOWN, Action, Inventory, Outcome, Resource, UnreadInput
from aigov.scan import run_scan
from aigov.sources import detect
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.terraform_hcl import TerraformHclSource
from aigov.sources.terraform_plan import TerraformPlanSource

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "terraform_hcl"
PLAN_FIXTURES = ROOT / "fixtures" / "terraform_plan"
PROD = "3f2b8c1e-7d4a-4e59-9b6c-2a8d5f0e1c47"
DEV = "9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def load(path: Path | str, **options: Any) -> Inventory:
    return TerraformHclSource().load(SourceInput.open(str(path)), SourceOptions(**options))


def get(inventory: Inventory, key: str) -> Resource:
    resource = inventory.get(key)
    assert resource is not None, f"{key} not in {[r.key for r in inventory]}"
    return resource


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return directory


# --------------------------------------------------------------------------- same findings as the plan


def _findings(inputs: list[str]) -> set[tuple[str, str]]:
    config = load_config(PLAN_FIXTURES / "example.aigov.yaml")
    result = run_scan(inputs, config, now=NOW)
    return {(f.rule_id, f.resource.key) for f in result.findings}


def test_hcl_gives_the_findings_of_the_equivalent_plan() -> None:
    from_plan = _findings([str(PLAN_FIXTURES / "example.json")])
    from_hcl = _findings([str(FIXTURES / "example")])
    assert from_plan  # the example has findings to compare
    # The plan's unchanged (no-op) account is context there; in HCL everything is to be deployed.
    context_only = {"module.ai.azurerm_cognitive_account.support"}
    assert {f for f in from_hcl if f[1] not in context_only} == from_plan


def test_hcl_resources_match_the_plan_bodies() -> None:
    plan = {r.key: r for r in _plan_inventory()}
    hcl = load(FIXTURES / "example")
    for resource in hcl:
        twin = plan[resource.key]
        assert resource.type == twin.type
        assert resource.parent_key == twin.parent_key
        assert resource.subscription_id == twin.subscription_id
        # Not `kind`/`properties`: a plan also shows provider defaults (a workspace's kind
        # "Default") that the configuration leaves out.
        for field in ("name", "sku", "location", "tags"):
            assert resource.body.get(field) == twin.body.get(field), (resource.key, field)


def _plan_inventory() -> Inventory:
    return TerraformPlanSource().load(SourceInput.open(str(PLAN_FIXTURES / "example.json")), SourceOptions())


# --------------------------------------------------------------------------- basic


def test_basic_for_each_from_tfvars_with_optional_defaults_and_count() -> None:
    inventory = load(FIXTURES / "basic")
    assert sorted(r.key for r in inventory) == [
        "azurerm_cognitive_account.main",
        'azurerm_cognitive_deployment.chat["gpt4o"]',
        'azurerm_cognitive_deployment.chat["gpt4o-ptu"]',
        "azurerm_search_service.search[0]",
        "azurerm_search_service.search[1]",
    ]
    default_sku = get(inventory, 'azurerm_cognitive_deployment.chat["gpt4o"]')
    assert default_sku.body["sku"] == {"name": "GlobalStandard", "capacity": 10}  # optional() defaults
    ptu = get(inventory, 'azurerm_cognitive_deployment.chat["gpt4o-ptu"]')
    assert ptu.body["sku"] == {"name": "ProvisionedManaged", "capacity": 50}
    assert ptu.parent_key == "azurerm_cognitive_account.main"
    assert ptu.resource_group == "rg-chat"
    search = get(inventory, "azurerm_search_service.search[1]")
    assert search.name == "srch-chat-1"
    assert search.body["location"] == "swedencentral"  # another resource's argument
    assert search.body["properties"]["replicaCount"] == 3  # terraform.tfvars wins over the default
    assert {r.subscription_id for r in inventory} == {DEV}
    assert {r.action for r in inventory} == {Action.DEPLOY}
    assert ptu.origin.source == "terraform_hcl"
    assert ptu.origin.file == str(FIXTURES / "basic" / "main.tf")
    assert ptu.origin.line == 38
    assert ptu.origin.address == 'azurerm_cognitive_deployment.chat["gpt4o-ptu"]'


def test_subscription_option_overrides_the_provider() -> None:
    inventory = load(FIXTURES / "basic", subscription="sub-override")
    assert {r.subscription_id for r in inventory} == {"sub-override"}


# --------------------------------------------------------------------------- modules


def test_local_modules_with_for_each_count_nested_modules_and_provider_alias() -> None:
    inventory = load(FIXTURES / "modules")
    keys = sorted(r.key for r in inventory)
    assert keys == [
        'module.ai["reports"].azurerm_cognitive_account.this',
        'module.ai["reports"].azurerm_cognitive_deployment.ptu[0]',
        'module.ai["reports"].module.search[0].azurerm_search_service.this',
        'module.ai["support"].azurerm_cognitive_account.this',
        'module.ai["support"].module.search[0].azurerm_search_service.this',
        "module.sandbox[0].azurerm_cognitive_account.this",
    ]
    ptu = get(inventory, 'module.ai["reports"].azurerm_cognitive_deployment.ptu[0]')
    assert ptu.parent_key == 'module.ai["reports"].azurerm_cognitive_account.this'
    assert ptu.body["sku"] == {"name": "ProvisionedManaged", "capacity": 100}
    assert ptu.origin.file == str(FIXTURES / "modules" / "modules" / "ai" / "main.tf")
    search = get(inventory, 'module.ai["support"].module.search[0].azurerm_search_service.this')
    assert search.body["sku"] == {"name": "basic"}
    assert search.body["tags"] == {"workload": "oai-support"}  # an input from another resource's name
    assert search.origin.file.endswith("modules/ai/modules/search/main.tf")
    assert search.subscription_id == PROD
    assert get(inventory, "module.sandbox[0].azurerm_cognitive_account.this").subscription_id == DEV


def test_a_module_not_installed_is_an_unread_input() -> None:
    inventory = load(FIXTURES / "modules")
    assert inventory.warnings == ()
    assert inventory.unread == (
        UnreadInput(
            reference="module source Azure/avm-ptn-ai-foundry/azurerm",
            reason="not installed; run terraform init",
            address="module.landing_zone",
            source="terraform_hcl",
            file=str(FIXTURES / "modules" / "main.tf"),
            line=43,
        ),
    )


def test_modules_terraform_init_installed_are_read_nested_too() -> None:
    inventory = load(FIXTURES / "installed")
    account = get(inventory, "module.lz.azurerm_cognitive_account.this")
    assert account.body["name"] == "oai-lz"
    assert account.origin.file == str(FIXTURES / "installed" / ".terraform/modules/lz/main.tf")
    search = get(inventory, "module.lz.module.search.azurerm_search_service.this")
    assert search.body["name"] == "srch-lz"
    assert [(u.address, u.reference) for u in inventory.unread] == [
        ("module.network", "module source git::https://example.com/network.git?ref=v2")
    ]


def test_an_installed_module_from_another_source_is_not_read(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "Azure/other/azurerm"\n}\n'})
    write(
        tmp_path,
        {
            ".terraform/modules/modules.json": json.dumps(
                {"Modules": [{"Key": "m", "Source": "registry.terraform.io/Azure/old/azurerm", "Dir": "x"}]}
            ),
        },
    )
    (unread,) = load(tmp_path).unread
    assert unread.reason == "installed from registry.terraform.io/Azure/old/azurerm; run terraform init"


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{", "not Terraform's module manifest: Expecting property name"),
        ('{"Modules": {}}', "Modules: not Terraform's module manifest: no Modules array"),
        ('{"Modules": [{"Key": "m"}]}', "Modules[0]: a module entry needs string Key, Source and Dir"),
        (
            '{"Modules": [{"Key": "m", "Source": "a/b/c", "Dir": "../../elsewhere"}]}',
            "Modules[0]: module m: directory ../../elsewhere is outside the configuration",
        ),
    ],
    ids=["invalid_json", "no_array", "missing_fields", "outside"],
)
def test_a_bad_module_manifest_is_an_error(tmp_path: Path, manifest: str, message: str) -> None:
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "a/b/c"\n}\n'})
    write(tmp_path, {".terraform/modules/modules.json": manifest})
    with pytest.raises(SourceError) as caught:
        load(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path}/.terraform/modules/modules.json: {message}")


def test_tf_json_and_override_files_are_unread_inputs(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": "", "extra.tf.json": "{}", "main_override.tf": ""})
    unread = load(tmp_path).unread
    assert [(u.reference, u.reason) for u in unread] == [
        (f"{tmp_path}/extra.tf.json", "aigov does not read .tf.json files"),
        (f"{tmp_path}/main_override.tf", "override files are not merged"),
    ]


def test_an_unread_module_fails_the_gate_unless_on_unknown_warn(tmp_path: Path) -> None:
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "Azure/x/azurerm"\n}\n'})
    failing = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert failing.exit_code == 1, failing.output
    (finding,) = json.loads(failing.stdout)["findings"]
    assert finding["rule_id"] == "AIGOV-INPUT-001"
    assert finding["outcome"] == "undetermined"
    assert finding["fails_gate"] is True
    assert finding["message"] == (
        "input not read: module source Azure/x/azurerm (not installed; run terraform init); "
        "the resources it defines are not checked"
    )
    assert finding["location"] == {"source": "terraform_hcl", "file": f"{tmp_path}/main.tf", "line": 1}
    relaxed = CliRunner().invoke(main, ["scan", str(tmp_path), "--on-unknown", "warn"])
    assert relaxed.exit_code == 0, relaxed.output
    assert "AIGOV-INPUT-001" in relaxed.stdout


def test_parent_linked_through_module_output(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
module "acct" { source = "./acct" }
module "dep" {
  source     = "./dep"
  account_id = module.acct.id
}
""",
            "acct/main.tf": """
resource "azurerm_cognitive_account" "a" {
  name = "oai-a"
  kind = "OpenAI"
  sku_name = "S0"
  location = "eastus"
}
output "id" { value = azurerm_cognitive_account.a.id }
""",
            "dep/main.tf": """
variable "account_id" {}
resource "azurerm_cognitive_deployment" "d" {
  name                 = "d"
  cognitive_account_id = var.account_id
  model {
    format  = "OpenAI"
    name    = "gpt-4o"
    version = "2024-11-20"
  }
  sku {
    name     = "Standard"
    capacity = 1
  }
}
""",
        },
    )
    inventory = load(tmp_path)
    deployment = get(inventory, "module.dep.azurerm_cognitive_deployment.d")
    assert deployment.parent_key == "module.acct.azurerm_cognitive_account.a"
    assert inventory.effective_location(deployment) == "eastus"


# --------------------------------------------------------------------------- functions and unknowns


def test_functions_fixture_values() -> None:
    inventory = load(FIXTURES / "functions")
    account = get(inventory, "azurerm_cognitive_account.fn")
    assert account.name == "oai-pro-07"
    assert account.resource_group == "rg-prod"
    assert account.body["tags"] == {
        "environment": "prod",
        "managed_by": "terraform",
        "owner": "data-team",
        "cost-center": "cc-0000",
    }
    assert get(inventory, 'azurerm_cognitive_deployment.fn["gpt-4o"]').body["sku"] == {
        "name": "DataZoneStandard",
        "capacity": 12,
    }
    mini = get(inventory, 'azurerm_cognitive_deployment.fn["gpt-4o-mini"]')
    assert mini.body["sku"] == {"name": "GlobalStandard", "capacity": 22}  # from a dynamic block
    assert mini.body["properties"]["model"]["version"] == "2024-07-18"
    search = get(inventory, "azurerm_search_service.fn")
    assert search.body["sku"] == {"name": "standard2"}
    assert search.body["location"] == "swedencentral"
    assert search.body["properties"]["replicaCount"] == 3
    assert search.body["properties"]["partitionCount"] == 2
    assert search.body["tags"]["regions"] == "EASTUS2 SWEDENCENTRAL"
    assert inventory.warnings == ()


def test_unknowns_stay_unknown_and_are_explained() -> None:
    inventory = load(FIXTURES / "unknowns")
    account = get(inventory, "azurerm_cognitive_account.new")
    assert account.body["location"] is UNKNOWN  # a data source's attribute
    assert account.resource_group is UNKNOWN
    assert account.body["tags"] == {"workload": "new", "build": UNKNOWN}
    shared = get(inventory, "azurerm_cognitive_deployment.on_shared")
    assert shared.body["sku"] == {"name": UNKNOWN, "capacity": UNKNOWN}  # unset variables
    assert shared.parent_key is None  # the account is a data source, not in the inventory
    per_region = get(inventory, "azurerm_cognitive_deployment.per_region[?]")
    assert per_region.name is UNKNOWN
    assert per_region.parent_key == "azurerm_cognitive_account.new"
    assert any("timestamp() is not evaluated" in w for w in inventory.warnings)
    assert any("for_each is unknown" in w and "per_region[?]" in w for w in inventory.warnings)


def test_unknown_sku_gives_an_undetermined_finding_and_warnings_reach_the_scan() -> None:
    result = run_scan([str(FIXTURES / "unknowns")], load_config(None), now=NOW)
    on_shared = [f for f in result.findings if f.resource.key == "azurerm_cognitive_deployment.on_shared"]
    assert any(f.outcome is Outcome.UNDETERMINED and f.rule_id == "AIGOV-SKU-001" for f in on_shared)
    assert any("for_each is unknown" in w for w in result.warnings)


# --------------------------------------------------------------------------- variables


def _tags(**options: Any) -> dict[str, Any]:
    inventory = load(FIXTURES / "var_precedence", **options)
    return dict(get(inventory, "azurerm_cognitive_account.vars").body["tags"])


def test_variable_files_in_terraform_precedence() -> None:
    tags = _tags()
    assert [tags[k] for k in "abcdefg"] == [
        "default",
        "terraform.tfvars",
        "terraform.tfvars.json",
        "a.auto.tfvars",
        "b.auto.tfvars.json",
        "b.auto.tfvars.json",
        "b.auto.tfvars.json",
    ]


def test_var_file_then_var_then_environment() -> None:
    var_file = str(FIXTURES / "var_precedence" / "prod.tfvars")
    tags = _tags(
        var_files=(var_file,),
        variables={"g": "cli", "capacity": "41", "models": '["gpt-4o", "o3"]'},
        environment={"TF_VAR_a": "env", "TF_VAR_g": "env", "PATH": "/bin"},
    )
    assert tags["a"] == "env"  # TF_VAR_ beats the default only
    assert tags["b"] == "terraform.tfvars"  # files beat TF_VAR_
    assert tags["f"] == "prod.tfvars"  # --var-file beats the automatic files
    assert tags["g"] == "cli"  # --var beats everything
    assert tags["capacity"] == 42  # a number variable given as a string is converted
    assert tags["models"] == "gpt-4o,o3"  # a list variable's value is parsed as HCL


def test_var_for_an_undeclared_variable_is_an_error() -> None:
    with pytest.raises(SourceError, match="declares no variable 'nope'"):
        load(FIXTURES / "var_precedence", variables={"nope": "1"})


def test_missing_var_file_is_an_error() -> None:
    with pytest.raises(SourceError) as caught:
        load(FIXTURES / "var_precedence", var_files=("missing.tfvars",))
    assert str(caught.value) == "missing.tfvars: no such variables file"


# --------------------------------------------------------------------------- errors


ERRORS: list[tuple[str, str, str]] = [
    (
        "local_cycle",
        'locals {\n  a = local.b\n  b = "${local.a}x"\n}\nresource "azurerm_search_service" "s" {\n'
        '  name = local.a\n  sku = "basic"\n}\n',
        "reference cycle: local.a -> local.b -> local.a",
    ),
    ("syntax", 'resource "azurerm_search_service" "s" {\n  name = \n}\n', "main.tf: line 2, column"),
    ("unclosed", 'resource "azurerm_search_service" "s" {\n  name = "x"\n', "unexpected end of file"),
    (
        "undeclared",
        'resource "azurerm_search_service" "s" {\n  name = var.nope\n  sku = "basic"\n}\n',
        "main.tf: line 2, column 13: no variable 'nope' is declared",
    ),
    (
        "for_each_list",
        'resource "azurerm_search_service" "s" {\n  for_each = ["a"]\n  name = each.key\n}\n',
        "for_each must be a map or a set of strings, got a tuple (use toset() for a list)",
    ),
    (
        "missing_module",
        'module "m" {\n  source = "./nowhere"\n}\n',
        "module.m: module directory",
    ),
    (
        "duplicate",
        'resource "azurerm_search_service" "s" {}\nresource "azurerm_search_service" "s" {}\n',
        "resource azurerm_search_service.s is declared twice",
    ),
]


@pytest.mark.parametrize(("name", "text", "message"), ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_one_line_with_file_and_where(tmp_path: Path, name: str, text: str, message: str) -> None:
    write(tmp_path, {"main.tf": text})
    with pytest.raises(SourceError) as caught:
        load(tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "main.tf"))
    assert "\n" not in str(caught.value)


# --------------------------------------------------------------------------- detection and the CLI


def test_detection(tmp_path: Path) -> None:
    assert detect(SourceInput.open(str(FIXTURES / "basic"))) is TerraformHclSource
    assert detect(SourceInput.open(str(FIXTURES / "basic" / "main.tf"))) is TerraformHclSource
    assert detect(SourceInput.open(str(PLAN_FIXTURES / "example.json"))).name == "terraform_plan"
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="not a recognised input"):
        detect(SourceInput.open(str(tmp_path / "empty")))


def test_single_file_input_reads_its_directory_tfvars() -> None:
    inventory = load(FIXTURES / "basic" / "main.tf")
    assert get(inventory, "azurerm_search_service.search[0]").body["properties"]["replicaCount"] == 3
    assert get(inventory, "azurerm_search_service.search[0]").origin.file == str(
        FIXTURES / "basic" / "main.tf"
    )


def test_cli_scan_directory_with_var_file_and_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_VAR_prefix", "ignored-by-var")
    override = FIXTURES / "basic" / "terraform.tfvars"
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "scan",
            str(FIXTURES / "basic"),
            "--var-file",
            str(override),
            "--var",
            "prefix=bot",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    by_rule = {(f["rule_id"], f["resource"]["address"]) for f in report["findings"]}
    assert ("AIGOV-SKU-001", 'azurerm_cognitive_deployment.chat["gpt4o-ptu"]') in by_rule
    ptu = next(f for f in report["findings"] if f["rule_id"] == "AIGOV-SKU-001")
    assert ptu["cost"]["monthly_usd"] > 0
    assert ptu["location"] == {
        "source": "terraform_hcl",
        "file": str(FIXTURES / "basic" / "main.tf"),
        "line": 38,
    }
    account = next(f for f in report["findings"] if f["resource"]["key"] == "azurerm_cognitive_account.main")
    assert account["resource"]["name"] == "oai-bot"  # --var beats TF_VAR_prefix


def test_cli_bad_var_is_exit_2() -> None:
    result = CliRunner().invoke(main, ["scan", str(FIXTURES / "basic"), "--var", "novalue"])
    assert result.exit_code == 2
    assert "expected NAME=VALUE" in result.stderr


# --------------------------------------------------------------------------- unreadable directory entries

SPECIAL_ENTRIES = ["dangling", "loop", "fifo"]


def _special(path: Path, kind: str) -> None:
    if kind == "dangling":
        path.symlink_to("missing.tf")
    elif kind == "loop":
        path.symlink_to(path.name)
    else:
        os.mkfifo(path)


@pytest.mark.parametrize("kind", SPECIAL_ENTRIES)
@pytest.mark.parametrize("name", ["extra.tf", "terraform.tfvars", "x.auto.tfvars"])
def test_an_unreadable_tf_or_tfvars_fails_the_scan(tmp_path: Path, kind: str, name: str) -> None:
    write(tmp_path, {"main.tf": (FIXTURES / "basic" / "main.tf").read_text()})
    _special(tmp_path / name, kind)
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: {tmp_path / name}: ")
    assert result.stderr.count("\n") == 1
    assert "No violations" not in result.output


@pytest.mark.parametrize("kind", SPECIAL_ENTRIES)
def test_a_directory_whose_only_tf_is_unreadable_fails(tmp_path: Path, kind: str) -> None:
    _special(tmp_path / "main.tf", kind)
    assert detect(SourceInput.open(str(tmp_path))) is TerraformHclSource
    with pytest.raises(SourceError, match=r"(not read|not a regular file)$"):
        load(tmp_path)


def test_a_fifo_named_as_the_input_file_fails(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "main.tf")
    with pytest.raises(SourceError, match=r"is a FIFO \(named pipe\), not a regular file"):
        load(tmp_path / "main.tf")


def test_a_directory_named_like_a_tf_file_is_skipped_as_terraform_does(tmp_path: Path) -> None:
    write(
        tmp_path, {name: (FIXTURES / "basic" / name).read_text() for name in ("main.tf", "terraform.tfvars")}
    )
    (tmp_path / "modules.tf").mkdir()
    assert len(load(tmp_path)) == len(load(FIXTURES / "basic"))
