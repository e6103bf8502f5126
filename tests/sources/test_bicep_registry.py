"""Bicep registry modules read from the local module cache `bicep restore` fills."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.errors import SourceError
from aigov.model import Inventory, Resource
from aigov.sources.arm import MAX_MODULE_TEMPLATE_BYTES
from aigov.sources.base import SourceInput, SourceOptions
from aigov.sources.bicep.registry import BicepConfig, OciReference, encode_tag, parse_reference, read_config
from aigov.sources.bicep.source import BicepSource

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "fixtures" / "bicep" / "registry"
CACHE = REGISTRY / "cache"
ACCOUNT = "Microsoft.CognitiveServices/accounts/oai-registry"
DEFAULTS = BicepConfig({"public": ("mcr.microsoft.com", "bicep")}, None)


def load(path: Path, **options: str) -> Inventory:
    return BicepSource().load(SourceInput.open(str(path)), SourceOptions(**options))  # type: ignore[arg-type]


def get(inventory: Inventory, key: str) -> Resource:
    resource = inventory.get(key)
    assert resource is not None, f"{key} not in {[r.key for r in inventory]}"
    return resource


# --------------------------------------------------------------------------- the cache layout


@pytest.mark.parametrize(
    ("tag", "directory"),
    [
        ("0.10.2", "0.10.2$"),
        ("V1", "V1$1"),
        ("v1-Beta", "v1-Beta$8"),
        ("a" * 64 + "B", "a" * 64 + "B$10000000000000000"),
    ],
)
def test_a_tag_directory_records_its_upper_case_letters(tag: str, directory: str) -> None:
    assert encode_tag(tag) == directory


def test_cache_paths_flatten_the_repository_and_lower_the_registry() -> None:
    by_tag = OciReference("Contoso.azurecr.io:5000", "modules/ai/search", "V1", None)
    assert by_tag.cache_path(Path("/c")) == Path(
        "/c/br/contoso.azurecr.io$5000/modules$ai$search/V1$1/main.json"
    )
    digest = "sha256:" + "ab" * 32
    by_digest = OciReference("mcr.microsoft.com", "bicep/x", None, digest)
    assert by_digest.cache_path(Path("/c")) == Path(
        f"/c/br/mcr.microsoft.com/bicep$x/sha256#{'ab' * 32}/main.json"
    )


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("br:contoso.azurecr.io/ai/search:1.0", OciReference("contoso.azurecr.io", "ai/search", "1.0", None)),
        (
            "br/public:avm/res/search/search-service:0.9.0",
            OciReference("mcr.microsoft.com", "bicep/avm/res/search/search-service", "0.9.0", None),
        ),
        (
            "br:localhost:5000/x@sha256:" + "0" * 64,
            OciReference("localhost:5000", "x", None, "sha256:" + "0" * 64),
        ),
        ("br:[::1]/passthrough/ipv6:v1", OciReference("[::1]", "passthrough/ipv6", "v1", None)),
        ("br:[fd00::5]:5000/x:1", OciReference("[fd00::5]:5000", "x", "1", None)),
    ],
)
def test_references_are_parsed_with_aliases_expanded(path: str, expected: OciReference) -> None:
    assert parse_reference(path, DEFAULTS) == expected


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("br:contoso.azurecr.io/ai/search", "has no tag"),
        ("br:contoso.azurecr.io", "expected br:<registry>/<repository>:<tag>"),
        ("br/nope:x:1", "the module alias 'nope' is not defined"),
        ("br:contoso.azurecr.io/AI/search:1", "'AI/search' is not a valid repository name"),
        ("br:r.io/x@sha256:abc", "is not a sha256 digest"),
        ("br:../../etc/x:1", "'..' is not a registry host name"),
        ("br:evil.io:5000:1/x:1", "is not a registry host name"),
        ("br:[::g]/x:1", r"'\[::g\]' is not a registry host name"),
        ("br:[../..]/x:1", "is not a registry host name"),
    ],
)
def test_invalid_references_say_what_is_wrong(path: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_reference(path, DEFAULTS)


def test_bicepconfig_aliases_and_cache_root_relative_to_the_file() -> None:
    config = read_config(REGISTRY / "bicepconfig.json")
    assert config.cache_root == REGISTRY / "cache"
    assert config.aliases["contoso"] == ("contoso.azurecr.io:5000", "modules")
    assert config.aliases["public"] == ("mcr.microsoft.com", "bicep")


def test_a_bad_bicepconfig_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "bicepconfig.json").write_text('{"moduleAliases": {"br": {"x": {"modulePath": "m"}}}}')
    with pytest.raises(SourceError, match=r"moduleAliases\.br\.x: a module alias needs a string registry"):
        read_config(tmp_path / "bicepconfig.json")


# --------------------------------------------------------------------------- evaluation


def test_cached_modules_are_evaluated_as_templates_with_the_module_params() -> None:
    inventory = load(REGISTRY / "main.bicep")
    account = get(inventory, f"module.openAi.{ACCOUNT}")
    assert account.body["location"] == "eastus2"  # the Bicep parameter, passed as a module param
    assert account.origin.file is not None
    assert account.origin.file.endswith("0.10.2$/main.json")
    deployment = get(inventory, f"module.openAi.{ACCOUNT}/deployments/chat")
    assert deployment.body["sku"] == {"name": "ProvisionedManaged", "capacity": 50}
    assert deployment.parent_key == account.key
    search = get(inventory, "module.search.Microsoft.Search/searchServices/srch-registry")
    assert search.origin.file is not None
    assert search.origin.file.endswith("V1$1/main.json")
    (missing,) = inventory.unread
    assert missing.address == "module.missing"
    assert missing.reference == "br:contoso.azurecr.io:5000/modules/network:1.0.0"
    assert missing.reason == f"not in the module cache {CACHE}; run bicep restore"
    assert missing.line == 19


def test_without_bicepconfig_the_given_cache_root_is_used(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "module openAi 'br/public:avm/res/cognitive-services/account:0.10.2' = {\n"
        "  name: 'openai'\n  params: { name: 'oai-home', location: 'westus' }\n}\n"
    )
    module = "bicep$avm$res$cognitive-services$account/0.10.2$"
    shutil.copytree(
        CACHE / "br" / "mcr.microsoft.com" / module, tmp_path / "home" / "br" / "mcr.microsoft.com" / module
    )
    inventory = load(tmp_path / "main.bicep", bicep_cache=str(tmp_path / "home"))
    assert (
        get(inventory, "module.openAi.Microsoft.CognitiveServices/accounts/oai-home").body["location"]
        == "westus"
    )
    assert inventory.unread == ()
    (unread,) = load(tmp_path / "main.bicep").unread
    assert unread.reason == "no module cache given; run bicep restore"


def test_a_template_spec_module_is_an_unread_input(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("module spec 'ts:sub-1/rg-specs/ai:1.0' = {\n  name: 'spec'\n}\n")
    (unread,) = load(tmp_path / "main.bicep").unread
    assert (unread.reference, unread.reason, unread.address) == (
        "ts:sub-1/rg-specs/ai:1.0",
        "template specs are not read offline",
        "module.spec",
    )


def test_an_invalid_reference_is_exit_2_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        "param p string = 'x'\n\nmodule m 'br:contoso.azurecr.io/m' = {\n  name: 'm'\n}\n"
    )
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "main.bicep")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path / 'main.bicep'}: line 3, column 1: module 'm': br:contoso.azurecr.io/m: "
        "the reference has no tag (:<tag>) or digest (@sha256:…)\n"
    )


def test_scan_fails_on_the_module_not_restored_and_reports_the_cached_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["scan", str(REGISTRY / "main.bicep"), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    unread = [f for f in findings if f["rule_id"] == "AIGOV-INPUT-001"]
    assert [(f["resource"]["address"], f["fails_gate"]) for f in unread] == [("module.missing", True)]
    addresses = {f["resource"]["address"] for f in findings}
    assert f"module.openAi.{ACCOUNT}/deployments/chat" in addresses
    relaxed = CliRunner().invoke(
        main, ["scan", str(REGISTRY / "main.bicep"), "--format", "json", "--on-unknown", "warn"]
    )
    unread = [f for f in json.loads(relaxed.stdout)["findings"] if f["rule_id"] == "AIGOV-INPUT-001"]
    assert [f["fails_gate"] for f in unread] == [False]


def test_an_oversized_cached_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("module big 'br:contoso.azurecr.io/big:1' = {\n  name: 'big'\n}\n")
    cached = tmp_path / "cache" / "br" / "contoso.azurecr.io" / "big" / "1$" / "main.json"
    cached.parent.mkdir(parents=True)
    with cached.open("wb") as handle:
        handle.truncate(MAX_MODULE_TEMPLATE_BYTES + 1)
    with pytest.raises(SourceError, match=r"main\.json: file is larger than 32 MiB; not read$"):
        load(tmp_path / "main.bicep", bicep_cache=str(tmp_path / "cache"))


def test_a_local_arm_json_module_is_evaluated_as_a_template(tmp_path: Path) -> None:
    module = "bicep$avm$res$cognitive-services$account/0.10.2$"
    shutil.copy(CACHE / "br" / "mcr.microsoft.com" / module / "main.json", tmp_path / "account.json")
    (tmp_path / "main.bicep").write_text(
        "module openAi './account.json' = {\n  name: 'openai'\n"
        "  params: { name: 'oai-local', location: 'westus' }\n}\n"
    )
    inventory = load(tmp_path / "main.bicep")
    account = get(inventory, "module.openAi.Microsoft.CognitiveServices/accounts/oai-local")
    assert account.origin.file == str(tmp_path / "account.json")
    assert inventory.unread == ()
    assert str(tmp_path / "account.json") in inventory.files


def test_a_missing_local_json_module_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("module m './nope.json' = {\n  name: 'm'\n}\n")
    with pytest.raises(SourceError, match=r"nope\.json"):
        load(tmp_path / "main.bicep")


def test_a_module_from_an_ipv6_registry_is_an_unread_input_and_the_scan_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    fixture = REGISTRY.parent / "registry-ipv6" / "main.bicep"
    result = CliRunner().invoke(main, ["scan", str(fixture), "--format", "json"])
    assert result.exit_code == 1, result.output
    findings = json.loads(result.stdout)["findings"]
    unread = [f for f in findings if f["rule_id"] == "AIGOV-INPUT-001"]
    assert [f["resource"]["address"] for f in unread] == ["module.search"]
    assert "br:[::1]/modules/search:v1" in unread[0]["message"]
    assert any(f["resource"]["address"] == "account" for f in findings)
